"""The planner: a registry of per-kind sources turning the shop's data into outbox rows.

A source is a small function ``plan(session, ctx) -> Iterable[Planned]`` registered for one
:class:`~scheduler_core.notifications.texts.Kind` (:func:`register`; Pet Care registers its own
the same way), plus an optional ``check(session, row, now) -> str | None`` the sender calls just
before sending: a pt-BR reason means the event is gone (appointment cancelled or moved, already
confirmed, survey answered, invoice paid) and the row is dropped as ``descartada``.

Each run plans what is due between ``now - late_drop_hours`` (anything older would be dropped
anyway, so it is not planned at all: a first start never floods) and ``now + HORIZON`` (the
owner sees the next 7 days). Sources only read; :func:`plan_shop` writes through the outbox's
``INSERT … ON CONFLICT DO NOTHING``, so running it again, in two workers or after a restart,
plans nothing twice.

Decisions (where spec and issue are silent):
- *Novo agendamento* is not sent for bookings the bot made: the tutor has just read the bot's own
  confirmation in the same chat.
- The confirmation request goes ``offset_hours`` before the start only to ``agendado`` visits
  booked before that moment; the event key carries the start, so a rescheduled visit gets a new
  request and the old one is dropped ("agendamento remarcado").
- The same-day reminder goes ``offset_hours`` before the start, only when confirmed, and only on
  the visit's own day (shop clock).
- *Serviço finalizado* carries every service's guidance ("Orientação do Serviço") after the text;
  it is dropped when the pet was already delivered (the tutor was at the counter).
- Win-back (*retorno*): ``offset_days`` after the pet's last finished bath (a visit with a service
  of a "banho" category), at ``send_time``, when the pet has nothing booked and the tutor holds no
  active plan or package. The catalogue has no per-service return interval, so the delay is the
  setting's.
- Birthdays: at ``send_time`` on the date (29 February → 28 February in other years); pets that
  are not active (inactive, deceased) get none.
- Invoice link: at ``send_time`` on the due date of an open invoice with something to pay and
  made before that moment (a visit's own invoice, made at the counter, is not sent); the
  cycle invoices of packages get the *ciclo do pacote* notice instead, ``offset_days`` before.
  Both need the public link (``ctx.invoice_link``); without it they are not planned.
- Satisfaction survey: ``offset_hours`` after the visit became ``entregue``, unless answered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func
from sqlmodel import Session, select

from scheduler_core.agenda.models import (
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    Origin,
    StatusChange,
)
from scheduler_core.billing import credit
from scheduler_core.billing.invoices import OPEN_STATUSES, invoice_view
from scheduler_core.billing.models import BillingCycle, Invoice
from scheduler_core.catalog.models import CategoryKind, Service, ServiceCategory
from scheduler_core.kernel.clock import from_utc_naive, local, to_utc
from scheduler_core.kernel.money import format_brl
from scheduler_core.notifications.models import Notification
from scheduler_core.notifications.outbox import Planned, plan_rows
from scheduler_core.notifications.settings import get_prefs, get_setting
from scheduler_core.notifications.texts import Kind
from scheduler_core.people.models import Pet, PetStatus, Tutor
from scheduler_core.plans.models import PetPlan, PetPlanStatus, PlanKind, PlanTemplate
from scheduler_core.shop.info import address_text
from scheduler_core.shop.models import Shop
from scheduler_core.surveys.models import SurveyAnswer

A = AppointmentStatus
#: How far ahead rows are planned (the owner's "next 7 days" plus a day).
HORIZON = timedelta(days=8)
CONFIRM_BUTTONS = (("/confirmar_agendamento", "Confirmar"), ("/remarcar", "Remarcar"),
                   ("/cancelar", "Cancelar"))


@dataclass
class Context:
    """What a source gets: the shop, the moment, its setting and the planning window."""

    session: Session
    shop: Shop
    now: datetime
    setting: object  # NotificationSetting of the source's kind
    low: datetime  # plan rows due from here (UTC)
    high: datetime  # … up to here (UTC)
    invoice_link: Callable[[int, int], str] | None = None  # (invoice_id, shop_id) → public URL
    _planned: set[tuple[str, str, str]] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.shop.timezone)

    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def in_window(self, due: datetime) -> bool:
        return self.low <= to_utc(due) <= self.high

    def is_planned(self, kind: Kind, event_key: str, recipient: str) -> bool:
        """Already in the outbox: the source skips computing its values again. Rows only move
        later (quiet hours, pace), so the keys of rows due from ``low`` are enough."""
        if self._planned is None:
            self._planned = set(self.session.exec(
                select(Notification.kind, Notification.event_key, Notification.recipient)
                .where(Notification.shop_id == self.shop.id, Notification.due_at >= self.low)
            ).all())
        return (str(kind), event_key, recipient) in self._planned


@dataclass(frozen=True)
class Source:
    kind: Kind
    plan: Callable[[Context], Iterable[Planned]]
    check: Callable[[Session, Notification, datetime], str | None] | None = None


SOURCES: dict[Kind, Source] = {}


def register(kind: Kind, *, check: Callable | None = None) -> Callable:
    """Decorator: ``@register(Kind.PET_CARE, check=...)`` on a ``plan(ctx)`` function."""
    def wrap(fn: Callable[[Context], Iterable[Planned]]) -> Callable:
        SOURCES[Kind(kind)] = Source(Kind(kind), fn, check)
        return fn
    return wrap


@dataclass
class PlanRun:
    planned: dict[str, int] = field(default_factory=dict)  # kind → new rows

    @property
    def total(self) -> int:
        return sum(self.planned.values())


def plan_shop(session: Session, shop_id: int, now: datetime, *,
              invoice_link: Callable[[int, int], str] | None = None,
              kinds: Iterable[Kind] | None = None) -> PlanRun:
    """Plan every enabled kind's rows for one shop (the caller commits)."""
    shop = session.get(Shop, shop_id)
    run = PlanRun()
    if shop is None:
        return run
    prefs = get_prefs(session, shop_id)
    low = to_utc(now) - timedelta(hours=prefs.late_drop_hours)
    high = to_utc(now) + HORIZON
    for kind in kinds or list(SOURCES):
        source = SOURCES.get(Kind(kind))
        setting = get_setting(session, shop_id, kind)
        if source is None or not setting.enabled:
            continue
        ctx = Context(session, shop, now, setting, low, high, invoice_link)
        rows = [p for p in source.plan(ctx) if ctx.in_window(p.due_at)]
        run.planned[str(kind)] = plan_rows(session, shop_id, rows, now)
    return run


