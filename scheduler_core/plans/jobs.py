"""The periodic jobs of the back office, as one call (issue 11): invoices past their due date
become ``vencida`` (:func:`scheduler_core.billing.invoices.mark_overdue`, per shop on its own
date) and plans past their end date expire (:func:`scheduler_core.plans.lifecycle.expire_plans`).
Idempotent: running it twice, or late, changes nothing more. ``now`` is passed in; the app
process (``app/jobs.py``) runs it at start and every few minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.billing.invoices import mark_overdue
from scheduler_core.db.engine import transaction
from scheduler_core.plans.lifecycle import expire_plans
from scheduler_core.shop.models import Shop


@dataclass(frozen=True)
class JobRun:
    overdue_invoice_ids: tuple[int, ...]
    expired_plan_ids: tuple[int, ...]


def run_jobs(engine: Engine, *, now: datetime) -> JobRun:
    """Mark overdue invoices and expire plans, in one write unit of work."""

    def work(session: Session) -> JobRun:
        overdue: list[int] = []
        for shop_id, tz in session.execute(select(Shop.id, Shop.timezone)).all():
            today = now.astimezone(ZoneInfo(tz)).date()
            overdue += mark_overdue(session, today, shop_id=shop_id, now=now)
        return JobRun(tuple(overdue), tuple(expire_plans(session, now=now)))

    return transaction(engine, work)
