"""Planos & Pacotes: templates, sold plans, allowances and their usage."""
