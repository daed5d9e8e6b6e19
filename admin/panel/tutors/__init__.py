"""Tutors and pets: search, tutor page, pet page."""

from __future__ import annotations

from admin.panel.tutors import access, pet_care, pets, tutor

ROUTES = [m.routes for m in (tutor, pets, pet_care, access)]
