"""The back office's periodic jobs inside the app process: :func:`scheduler_core.plans.jobs.
run_jobs` (overdue invoices, plan expiry) once at start and then every
``Settings.jobs_interval_s`` seconds, with the process clock (``app.keys.CLOCK``, which tests
replace), off the event loop. Started and stopped with the app (``cleanup_ctx``). A failed run is
logged and retried at the next tick; it never stops the app."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from app.keys import CLOCK, DB, SETTINGS
from app.periodic import every
from scheduler_core.plans.jobs import JobRun, run_jobs

log = logging.getLogger(__name__)
LAST_RUN = web.AppKey("jobs_last_run", list)


async def run_now(app: web.Application) -> JobRun | None:
    """One run of the jobs (None when it failed; the error is logged)."""
    try:
        result = await asyncio.to_thread(run_jobs, app[DB], now=app[CLOCK]())
    except Exception:
        log.exception("back-office jobs failed; retrying at the next tick")
        return None
    app[LAST_RUN].append(result)
    del app[LAST_RUN][:-10]
    if result.overdue_invoice_ids or result.expired_plan_ids:
        log.info("jobs: %d invoice(s) overdue, %d plan(s) expired",
                 len(result.overdue_invoice_ids), len(result.expired_plan_ids))
    return result


def setup(app: web.Application) -> None:
    app[LAST_RUN] = []
    app.cleanup_ctx.append(every(lambda a: a[SETTINGS].jobs_interval_s, run_now))
