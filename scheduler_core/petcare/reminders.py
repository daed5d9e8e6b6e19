"""Pet Care's source of WhatsApp notifications, registered in the notifications planner
(:func:`scheduler_core.notifications.planner.register`, kind ``pet_care``).

Two notices per scheduled dose with the reminder on (its protocol active, the pet active):

- *antes*: ``offset_days`` (the kind's setting, default 3) before the due date at its
  ``send_time``; a dose scheduled later than that moment (due in less than ``offset_days``)
  is reminded at once, unless its date has already passed;
- *atrasada*: the day after the due date at ``send_time`` when the dose was not recorded as
  applied, the same text followed by a line saying it is late.

The Notificações preview of this kind is rendered on the shop's next scheduled dose
(:func:`preview_sample`). The event key carries the dose and its due date
("petcare:12:2026-03-12:antes"), so moving the date plans a new reminder and the old one
is dropped before sending ("dose remarcada"); a dose applied, removed or switched off in
the meantime is dropped the same way (:func:`check_dose`). The variables: (NOME_SERVICO) is
the protocol's name, (DATA_AGENDAMENTO) the due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlmodel import Session

from scheduler_core.kernel.clock import from_utc_naive, local
from scheduler_core.notifications.models import Notification
from scheduler_core.notifications.outbox import Planned
from scheduler_core.notifications.planner import Context, base_values, recipient_of, register
from scheduler_core.notifications.screen import Sample, register_sample
from scheduler_core.notifications.texts import Kind
from scheduler_core.people.models import Pet, PetStatus, Tutor
from scheduler_core.petcare.models import PetCareDose, PetCareProtocol
from scheduler_core.petcare.rules import dose_label, reminder_day
from scheduler_core.petcare.service import due_doses, schedule_of
from scheduler_core.shop.models import Shop

BEFORE, LATE = "antes", "atrasada"
DEFAULT_SEND_TIME = "09:00"


def event_key(dose: PetCareDose, phase: str) -> str:
    return f"petcare:{dose.id}:{dose.due_on.isoformat()}:{phase}"


def parse_key(key: str) -> tuple[int, date, str] | None:
    try:
        prefix, dose_id, due, phase = key.split(":")
        if prefix != "petcare":
            return None
        return int(dose_id), date.fromisoformat(due), phase
    except ValueError:
        return None


def late_line(due_on: date) -> str:
    return f"Atenção: essa dose venceu em {due_on:%d/%m/%Y} e ainda não foi registrada."


def _moments(ctx: Context, dose: PetCareDose) -> list[tuple[str, datetime]]:
    at = ctx.setting.send_time or DEFAULT_SEND_TIME
    days = max(0, int(ctx.setting.offset_days or 0))
    before = local(reminder_day(dose.due_on, days), at, ctx.tz)
    today = ctx.today()
    if before < ctx.now and dose.due_on >= today:
        before = ctx.now  # scheduled at short notice: remind now (the sender keeps quiet hours)
    late = local(dose.due_on + timedelta(days=1), at, ctx.tz)
    return [(BEFORE, before), (LATE, late)]


def dose_values(session: Session, shop: Shop, dose: PetCareDose, protocol: PetCareProtocol,
                pet: Pet, tutor: Tutor | None) -> dict[str, str]:
    """The variables of a dose's notice: (NOME_SERVICO) the protocol, (DATA_AGENDAMENTO) the
    due date."""
    return base_values(session, shop, tutor) | {
        "NOME_PET": pet.name, "NOME_SERVICO": protocol.name,
        "DATA_AGENDAMENTO": f"{dose.due_on:%d/%m/%Y}" if dose.due_on else "",
        "HORARIO_AGENDAMENTO": ""}


@register_sample(Kind.PET_CARE)
def preview_sample(session: Session, shop: Shop, now: datetime) -> Sample | None:
    """The Notificações preview of this kind: the shop's next scheduled dose (the latest
    overdue one when none is ahead); None without any, so the preview uses a visit."""
    today = from_utc_naive(now, shop.timezone).date()
    pending = due_doses(session, shop_id=shop.id, until=date.max)
    if not pending:
        return None
    ahead = [(d, p) for d, p in pending if d.due_on >= today]
    dose, protocol = ahead[0] if ahead else pending[-1]
    pet = session.get(Pet, dose.pet_id)
    if pet is None:
        return None
    values = dose_values(session, shop, dose, protocol, pet, session.get(Tutor, pet.tutor_id))
    label = dose_label(schedule_of(protocol), dose.number)
    return Sample(None, f"{pet.name} · {protocol.name} ({label.lower()}) · {dose.due_on:%d/%m/%Y}",
                  values)


@register(Kind.PET_CARE, check=lambda s, row, now: check_dose(s, row, now))
def plan_dose_reminders(ctx: Context) -> Iterable[Planned]:
    today = ctx.today()
    days = max(0, int(ctx.setting.offset_days or 0))
    # Late notices of doses due up to a few days ago (the window's start drops older ones);
    # reminders of doses due within the planning horizon plus the advance.
    since = today - timedelta(days=3)
    until = today + timedelta(days=days + (ctx.high - ctx.now).days + 1)
    for dose, protocol in due_doses(ctx.session, shop_id=ctx.shop.id, since=since, until=until):
        pet = ctx.session.get(Pet, dose.pet_id)
        tutor = ctx.session.get(Tutor, pet.tutor_id) if pet else None
        to = recipient_of(tutor)
        if pet is None or pet.status != PetStatus.ATIVO or not to:
            continue
        for phase, due in _moments(ctx, dose):
            key = event_key(dose, phase)
            if not ctx.in_window(due) or ctx.is_planned(Kind.PET_CARE, key, to):
                continue
            yield Planned(kind=Kind.PET_CARE.value, event_key=key, recipient=to, due_at=due,
                          tutor_id=tutor.id, pet_id=pet.id,
                          values=dose_values(ctx.session, ctx.shop, dose, protocol, pet, tutor),
                          extra_text=late_line(dose.due_on) if phase == LATE else "")


def check_dose(session: Session, row: Notification, now: datetime) -> str | None:
    """Why a planned Pet Care notice must not go out any more (pt-BR), or None."""
    parsed = parse_key(row.event_key)
    if parsed is None:
        return "lembrete de dose inválido"
    dose_id, due_on, _phase = parsed
    dose = session.get(PetCareDose, dose_id)
    if dose is None:
        return "dose removida"
    if dose.applied_on is not None:
        return "dose já aplicada"
    if dose.due_on != due_on:
        return "dose remarcada"
    if not dose.reminder:
        return "lembrete da dose desligado"
    protocol = session.get(PetCareProtocol, dose.protocol_id)
    if protocol is None or not protocol.active:
        return "protocolo desativado"
    pet = session.get(Pet, dose.pet_id)
    if pet is None or pet.status != PetStatus.ATIVO:
        return "pet inativo"
    return None