def check_row(session: Session, row: Notification, now: datetime) -> str | None:
    """The source's last check before sending (None: still to be sent)."""
    source = SOURCES.get(Kind(row.kind)) if row.kind in Kind._value2member_map_ else None
    if source is None or source.check is None:
        return None
    return source.check(session, row, now)


# --------------------------------------------------------------------------- values


def recipient_of(tutor: Tutor | None) -> str:
    """Where a tutor's notifications go: the WhatsApp number, else the business-scoped id."""
    if tutor is None:
        return ""
    return tutor.whatsapp or tutor.wa_user_id or ""


def _service_names(session: Session, appointment_id: int) -> list[tuple[str, str]]:
    """(name, guidance) of the visit's services, in order."""
    return [(n, g or "") for n, g in session.exec(
        select(Service.name, Service.guidance)
        .join(AppointmentItem, AppointmentItem.service_id == Service.id)
        .where(AppointmentItem.appointment_id == appointment_id)
        .order_by(AppointmentItem.position, AppointmentItem.id)).all()]


def _join_names(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1] if names \
        else ""


def base_values(session: Session, shop: Shop, tutor: Tutor | None) -> dict[str, str]:
    values = {"NOME_LOJA": shop.name, "ENDERECO_LOJA": address_text(shop).replace("\n", ", ")}
    if tutor is not None:
        values["NOME_TUTOR"] = tutor.name.split()[0] if tutor.name.strip() else ""
        values["CREDITO_TUTOR"] = format_brl(credit.balance(session, tutor.id))
        open_cents = sum(invoice_view(session, i).totals.open_cents for i in session.exec(
            select(Invoice.id).where(Invoice.tutor_id == tutor.id,
                                     Invoice.status.in_(sorted(OPEN_STATUSES)))).all())
        values["VALOR_ABERTO"] = format_brl(open_cents)
    return values


