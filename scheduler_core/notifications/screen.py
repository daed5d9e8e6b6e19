"""Configurações → Notificações, the use cases behind the owner's screen: every kind's setting
with its moment in words, the live preview of a text on a real upcoming visit of the shop,
saving a kind (text, on/off, template, moment) with an audit entry, the sending rules, the next
7 days of planned sends and the history with the delivery status (:mod:`.queries`).

The rules themselves are the notifications package's (:mod:`.texts` validates and renders,
:mod:`.settings` saves, :mod:`.planner` gathers a visit's variables); this module only puts
them together for the screen, in one transaction each.

Decisions where the spec is silent:

- The preview uses the shop's next visit that is neither cancelled nor a no-show (the latest
  past one when nothing is booked ahead), through :func:`.queries.preview`; without any visit
  the shop's own variables are filled and the others left empty, as a send would. A kind
  about something else registers its own sample (:func:`register_sample`): Pet Care's is the
  shop's next scheduled dose.
- A refused text is not saved at all (nor the switch or the template beside it): the form comes
  back with what was typed and the pt-BR message of :func:`.texts.validate_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.agenda.models import FREEING_STATUSES, Appointment, AppointmentStatus
from scheduler_core.audit import log as audit
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.clock import from_utc_naive, to_utc
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.notifications import queries
from scheduler_core.notifications import settings as notif_settings
from scheduler_core.notifications.models import NotificationPrefs, NotificationSetting
from scheduler_core.notifications.planner import appointment_values, base_values
from scheduler_core.notifications.texts import (
    KIND_CATEGORIES,
    KIND_LABELS,
    KIND_TIMING,
    VARIABLES,
    WHATSAPP_TEXT_LIMIT,
    Kind,
    Timing,
    render,
    validate_text,
)
from scheduler_core.shop.models import Shop

PLANNED_DAYS = 7
CATEGORY_ORDER = ("Agendamento", "Aniversário", "Financeiro", "Outros")


def kind_of(value: object) -> Kind | None:
    try:
        return Kind(str(value or ""))
    except ValueError:
        return None


def moment_text(kind: Kind, setting: NotificationSetting) -> str:
    """When a kind goes out, in words ("24 horas antes do horário")."""
    timing = KIND_TIMING[kind][0]
    hours, days, at = setting.offset_hours, setting.offset_days, setting.send_time
    if timing is Timing.IMMEDIATE:
        return "No momento do evento"
    if timing is Timing.HOURS_BEFORE:
        return f"{hours} {'hora' if hours == 1 else 'horas'} antes do horário"
    if timing is Timing.HOURS_AFTER:
        return f"{hours} {'hora' if hours == 1 else 'horas'} depois"
    if timing is Timing.DAYS_AFTER:
        return f"{days} {'dia' if days == 1 else 'dias'} depois, às {at}"
    if timing is Timing.DAYS_BEFORE:
        return f"{days} {'dia' if days == 1 else 'dias'} antes da data, às {at}"
    return f"Na data, às {at}"


@dataclass(frozen=True)
class KindCard:
    kind: str
    label: str
    category: str
    enabled: bool
    moment: str
    timing: str
    setting: NotificationSetting


@dataclass(frozen=True)
class Sample:
    """The visit the preview is rendered on."""

    appointment_id: int | None
    description: str  # "Thor · Banho e Tosa · 05/03/2026 14:30", or why there is none
    values: dict[str, str]


@dataclass(frozen=True)
class Screen:
    cards: list[KindCard]
    chosen: KindCard | None
    variables: dict[str, str]
    sample: Sample
    preview: str
    planned: list[queries.OutboxLine]
    history: list[queries.OutboxLine]
    prefs: NotificationPrefs


def _card(kind: Kind, setting: NotificationSetting) -> KindCard:
    return KindCard(kind=kind.value, label=KIND_LABELS[kind], category=KIND_CATEGORIES[kind],
                    enabled=setting.enabled, moment=moment_text(kind, setting),
                    timing=KIND_TIMING[kind][0].value, setting=setting)


def _cards(session: Session, shop_id: int) -> list[KindCard]:
    cards = [_card(Kind(s.kind), s) for s in notif_settings.list_settings(session, shop_id)]
    return sorted(cards, key=lambda c: CATEGORY_ORDER.index(c.category)
                  if c.category in CATEGORY_ORDER else len(CATEGORY_ORDER))


#: Kinds whose preview is not about a visit (a Pet Care dose): their package registers a
#: ``sample(session, shop, now) -> Sample | None`` here (:func:`register_sample`), so this
#: module imports none of them.
SAMPLES: dict[Kind, Callable[[Session, Shop, datetime], Sample | None]] = {}


def register_sample(kind: Kind) -> Callable:
    """Decorator: the preview sample of ``kind`` (None: fall back to the next visit)."""
    def wrap(fn: Callable[[Session, Shop, datetime], Sample | None]) -> Callable:
        SAMPLES[Kind(kind)] = fn
        return fn
    return wrap


def _sample(session: Session, shop: Shop, now: datetime, kind: str | None = None) -> Sample:
    chosen = kind_of(kind)
    if chosen in SAMPLES and (own := SAMPLES[chosen](session, shop, now)) is not None:
        return own
    live = [s.value for s in AppointmentStatus if s not in FREEING_STATUSES]
    base = select(Appointment).where(Appointment.shop_id == shop.id,
                                     Appointment.status.in_(live))
    appt = session.exec(base.where(Appointment.start >= to_utc(now))
                        .order_by(Appointment.start, Appointment.id)).first() or \
        session.exec(base.order_by(Appointment.start.desc(), Appointment.id)).first()
    if appt is None:
        return Sample(None, "nenhum agendamento (só os dados da loja)",
                      base_values(session, shop, None))
    values = appointment_values(session, appt)
    start = from_utc_naive(appt.start, shop.timezone)
    description = " · ".join(p for p in (values.get("NOME_PET"), values.get("NOME_SERVICO"),
                                         f"{start:%d/%m/%Y %H:%M}") if p)
    return Sample(appt.id, description, values)


def _preview(session: Session, shop: Shop, kind: str, text: str, sample: Sample) -> str:
    """The text as the sample visit's tutor would read it: the notifications' own preview on
    that visit when the text is valid, else the text rendered as far as it goes (an unknown
    variable stays as typed, so the owner sees which one)."""
    if sample.appointment_id is not None and not validate_text(text):
        return queries.preview(session, shop.id, kind, text, sample.appointment_id)
    return render((text or "").strip(), sample.values)


def screen(engine: Engine, *, shop: Shop, now: datetime, kind: str | None = None,
           typed_text: str | None = None) -> Screen:
    """Everything the Notificações screen shows; ``kind`` is the card being edited and
    ``typed_text`` the text to preview instead of the saved one (a refused form)."""
    with read_session(engine, expire_on_commit=False) as session:
        cards = _cards(session, shop.id)
        chosen = next((c for c in cards if c.kind == kind), None)
        sample = _sample(session, shop, now, kind)
        planned = queries.upcoming(session, shop.id, now, days=PLANNED_DAYS)
        history, _total = queries.history(session, shop.id)
        prefs = notif_settings.get_prefs(session, shop.id)
        text = typed_text if typed_text is not None else (chosen.setting.text if chosen else "")
        shown = _preview(session, shop, chosen.kind, text, sample) if chosen else ""
    return Screen(cards=cards, chosen=chosen, variables=dict(VARIABLES), sample=sample,
                  preview=shown, planned=planned, history=history, prefs=prefs)


@dataclass(frozen=True)
class Preview:
    text: str
    errors: list[str]
    sample: str


def preview(engine: Engine, *, shop: Shop, now: datetime, kind: str, text: str) -> Preview:
    """The text as the tutor of the shop's next visit would read it, and its pt-BR errors (an
    unknown variable among them), the same the save gives."""
    chosen = kind_of(kind)
    if chosen is None:
        raise ValidationFailed("Notificação desconhecida.")
    # A little over WhatsApp's limit, so "too long" still shows; a huge body is cut.
    text = str(text or "")[:WHATSAPP_TEXT_LIMIT + 100]
    with read_session(engine) as session:
        sample = _sample(session, shop, now, chosen.value)
        shown = _preview(session, shop, chosen.value, text, sample)
    return Preview(text=shown, errors=validate_text(text), sample=sample.description)


def save(engine: Engine, *, shop_id: int, kind: str, values: Mapping, actor: str,
         now: datetime) -> NotificationSetting:
    """Save one kind's form (see :func:`.settings.save_setting`), audited."""
    with write_session(engine, expire_on_commit=False) as session:
        row = notif_settings.save_setting(session, shop_id, kind, values)
        audit.record(session, at=now, actor=actor, shop_id=shop_id, entity="notification",
                     entity_id=row.id, action="notification.setting_save",
                     details={"kind": row.kind, "enabled": row.enabled, "text": row.text,
                              "template": row.template_name})
        return row


