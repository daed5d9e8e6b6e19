"""The notification sender inside the app process (issue 13): every
``Settings.notify_interval_s`` seconds (PETBOT_NOTIFY_INTERVAL_S, default 60; 0 = off) it plans
and claims due notifications, then sends each claimed one through the WhatsApp gateway
(``Gateway.notify``: free-form inside the 24-hour window, the approved template outside it or
after Meta's 131047) and records the answer. Database work runs off the event loop
(``asyncio.to_thread``), the clock is the process's (``app.keys.CLOCK``, tests replace it).

Several app workers may run it at once: planning is idempotent and a row is claimed by one
worker only (scheduler_core.notifications.outbox). A failed tick is logged and the next one
carries on; it never stops the app. The invoice links use PETBOT_PUBLIC_URL (else the app's
host and port) and the secret key, as the panel's "Enviar fatura" does.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from app.keys import CLOCK, DB, SETTINGS
from app.periodic import every
from bot.keys import GATEWAY
from scheduler_core.billing.links import invoice_token
from scheduler_core.notifications import service
from scheduler_core.notifications.service import SendResult

log = logging.getLogger(__name__)


@dataclass
class NotifyStats:
    ticks: int = 0
    sent: list[int] = field(default_factory=list)  # outbox ids sent by this process
    errors: int = 0


NOTIFY_STATS = web.AppKey("notify_stats", NotifyStats)


def invoice_link_for(app: web.Application) -> Callable[[int, int], str]:
    settings = app[SETTINGS]
    base = (os.environ.get("PETBOT_PUBLIC_URL")
            or f"http://{settings.app_host}:{settings.app_port}").rstrip("/")

    def link(invoice_id: int, shop_id: int) -> str:
        return f"{base}/fatura/{invoice_token(invoice_id, shop_id, settings.secret_key)}"
    return link


async def run_tick(app: web.Application) -> list[int]:
    """One tick: plan, claim, send the claimed rows one by one. Returns the ids sent."""
    engine, now = app[DB], app[CLOCK]()
    link = invoice_link_for(app)
    claimed = await asyncio.to_thread(service.plan_and_claim, engine, now, invoice_link=link)
    sent = []
    for row_id in claimed:
        now = app[CLOCK]()
        send = await asyncio.to_thread(service.decide, engine, row_id, now)
        if send is None:
            continue
        try:
            result = await app[GATEWAY].notify(send)
        except Exception as exc:  # never leave a claimed row behind
            log.exception("notification %s: send crashed", row_id)
            result = SendResult(None, "", "failed", f"Erro interno no envio: {exc}"[:300])
        await asyncio.to_thread(service.record, engine, row_id, result, app[CLOCK]())
        if result.wa_message_id:  # receipts that beat the record above (fast phones, Meta)
            early = await app[GATEWAY].receipts_of(result.wa_message_id)
            await asyncio.to_thread(service.catch_up, engine, early, app[CLOCK]())
        sent.append(row_id)
    app[NOTIFY_STATS].sent.extend(sent)
    return sent


async def _tick(app: web.Application) -> None:
    try:
        await run_tick(app)
    except Exception:
        app[NOTIFY_STATS].errors += 1
        log.exception("notifications tick failed; retrying at the next tick")
    app[NOTIFY_STATS].ticks += 1


def setup(app: web.Application) -> None:
    """Register after the gateway (its start-up must have run: the loop sends through it)."""
    app[NOTIFY_STATS] = NotifyStats()
    app.cleanup_ctx.append(every(lambda a: a[SETTINGS].notify_interval_s, _tick))