def appointment_values(session: Session, appt: Appointment,
                       invoice_link: Callable[[int, int], str] | None = None) -> dict[str, str]:
    """The variables of a visit (what the preview and the appointment kinds show)."""
    shop = session.get(Shop, appt.shop_id)
    tutor = session.get(Tutor, appt.tutor_id)
    pet = session.get(Pet, appt.pet_id)
    start = from_utc_naive(appt.start, shop.timezone)
    values = base_values(session, shop, tutor)
    values.update({
        "NOME_PET": pet.name if pet else "",
        "NOME_SERVICO": _join_names([n for n, _g in _service_names(session, appt.id)]),
        "DATA_AGENDAMENTO": f"{start:%d/%m/%Y}",
        "HORARIO_AGENDAMENTO": f"{start:%H:%M}",
        "VALOR_TOTAL": format_brl(max(0, appt.total_cents - appt.discount_cents)),
    })
    invoice = session.exec(select(Invoice).where(
        Invoice.appointment_id == appt.id, Invoice.status != "cancelada")
        .order_by(Invoice.id)).first()
    if invoice is not None:
        values["VALOR_TOTAL"] = format_brl(invoice_view(session, invoice.id).totals.total_cents)
        if invoice_link is not None:
            values["LINK_FATURA"] = invoice_link(invoice.id, invoice.shop_id)
    return values


def _guidance(session: Session, appointment_id: int) -> str:
    parts = [f"{name}: {g.strip()}" for name, g in _service_names(session, appointment_id)
             if g.strip()]
    return "\n".join(dict.fromkeys(parts))


def _appt_row(ctx: Context, appt: Appointment, kind: Kind, key: str, due: datetime, *,
              extra: str = "", buttons: tuple[dict, ...] = (),
              expires: datetime | None = None) -> Planned | None:
    tutor = ctx.session.get(Tutor, appt.tutor_id)
    to = recipient_of(tutor)
    if not to or ctx.is_planned(kind, key, to):
        return None
    return Planned(kind=kind.value, event_key=key, recipient=to, due_at=due, tutor_id=tutor.id,
                   appointment_id=appt.id, pet_id=appt.pet_id,
                   values=appointment_values(ctx.session, appt, ctx.invoice_link),
                   extra_text=extra, buttons=buttons, expires_at=expires)


def confirmation_buttons(appointment_id: int) -> tuple[dict, ...]:
    """The three reply buttons of the confirmation request; their ids are the bot's intents
    with the visit's id (the dialogue answers them)."""
    arg = json.dumps({"agendamento_id": str(appointment_id)}, separators=(",", ":"))
    return tuple({"id": f"{intent}{arg}", "title": title} for intent, title in CONFIRM_BUTTONS)


def _start_key(appt: Appointment) -> str:
    return f"appointment:{appt.id}@{to_utc(appt.start):%Y-%m-%dT%H:%M}"


def _appointments(ctx: Context, *, start_from: datetime, start_to: datetime,
                  statuses: Iterable[str]) -> list[Appointment]:
    return list(ctx.session.exec(select(Appointment).where(
        Appointment.shop_id == ctx.shop.id, Appointment.start >= to_utc(start_from),
        Appointment.start <= to_utc(start_to), Appointment.status.in_(list(statuses)))).all())


def _appointment_of(session: Session, row: Notification) -> Appointment | None:
    return session.get(Appointment, row.appointment_id) if row.appointment_id else None


# --------------------------------------------------------------------------- sources


@register(Kind.NOVO_AGENDAMENTO, check=lambda s, row, now: _still_booked(s, row, now))
def _new_booking(ctx: Context) -> Iterable[Planned]:
    rows = ctx.session.exec(select(Appointment).where(
        Appointment.shop_id == ctx.shop.id, Appointment.created_at >= ctx.low,
        Appointment.created_at <= ctx.high, Appointment.origin != Origin.BOT,
        Appointment.status.in_([A.AGENDADO, A.CONFIRMADO]))).all()
    for appt in rows:
        if to_utc(appt.start) > to_utc(ctx.now) and (row := _appt_row(
                ctx, appt, Kind.NOVO_AGENDAMENTO, f"appointment:{appt.id}", appt.created_at,
                expires=appt.start)):
            yield row