def set_enabled(engine: Engine, *, shop_id: int, kind: str, enabled: bool, actor: str,
                now: datetime) -> NotificationSetting:
    """Switch one kind on or off, keeping its text and template."""
    chosen = kind_of(kind)
    if chosen is None:
        raise ValidationFailed("Notificação desconhecida.")
    with write_session(engine, expire_on_commit=False) as session:
        current = notif_settings.get_setting(session, shop_id, chosen)
        values = {"text": current.text, "enabled": "1" if enabled else "",
                  "template_name": current.template_name,
                  "template_language": current.template_language,
                  "template_params": list(current.template_params),
                  "offset_hours": str(current.offset_hours),
                  "offset_days": str(current.offset_days), "send_time": current.send_time}
        row = notif_settings.save_setting(session, shop_id, chosen, values)
        audit.record(session, at=now, actor=actor, shop_id=shop_id, entity="notification",
                     entity_id=row.id, action="notification.on" if enabled
                     else "notification.off", details={"kind": row.kind})
        return row


def save_rules(engine: Engine, *, shop_id: int, values: Mapping, actor: str,
               now: datetime) -> NotificationPrefs:
    """Quiet hours and the late-drop delay (:func:`.settings.save_prefs`), audited."""
    with write_session(engine, expire_on_commit=False) as session:
        prefs = notif_settings.save_prefs(session, shop_id, values)
        audit.record(session, at=now, actor=actor, shop_id=shop_id, entity="notification",
                     action="notification.rules_save",
                     details={"quiet_start": prefs.quiet_start, "quiet_end": prefs.quiet_end,
                              "late_drop_hours": prefs.late_drop_hours})
        return prefs
