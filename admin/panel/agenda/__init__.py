"""Agenda screens: the day/board/week views, the appointment window (status, reschedule,
cancel, no-show, editing the visit), the new-appointment wizard, encaixe, hotel stays and
"Buscar horários"."""

from __future__ import annotations

from admin.panel.agenda import (
    board,
    checklist,
    encaixe,
    slots,
    stays,
    visit,
    visit_edit,
    wizard,
)

ROUTES = [m.routes for m in (board, visit, visit_edit, checklist, wizard, encaixe, slots, stays)]