@register(Kind.ORIENTACAO_SERVICO, check=lambda s, row, now: _still_booked(s, row, now))
def _guidance_at_booking(ctx: Context) -> Iterable[Planned]:
    rows = ctx.session.exec(select(Appointment).where(
        Appointment.shop_id == ctx.shop.id, Appointment.created_at >= ctx.low,
        Appointment.created_at <= ctx.high,
        Appointment.status.in_([A.AGENDADO, A.CONFIRMADO]))).all()
    for appt in rows:
        guidance = _guidance(ctx.session, appt.id)
        if guidance and to_utc(appt.start) > to_utc(ctx.now) and (row := _appt_row(
                ctx, appt, Kind.ORIENTACAO_SERVICO, f"appointment:{appt.id}", appt.created_at,
                extra=guidance, expires=appt.start)):
            yield row


def _still_booked(session: Session, row: Notification, now: datetime) -> str | None:
    appt = _appointment_of(session, row)
    if appt is None or appt.status not in (A.AGENDADO, A.CONFIRMADO):
        return "O agendamento foi cancelado."
    return None


@register(Kind.CONFIRMACAO, check=lambda s, row, now: _check_confirmation(s, row, now))
def _confirmation(ctx: Context) -> Iterable[Planned]:
    hours = timedelta(hours=ctx.setting.offset_hours)
    for appt in _appointments(ctx, start_from=ctx.low + hours, start_to=ctx.high + hours,
                              statuses=[A.AGENDADO]):
        due = to_utc(appt.start) - hours
        if to_utc(appt.created_at) > due:
            continue  # booked after the moment of the request: nothing to confirm ahead
        if row := _appt_row(ctx, appt, Kind.CONFIRMACAO, _start_key(appt), due,
                            buttons=confirmation_buttons(appt.id), expires=appt.start):
            yield row


def _moved(appt: Appointment, row: Notification) -> bool:
    return not row.event_key.endswith(f"@{to_utc(appt.start):%Y-%m-%dT%H:%M}")


def _check_confirmation(session: Session, row: Notification, now: datetime) -> str | None:
    appt = _appointment_of(session, row)
    if appt is None or appt.status in (A.CANCELADO, A.NAO_COMPARECEU):
        return "O agendamento foi cancelado."
    if _moved(appt, row):
        return "O agendamento foi remarcado."
    if appt.status == A.CONFIRMADO:
        return "O agendamento já foi confirmado."
    if appt.status != A.AGENDADO:
        return "O atendimento já começou."
    return None


@register(Kind.LEMBRETE, check=lambda s, row, now: _check_reminder(s, row, now))
def _reminder(ctx: Context) -> Iterable[Planned]:
    hours = timedelta(hours=ctx.setting.offset_hours)
    for appt in _appointments(ctx, start_from=ctx.low + hours, start_to=ctx.high + hours,
                              statuses=[A.CONFIRMADO]):
        start_local = from_utc_naive(appt.start, ctx.tz)
        due = max(to_utc(appt.start) - hours,
                  to_utc(datetime.combine(start_local.date(), datetime.min.time(), ctx.tz)))
        if row := _appt_row(ctx, appt, Kind.LEMBRETE, _start_key(appt), due,
                            expires=appt.start):
            yield row


def _check_reminder(session: Session, row: Notification, now: datetime) -> str | None:
    appt = _appointment_of(session, row)
    if appt is None or appt.status in (A.CANCELADO, A.NAO_COMPARECEU):
        return "O agendamento foi cancelado."
    if _moved(appt, row):
        return "O agendamento foi remarcado."
    if appt.status != A.CONFIRMADO:
        return "O agendamento não está confirmado."
    return None


def _status_changes(ctx: Context, to_status: str, delay: timedelta = timedelta()
                    ) -> Iterable[tuple[StatusChange, Appointment]]:
    return ctx.session.exec(
        select(StatusChange, Appointment)
        .join(Appointment, Appointment.id == StatusChange.appointment_id)
        .where(Appointment.shop_id == ctx.shop.id, StatusChange.to_status == to_status,
               StatusChange.at >= ctx.low - delay, StatusChange.at <= ctx.high - delay)
        .order_by(StatusChange.id)).all()


