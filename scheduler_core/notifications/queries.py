"""What the panel shows about notifications (issue 13): the next days' planned sends, the
history with delivery statuses, a preview of a text on a real appointment, and the on-demand
invoice link. Each is one core call for a view (admin/panel) or an API handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing.models import Invoice
from scheduler_core.kernel.clock import from_utc_naive, to_utc
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.notifications.models import Notification, OutboxStatus
from scheduler_core.notifications.outbox import Planned, plan_rows, status_label
from scheduler_core.notifications.planner import appointment_values, invoice_values, recipient_of
from scheduler_core.notifications.texts import Kind, render, validate_text
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.shop.models import Shop

HISTORY_PAGE = 50


@dataclass(frozen=True)
class OutboxLine:
    """One row as the panel lists it (times on the shop's clock)."""

    id: int
    kind: str
    kind_label: str
    tutor_id: int | None
    tutor_name: str
    pet_name: str
    recipient: str
    due_at: datetime
    status: str
    status_label: str
    reason: str  # why descartada, or Meta's error
    sent_as: str  # "texto" | "modelo" | ""
    sent_at: datetime | None
    appointment_id: int | None


def _lines(session: Session, shop: Shop, rows: list[Notification]) -> list[OutboxLine]:
    tutors = {t.id: t.name for t in session.exec(select(Tutor).where(
        col(Tutor.id).in_({r.tutor_id for r in rows if r.tutor_id})))} if rows else {}
    pets = {p.id: p.name for p in session.exec(select(Pet).where(
        col(Pet.id).in_({r.pet_id for r in rows if r.pet_id})))} if rows else {}
    tz = shop.timezone
    return [OutboxLine(
        id=r.id, kind=r.kind, kind_label=Kind(r.kind).label if r.kind in Kind._value2member_map_
        else r.kind, tutor_id=r.tutor_id, tutor_name=tutors.get(r.tutor_id, ""),
        pet_name=pets.get(r.pet_id, ""), recipient=r.recipient,
        due_at=from_utc_naive(r.due_at, tz), status=r.status, status_label=status_label(r.status),
        reason=r.reason, sent_as=r.sent_as,
        sent_at=from_utc_naive(r.sent_at, tz) if r.sent_at else None,
        appointment_id=r.appointment_id) for r in rows]


def _shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("Loja não encontrada.")
    return shop


def upcoming(session: Session, shop_id: int, now: datetime, *, days: int = 7) -> list[OutboxLine]:
    """The planned sends of the next ``days`` days, earliest first (the planner must have run:
    the app's loop plans every tick)."""
    shop = _shop(session, shop_id)
    rows = session.exec(select(Notification).where(
        Notification.shop_id == shop_id, Notification.status == OutboxStatus.PLANEJADA,
        Notification.due_at <= to_utc(now) + timedelta(days=days))
        .order_by(Notification.due_at, Notification.id)).all()
    return _lines(session, shop, list(rows))


def history(session: Session, shop_id: int, *, status: str | None = None,
            tutor_id: int | None = None, page: int = 1) -> tuple[list[OutboxLine], int]:
    """Sent, failed and dropped notifications, newest first, ``HISTORY_PAGE`` a page; returns
    (lines, total)."""
    shop = _shop(session, shop_id)
    where = [Notification.shop_id == shop_id, Notification.status != OutboxStatus.PLANEJADA]
    if status:
        if status not in OutboxStatus._value2member_map_:
            raise ValidationFailed("Situação desconhecida.", details={"field": "status"})
        where.append(Notification.status == status)
    if tutor_id is not None:
        where.append(Notification.tutor_id == tutor_id)
    total = session.exec(select(func.count()).select_from(Notification).where(*where)).one()
    page = max(1, min(int(page), 10_000))
    rows = session.exec(select(Notification).where(*where)
                        .order_by(col(Notification.due_at).desc(), col(Notification.id).desc())
                        .offset((page - 1) * HISTORY_PAGE).limit(HISTORY_PAGE)).all()
    return _lines(session, shop, list(rows)), int(total)


def preview(session: Session, shop_id: int, kind: Kind | str, text: str,
            appointment_id: int | None = None, *,
            invoice_link: Callable[[int, int], str] | None = None) -> str:
    """``text`` rendered on a real appointment of the shop (the latest one when
    ``appointment_id`` is None). Refuses an invalid text with the same pt-BR errors as saving."""
    Kind(kind)
    if errors := validate_text(text):
        raise ValidationFailed(" ".join(errors), details={"fields": {"text": " ".join(errors)}})
    _shop(session, shop_id)
    if appointment_id is None:
        appt = session.exec(select(Appointment).where(Appointment.shop_id == shop_id)
                            .order_by(col(Appointment.start).desc())).first()
    else:
        appt = session.get(Appointment, appointment_id)
        if appt is not None and appt.shop_id != shop_id:
            appt = None
    if appt is None:
        raise NotFound("Agendamento não encontrado.", details={"appointment_id": appointment_id})
    return render(text.strip(), appointment_values(session, appt, invoice_link))


def send_invoice_now(session: Session, invoice_id: int, now: datetime, *,
                     invoice_link: Callable[[int, int], str]) -> int:
    """Staff asked to send the invoice link now ("Enviar fatura ao tutor"): one outbox row due
    now, picked up by the next tick of the sender. Returns the row id (an existing one when the
    same request is repeated within the minute)."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("Fatura não encontrada.", details={"invoice_id": invoice_id})
    values = invoice_values(session, invoice_id, invoice_link)
    tutor = session.get(Tutor, invoice.tutor_id)
    to = recipient_of(tutor)
    if not to:
        raise ValidationFailed("O tutor não tem WhatsApp cadastrado.")
    key = f"invoice:{invoice.id}@manual:{to_utc(now):%Y-%m-%dT%H:%M}"
    plan_rows(session, invoice.shop_id, [Planned(
        kind=Kind.FATURA.value, event_key=key, recipient=to, due_at=now, tutor_id=tutor.id,
        pet_id=invoice.pet_id, values=values)], now)
    return session.exec(select(Notification.id).where(
        Notification.event_key == key, Notification.kind == Kind.FATURA.value,
        Notification.recipient == to)).one()
