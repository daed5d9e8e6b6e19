"""Relatórios: the dashboards (one screen per panel), the FAQ reports and their CSV / XLSX
exports, over ``scheduler_core.reports``."""

from __future__ import annotations

from admin.panel.reports import screens

ROUTES = [screens.routes]
