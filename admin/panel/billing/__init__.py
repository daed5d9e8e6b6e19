"""Planos & Pacotes and Cobranças: the templates' configuration, the tutor's plans tab, the
shop's plans list, the invoices (list, page, batch payment, print) and the public invoice page
of the signed link."""

from __future__ import annotations

from admin.panel.billing import invoices, plan_templates, plans, public

ROUTES = [m.routes for m in (plan_templates, plans, invoices, public)]
