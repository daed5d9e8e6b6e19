"""What to do with a claimed outbox row, decided by the core; the app's sender (app/notify.py)
does the I/O and reports back.

:func:`prepare` returns one of:

- :class:`Drop` (``descartada`` with the pt-BR reason): the kind is switched off, the tutor opted
  out, the event is gone (the source's check), the event's moment passed, or the row is more
  than ``late_drop_hours`` late (the job loop was down: we do not send a birthday greeting at
  3 a.m. or a "pode buscar" the next day);
- :class:`Postpone`: quiet hours (shop clock, default 20:00–08:00) carry the row to their end,
  or the tutor got a notification less than :data:`PACE` ago (Meta throttles a business that
  writes to the same user faster, error 131056);
- :class:`Send`: the rendered text (plus the extra text, e.g. the service guidance), its reply
  buttons, and the approved template with its parameters in order, for outside the 24-hour
  window. Whether the window is open is the channel's to know (bot/output_channel.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler_core.kernel.clock import local, minutes_of, to_utc
from scheduler_core.notifications import outbox
from scheduler_core.notifications.models import Notification, OutboxStatus
from scheduler_core.notifications.optout import is_opted_out
from scheduler_core.notifications.planner import check_row
from scheduler_core.notifications.settings import get_prefs, get_setting
from scheduler_core.notifications.texts import Kind, render
from scheduler_core.shop.models import Shop

#: The per-user pace: at most one notification to the same number in this time.
PACE = timedelta(seconds=6)
#: A template parameter may not be empty for Meta; a missing value becomes this.
EMPTY_PARAM = "-"


@dataclass(frozen=True)
class Drop:
    reason: str


@dataclass(frozen=True)
class Postpone:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Send:
    row_id: int
    shop_id: int
    recipient: str
    text: str
    buttons: tuple[dict, ...]
    template_name: str
    template_language: str
    template_params: tuple[str, ...]
    template_only: bool  # Meta refused the free-form text before (131047)

    @property
    def template_text(self) -> str:
        """How the template reads in the conversation history and the simulator."""
        return f"[modelo {self.template_name}] " + " | ".join(self.template_params)


Decision = Drop | Postpone | Send


def quiet_until(moment: datetime, start: str, end: str, tz: str | ZoneInfo) -> datetime | None:
    """The end of the quiet hours when ``moment`` falls inside them (shop clock), else None.
    ``start`` > ``end`` is a night window across midnight; equal means no quiet hours."""
    if start == end:
        return None
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    here = moment.astimezone(zone)
    minute = here.hour * 60 + here.minute
    s, e = minutes_of(start), minutes_of(end)
    if s < e:
        inside = s <= minute < e
        end_day = here.date()
    else:
        inside = minute >= s or minute < e
        end_day = here.date() + timedelta(days=1) if minute >= s else here.date()
    return local(end_day, end, zone) if inside else None


def prepare(session: Session, row_id: int, now: datetime, *,
            pace: timedelta = PACE) -> Decision | None:
    """The decision for one claimed row (None: the row is not ``enviando``)."""
    row = session.get(Notification, row_id)
    if row is None or row.status != OutboxStatus.ENVIANDO:
        return None
    now = to_utc(now)
    setting = get_setting(session, row.shop_id, Kind(row.kind))
    if not setting.enabled:
        return Drop("Notificação desligada nas configurações.")
    if row.tutor_id is not None and is_opted_out(session, row.tutor_id):
        return Drop("O tutor pediu para não receber notificações.")
    if reason := check_row(session, row, now):
        return Drop(reason)
    if row.expires_at is not None and now >= to_utc(row.expires_at):
        return Drop("Passou do horário do evento.")
    prefs = get_prefs(session, row.shop_id)
    late = now - to_utc(row.due_at)
    if late > timedelta(hours=prefs.late_drop_hours):
        hours = int(late.total_seconds() // 3600)
        return Drop(f"Atrasada {hours} h (limite {prefs.late_drop_hours} h): não enviada "
                    "fora de hora.")
    shop = session.get(Shop, row.shop_id)
    if until := quiet_until(now, prefs.quiet_start, prefs.quiet_end, shop.timezone):
        if row.expires_at is not None and to_utc(until) >= to_utc(row.expires_at):
            return Drop("Horário de silêncio até o horário do evento: não enviada.")
        return Postpone(to_utc(until), "Horário de silêncio.")
    last = outbox.last_sent_to(session, row.recipient)
    if last is not None and now - to_utc(last) < pace:
        return Postpone(to_utc(last) + pace, "Ritmo por tutor do WhatsApp.")
    values = dict(row.values or {})
    text = render(setting.text, values).strip()
    if row.extra_text:
        text = f"{text}\n\n{row.extra_text}".strip()
    params = tuple((str(values.get(name) or "").strip() or EMPTY_PARAM)
                   for name in setting.template_params)
    return Send(row_id=row.id, shop_id=row.shop_id, recipient=row.recipient, text=text[:4096],
                buttons=tuple(row.buttons or ()), template_name=setting.template_name,
                template_language=setting.template_language, template_params=params,
                template_only=row.sent_as == "modelo")


def apply(session: Session, row_id: int, decision: Decision, now: datetime) -> None:
    """Record a Drop or a Postpone on the row (a Send is recorded by :func:`record_send`)."""
    if isinstance(decision, Drop):
        outbox.discard(session, row_id, decision.reason, now)
    elif isinstance(decision, Postpone):
        row = session.get(Notification, row_id)
        outbox.postpone(session, row_id, decision.until, as_template=row.sent_as == "modelo")


def record_send(session: Session, row_id: int, *, wa_message_id: str | None, sent_as: str,
                status: str, error: str, now: datetime) -> None:
    """The channel's answer: ``status`` is the WhatsApp message's ("sent", "delivered",
    "read", "failed"; "pending" counts as sent), ``error`` Meta's error when it failed."""
    if status == "failed" or not wa_message_id:
        outbox.mark_failed(session, row_id, error or "Falha no envio.", now, sent_as=sent_as)
        return
    target = outbox.RECEIPT_STATUS.get(status, OutboxStatus.ENVIADA)
    outbox.mark_sent(session, row_id, wa_message_id=wa_message_id, sent_as=sent_as, now=now,
                     status=target.value)

