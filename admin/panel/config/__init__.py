"""Configuration screens, one module per subject. Each POST parses the form, calls one core
use case and re-renders with the pt-BR errors, or redirects with a confirmation."""

from __future__ import annotations

from admin.panel.config import (
    blocks,
    bot,
    breeds,
    catalogue,
    checklists,
    hours,
    leva_e_traz,
    notifications,
    petcare,
    restrictions,
    shop,
    team,
)

ROUTES = [m.routes for m in (shop, hours, team, catalogue, leva_e_traz, restrictions, blocks, bot,
                                checklists, breeds, petcare, notifications)]
