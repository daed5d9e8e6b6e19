"""Who uses the panel: login and "Minha conta", staff accounts, the audit log."""

from __future__ import annotations

from admin.panel.access import accounts, audit, login

ROUTES = [m.routes for m in (login, accounts, audit)]
