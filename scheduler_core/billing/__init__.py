"""Cycles, invoices (faturas), payments and tutor credit."""
