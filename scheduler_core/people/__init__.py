"""Tutors and pets: records, lookup by phone or WhatsApp id, breeds, name reading."""
