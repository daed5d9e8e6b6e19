"""Availability, booking, rescheduling, statuses, encaixe, recurrence, tokens."""
