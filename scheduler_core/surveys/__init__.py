"""Satisfaction surveys: the tutors' answers (score 1–5 and a comment) after a visit."""
