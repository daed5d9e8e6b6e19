"""The back-office jobs run inside the app process: at start and then periodically, with the
app's clock, an invoice past its due date becomes "vencida" and an ended plan expires — with no
request to the app."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from sqlmodel import Session

from app.server import create_app
from scheduler_core.billing.models import Invoice
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import PetPlan
from tests.admin.panel.conftest import make_settings
from tests.scheduler_core.billing.billing_helpers import new_invoice
from tests.scheduler_core.factories import NOW, build_shop


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def _status(engine, model, row_id):
    with Session(engine) as s:
        return s.get(model, row_id).status


async def _until(predicate, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "the job did not run in time"
        await asyncio.sleep(0.05)


async def test_overdue_and_expiry_without_a_request(sqlite_engine, sqlite_url, aiohttp_server):
    world = build_shop(sqlite_engine)
    yesterday = new_invoice(world, due=NOW.date() - timedelta(days=1))
    tomorrow = new_invoice(world, due=NOW.date() + timedelta(days=1))
    plan = plans.sell_plan(sqlite_engine, pet_id=world.pet_id,
                           template_id=world.add_plan_template(price_cents=0),
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    clock = Clock(NOW)
    settings = dataclasses.replace(make_settings(sqlite_url), jobs_interval_s=0.1)
    server = await aiohttp_server(create_app(settings, sqlite_engine, clock=clock))
    try:
        # At start: the invoice due yesterday is overdue, the other is still pending.
        await _until(lambda: _status(sqlite_engine, Invoice, yesterday) == "vencida")
        assert _status(sqlite_engine, Invoice, tomorrow) == "pendente"
        assert _status(sqlite_engine, PetPlan, plan.id) == "ativo"
        # Two months later (the fake clock), the next tick catches the rest.
        clock.now = NOW + timedelta(days=60)
        await _until(lambda: _status(sqlite_engine, Invoice, tomorrow) == "vencida")
        await _until(lambda: _status(sqlite_engine, PetPlan, plan.id) == "expirado")
    finally:
        await server.close()
