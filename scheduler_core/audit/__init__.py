"""The audit trail: one row per sensitive action."""