def _status_source(kind: Kind, status: str, still: tuple[str, ...], reason: str,
                   with_guidance: bool = False) -> None:
    def check(session: Session, row: Notification, now: datetime) -> str | None:
        appt = _appointment_of(session, row)
        return None if appt is not None and appt.status in still else reason

    @register(kind, check=check)
    def plan(ctx: Context) -> Iterable[Planned]:
        for change, appt in _status_changes(ctx, status):
            extra = _guidance(ctx.session, appt.id) if with_guidance else ""
            if row := _appt_row(ctx, appt, kind, f"appointment:{appt.id}:{status}", change.at,
                                extra=extra):
                yield row


_status_source(Kind.PET_RECEBIDO, A.RECEBIDO, (A.RECEBIDO, A.EM_ATENDIMENTO),
               "O pet já não está em atendimento.")
_status_source(Kind.SERVICO_FINALIZADO, A.FINALIZADO, (A.FINALIZADO,),
               "O pet já foi entregue.", with_guidance=True)
_status_source(Kind.PET_ENTREGUE, A.ENTREGUE, (A.ENTREGUE,), "O atendimento mudou de status.")


@register(Kind.PESQUISA_SATISFACAO, check=lambda s, row, now: _check_survey(s, row, now))
def _survey(ctx: Context) -> Iterable[Planned]:
    delay = timedelta(hours=ctx.setting.offset_hours)
    for change, appt in _status_changes(ctx, A.ENTREGUE, delay):
        if row := _appt_row(ctx, appt, Kind.PESQUISA_SATISFACAO, f"appointment:{appt.id}",
                            to_utc(change.at) + delay):
            yield row


def _check_survey(session: Session, row: Notification, now: datetime) -> str | None:
    answered = session.exec(select(SurveyAnswer.id).where(
        SurveyAnswer.appointment_id == row.appointment_id)).first()
    return "A pesquisa já foi respondida." if answered is not None else None


# --------------------------------------------------------------------------- win-back


def _holds_plan(session: Session, tutor_id: int) -> bool:
    return session.exec(select(PetPlan.id).where(
        PetPlan.tutor_id == tutor_id, PetPlan.status == PetPlanStatus.ATIVO)).first() is not None


def _has_booking(session: Session, pet_id: int, now: datetime) -> bool:
    return session.exec(select(Appointment.id).where(
        Appointment.pet_id == pet_id, Appointment.start >= to_utc(now),
        Appointment.status.in_([A.AGENDADO, A.CONFIRMADO]))).first() is not None


def _bath_visits(session: Session, shop_id: int) -> Select:
    return (select(Appointment.pet_id, func.max(Appointment.start).label("last"))
            .join(AppointmentItem, AppointmentItem.appointment_id == Appointment.id)
            .join(Service, Service.id == AppointmentItem.service_id)
            .join(ServiceCategory, ServiceCategory.id == Service.category_id)
            .where(Appointment.shop_id == shop_id, ServiceCategory.kind == CategoryKind.BANHO,
                   Appointment.status.in_([A.FINALIZADO, A.ENTREGUE]))
            .group_by(Appointment.pet_id))


@register(Kind.RETORNO, check=lambda s, row, now: _check_winback(s, row, now))
def _winback(ctx: Context) -> Iterable[Planned]:
    days = timedelta(days=ctx.setting.offset_days)
    send_time = ctx.setting.send_time or "10:00"
    last = _bath_visits(ctx.session, ctx.shop.id).subquery()
    rows = ctx.session.exec(select(last.c.pet_id, last.c.last).where(
        last.c.last >= ctx.low - days - timedelta(days=1),
        last.c.last <= ctx.high - days)).all()
    for pet_id, last_start in rows:
        pet = ctx.session.get(Pet, pet_id)
        if pet is None or pet.status != PetStatus.ATIVO:
            continue
        day = from_utc_naive(last_start, ctx.tz).date() + days
        due = local(day, send_time, ctx.tz)
        if _holds_plan(ctx.session, pet.tutor_id) or _has_booking(ctx.session, pet.id, ctx.now):
            continue
        tutor = ctx.session.get(Tutor, pet.tutor_id)
        key = f"winback:pet:{pet.id}@{to_utc(last_start):%Y-%m-%dT%H:%M}"
        if not (to := recipient_of(tutor)) or ctx.is_planned(Kind.RETORNO, key, to):
            continue
        values = base_values(ctx.session, ctx.shop, tutor) | {"NOME_PET": pet.name}
        yield Planned(kind=Kind.RETORNO.value, event_key=key, recipient=to, due_at=due,
                      tutor_id=tutor.id, pet_id=pet.id, values=values)


