"""A fake WhatsApp channel and a driver for the notification sender's core (no app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from scheduler_core.notifications import service
from scheduler_core.notifications.models import Notification
from scheduler_core.notifications.sending import Send


@dataclass
class FakeChannel:
    """Records every send; answers "sent" with a fresh message id."""

    sent: list[Send] = field(default_factory=list)

    def __call__(self, send: Send) -> service.SendResult:
        self.sent.append(send)
        return service.SendResult(f"wamid.fake{len(self.sent)}", "texto", "sent")

    def kinds(self, engine) -> list[str]:
        with Session(engine) as s:
            return [s.get(Notification, x.row_id).kind for x in self.sent]


def link(invoice_id: int, shop_id: int) -> str:
    return f"https://petbot.example/fatura/{shop_id}-{invoice_id}"


def tick(engine, now: datetime, channel: FakeChannel) -> list[int]:
    return service.run_once(engine, now, channel, invoice_link=link)


def rows(engine, **where) -> list[Notification]:
    with Session(engine) as s:
        stmt = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Notification, key) == value)
        out = list(s.exec(stmt).all())
        for r in out:
            s.expunge(r)
        return out