def _check_winback(session: Session, row: Notification, now: datetime) -> str | None:
    pet = session.get(Pet, row.pet_id) if row.pet_id else None
    if pet is None:
        return "Pet não encontrado."
    if _has_booking(session, pet.id, now):
        return "O pet já tem um agendamento."
    if _holds_plan(session, pet.tutor_id):
        return "O tutor tem plano ou pacote."
    last = session.exec(_bath_visits(session, row.shop_id).where(
        Appointment.pet_id == pet.id)).first()
    if last is not None and not row.event_key.endswith(f"@{to_utc(last[1]):%Y-%m-%dT%H:%M}"):
        return "O pet voltou depois."
    return None


# --------------------------------------------------------------------------- birthdays


def birthday_in(born: date, year: int) -> date:
    """The birthday in ``year`` (29 February → 28 February when the year has none)."""
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def _birthdays(ctx: Context, born: date) -> Iterable[date]:
    today = ctx.today()
    for year in {today.year - 1, today.year, today.year + 1}:
        day = birthday_in(born, year)
        if day >= born and ctx.in_window(local(day, ctx.setting.send_time or "09:00", ctx.tz)):
            yield day


@register(Kind.ANIVERSARIO_TUTOR)
def _tutor_birthday(ctx: Context) -> Iterable[Planned]:
    tutors = ctx.session.exec(select(Tutor).where(
        Tutor.shop_id == ctx.shop.id, Tutor.birth_date.is_not(None))).all()
    for tutor in tutors:
        for day in _birthdays(ctx, tutor.birth_date):
            key = f"birthday:tutor:{tutor.id}:{day.year}"
            if (to := recipient_of(tutor)) and not ctx.is_planned(Kind.ANIVERSARIO_TUTOR, key,
                                                                   to):
                yield Planned(kind=Kind.ANIVERSARIO_TUTOR.value, event_key=key, recipient=to,
                              due_at=local(day, ctx.setting.send_time or "09:00", ctx.tz),
                              tutor_id=tutor.id,
                              values=base_values(ctx.session, ctx.shop, tutor))


@register(Kind.ANIVERSARIO_PET)
def _pet_birthday(ctx: Context) -> Iterable[Planned]:
    pets = ctx.session.exec(select(Pet, Tutor).join(Tutor, Tutor.id == Pet.tutor_id).where(
        Tutor.shop_id == ctx.shop.id, Pet.birth_date.is_not(None),
        Pet.status == PetStatus.ATIVO)).all()
    for pet, tutor in pets:
        for day in _birthdays(ctx, pet.birth_date):
            key = f"birthday:pet:{pet.id}:{day.year}"
            if (to := recipient_of(tutor)) and not ctx.is_planned(Kind.ANIVERSARIO_PET, key, to):
                yield Planned(kind=Kind.ANIVERSARIO_PET.value, event_key=key, recipient=to,
                              due_at=local(day, ctx.setting.send_time or "09:00", ctx.tz),
                              tutor_id=tutor.id, pet_id=pet.id,
                              values=base_values(ctx.session, ctx.shop, tutor)
                              | {"NOME_PET": pet.name})


# --------------------------------------------------------------------------- invoices


def invoice_values(session: Session, invoice_id: int,
                   invoice_link: Callable[[int, int], str] | None) -> dict[str, str]:
    view = invoice_view(session, invoice_id)
    shop = session.get(Shop, view.shop_id)
    tutor = session.get(Tutor, view.tutor_id)
    values = base_values(session, shop, tutor) | {
        "NOME_PET": view.pet_name, "VALOR_TOTAL": format_brl(view.totals.total_cents)}
    if view.due_date:
        values["DATA_AGENDAMENTO"] = f"{view.due_date:%d/%m/%Y}"
    if invoice_link is not None:
        values["LINK_FATURA"] = invoice_link(view.id, view.shop_id)
    return values


def _package_invoice_ids(session: Session, shop_id: int) -> Select:
    return (select(BillingCycle.invoice_id)
            .join(PetPlan, PetPlan.id == BillingCycle.pet_plan_id)
            .join(PlanTemplate, PlanTemplate.id == PetPlan.template_id)
            .where(PlanTemplate.kind == PlanKind.PACOTE, BillingCycle.invoice_id.is_not(None)))


def _check_invoice(session: Session, row: Notification, now: datetime) -> str | None:
    invoice_id = int(row.event_key.split(":")[1].split("@")[0])
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.status not in OPEN_STATUSES:
        return "A fatura já foi paga ou cancelada."
    if invoice_view(session, invoice_id).totals.open_cents <= 0:
        return "A fatura já foi paga."
    return None


@register(Kind.FATURA, check=_check_invoice)
def _invoice_due(ctx: Context) -> Iterable[Planned]:
    if ctx.invoice_link is None:
        return
    send_time = ctx.setting.send_time or "09:00"
    first = (ctx.low - timedelta(days=1)).astimezone(ctx.tz).date()
    last = ctx.high.astimezone(ctx.tz).date()
    invoices = ctx.session.exec(select(Invoice).where(
        Invoice.shop_id == ctx.shop.id, Invoice.status.in_(sorted(OPEN_STATUSES)),
        Invoice.due_date >= first, Invoice.due_date <= last,
        Invoice.id.not_in(_package_invoice_ids(ctx.session, ctx.shop.id)))).all()
    for invoice in invoices:
        due = local(invoice.due_date, send_time, ctx.tz)
        if to_utc(invoice.created_at) > to_utc(due):
            continue  # made at the counter after its due moment (a visit's own invoice)
        tutor = ctx.session.get(Tutor, invoice.tutor_id)
        key = f"invoice:{invoice.id}@{invoice.due_date:%Y-%m-%d}"
        if not (to := recipient_of(tutor)) or ctx.is_planned(Kind.FATURA, key, to):
            continue
        if invoice_view(ctx.session, invoice.id).totals.open_cents <= 0:
            continue
        yield Planned(kind=Kind.FATURA.value, event_key=key, recipient=to, due_at=due,
                      tutor_id=tutor.id, pet_id=invoice.pet_id,
                      values=invoice_values(ctx.session, invoice.id, ctx.invoice_link))


@register(Kind.CICLO_PACOTE, check=_check_invoice)
def _package_cycle(ctx: Context) -> Iterable[Planned]:
    if ctx.invoice_link is None:
        return
    days = timedelta(days=ctx.setting.offset_days)
    send_time = ctx.setting.send_time or "09:00"
    first = (ctx.low - timedelta(days=1)).astimezone(ctx.tz).date() + days
    last = ctx.high.astimezone(ctx.tz).date() + days
    cycles = ctx.session.exec(
        select(BillingCycle, PetPlan)
        .join(PetPlan, PetPlan.id == BillingCycle.pet_plan_id)
        .join(PlanTemplate, PlanTemplate.id == PetPlan.template_id)
        .join(Tutor, Tutor.id == PetPlan.tutor_id)
        .where(Tutor.shop_id == ctx.shop.id, PlanTemplate.kind == PlanKind.PACOTE,
               PetPlan.status == PetPlanStatus.ATIVO, BillingCycle.invoice_id.is_not(None),
               BillingCycle.due_date >= first, BillingCycle.due_date <= last)).all()
    for cycle, plan in cycles:
        invoice = ctx.session.get(Invoice, cycle.invoice_id)
        if invoice is None or invoice.status not in OPEN_STATUSES:
            continue
        tutor = ctx.session.get(Tutor, plan.tutor_id)
        key = f"invoice:{invoice.id}@cycle:{cycle.id}"
        if (to := recipient_of(tutor)) and not ctx.is_planned(Kind.CICLO_PACOTE, key, to):
            values = invoice_values(ctx.session, invoice.id, ctx.invoice_link)
            values["DATA_AGENDAMENTO"] = f"{cycle.due_date:%d/%m/%Y}"
            pet = ctx.session.get(Pet, plan.pet_id)
            values["NOME_PET"] = pet.name if pet else values.get("NOME_PET", "")
            yield Planned(kind=Kind.CICLO_PACOTE.value,
                          event_key=key, recipient=to,
                          due_at=local(cycle.due_date - days, send_time, ctx.tz),
                          tutor_id=tutor.id, pet_id=plan.pet_id, values=values)
