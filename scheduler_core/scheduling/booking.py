"""Long because: find, book and reschedule share token checks and revalidation (others edit it).

Booking use cases: :func:`find_slots` (free slots, each with a token), :func:`book` (take
one) and :func:`reschedule` (move a booking). The REST API, the Rasa actions and the admin panel
all call the booking service; none of them re-implements a rule. Its other modules:
:mod:`scheduler_core.scheduling.visit_status` (status flow, cancel, no-show),
:mod:`scheduler_core.scheduling.encaixe` (staff squeeze-ins),
:mod:`scheduler_core.scheduling.appointments` (read
side) and :mod:`scheduler_core.scheduling.booking_support` (what they share).

Conventions (every module of the booking service):

- Write functions take the SQLAlchemy ``Engine`` and run their own transaction; read helpers
  (``upcoming_for_pet`` ...) take a ``Session``.
- ``now`` is always passed in and must be timezone-aware; storage is UTC (aware datetimes,
  see models).
- ``actor`` is recorded in the audit log and status history ("staff:3", "bot", "api:client").
- ``channel`` is "staff" or "bot"; the bot channel adds the BotSettings rules (minimum notice,
  enabled actions, paid appointments handed off to a human).
- Every refusal is a :class:`scheduler_core.kernel.errors.CoreError` with a stable ``code`` and a
  pt-BR
  ``message``.
- Returned ORM objects are detached and fully loaded (``expire_on_commit=False``).

No double booking, ever. Every write that takes capacity (``book``, ``reschedule``, ``encaixe``)
runs in a transaction that first locks, then re-validates:

- SQLite: the transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time);
- PostgreSQL: ``SELECT ... FOR UPDATE`` on the Employee rows of the slot (ordered by id), then on
  the Resource rows its services use (ordered by id), then the Pet row and, for a plan booking,
  the plan's Allowance rows (ordered by id, ``scheduler_core.plans.service``). Every booking locks
  in
  that same global order (appointment row first when moving one), so concurrent bookings never
  deadlock, and each statement after the lock sees the rows committed by the previous holder
  (READ COMMITTED).

Then the agenda snapshot is rebuilt inside the transaction and the token's exact slot (same start,
same professional and times per item) must still be offered.

Combos: ``find_slots(combo_id=...)`` prices each slot as the combo (catalog.combo_price) and the
token carries it; ``book`` stores ``combo_id``/``discount_cents``. Plans: the allowance rules live
in ``scheduler_core.plans.service``; ``book`` (and visit_status's ``cancel`` and ``mark_no_show``)
call
it inside their write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.agenda.models import (
    FREEING_STATUSES,
    Appointment,
    AppointmentStatus,
    Origin,
)
from scheduler_core.catalog.combos import combo_services, visit_services
from scheduler_core.catalog.models import Combo, Service
from scheduler_core.catalog.segments import services_segment
from scheduler_core.db.engine import is_postgres, write_session
from scheduler_core.kernel.channels import Channel
from scheduler_core.kernel.clock import from_utc_naive, to_utc
from scheduler_core.kernel.errors import (
    ActionDisabled,
    NotFound,
    NoticeTooShort,
    NotReschedulable,
    PetBusy,
    PetNotBookable,
    SlotTaken,
    TokenExpired,
    TokenInvalid,
    ValidationFailed,
)
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import PetPlan, PetPlanStatus
from scheduler_core.scheduling import availability, idempotency, occupancy, tokens
from scheduler_core.scheduling.agenda_types import (
    AgendaSnapshot,
    Availability,
    AvailabilityQuery,
    NoSlotReason,
    PetInfo,
    Slot,
    SlotItem,
)
from scheduler_core.scheduling.appointments import appointment_items
from scheduler_core.scheduling.booking_support import (
    audit_appointment,
    check_owner,
    check_pet_bookable,
    combo_discount,
    get_appointment,
    get_pet,
    hours_text,
    insert_visit,
    leva_e_traz_fee_for,
    lock_capacity,
    require_aware,
    valid_channel,
)
from scheduler_core.scheduling.notice import change_refusal, leva_e_traz_refusal
from scheduler_core.scheduling.snapshot import get_bot_settings, load_snapshot, pet_info
from scheduler_core.scheduling.visit_status import OPEN_STATUSES
from scheduler_core.shop.models import Employee, Segment, Shop

S = AppointmentStatus

MAX_RANGE_DAYS = 120
# Searches are refused for dates further than this from today (about five years).
SEARCH_WINDOW_DAYS = 5 * 366
_PET_REASONS = frozenset(
    {
        NoSlotReason.BREED_NOT_ACCEPTED,
        NoSlotReason.PORTE_NOT_ACCEPTED,
        NoSlotReason.PET_DATA_MISSING,
        NoSlotReason.SPECIES_NOT_SERVED,
    }
)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class OfferedSlot:
    """A free slot plus the opaque token that books (or moves to) it."""

    start: datetime  # shop wall clock, aware
    end: datetime
    items: tuple[SlotItem, ...]
    total_cents: int  # what the tutor pays: for a combo, the sum minus the discount
    token: str
    discount_cents: int = 0  # combo discount included in total_cents
    combo_id: int | None = None

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def employee_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(it.employee_id for it in self.items))


@dataclass(frozen=True)
class Offer:
    """Result of :func:`find_slots`: the slots, or why there is none (``reason``/``message``)."""

    slots: tuple[OfferedSlot, ...]
    reason: NoSlotReason | None = None
    message: str = ""  # pt-BR; empty when there are slots
    shop_id: int = 0
    segment_id: int = 0
    pet_id: int = 0
    service_ids: tuple[int, ...] = ()
    combo_id: int | None = None
    # pt-BR, set when every free slot was inside the Leva e Traz notice (``leva_e_traz=True``)
    leva_e_traz_refusal: str = ""


# --------------------------------------------------------------------------- guards


def _move_secret(secret: str, appointment_id: int) -> str:
    """Tokens for moving an appointment are signed with a per-appointment key, so a booking token
    cannot move an appointment and a moving token cannot create a new one."""
    return f"{secret}|move:{appointment_id}"


def _decode(
    token: str, secret: str, now: datetime, *, check_expiry: bool = True
) -> tokens.SlotGrant:
    if not token or not isinstance(token, str):
        raise TokenInvalid()
    try:
        return tokens.slot_from_token(token, secret=secret, now=now, check_expiry=check_expiry)
    except tokens.TokenExpired as exc:
        raise TokenExpired() from exc
    except tokens.TokenError as exc:
        raise TokenInvalid() from exc


def _check_pet_free(
    session: Session, pet: Pet, start: datetime, end: datetime, *, except_id: int | None = None
) -> None:
    """One pet cannot be in two visits at once (e.g. a tutor tapping two slots in a row).

    The pet row is locked on PostgreSQL so two concurrent bookings of one pet serialise."""
    if is_postgres(session):
        session.execute(select(Pet.id).where(Pet.id == pet.id).with_for_update()).all()
    clash = session.exec(
        select(Appointment.id).where(
            Appointment.pet_id == pet.id,
            Appointment.status.not_in([str(s) for s in FREEING_STATUSES]),
            Appointment.start < to_utc(end),
            Appointment.end > to_utc(start),
            Appointment.id != (except_id or -1),
        )
    ).first()
    if clash is not None:
        raise PetBusy(
            f"{pet.name} já tem um agendamento que coincide com esse horário.",
            details={"appointment_id": clash},
        )


def _check_reschedulable(appt: Appointment) -> None:
    if appt.status not in OPEN_STATUSES:
        raise NotReschedulable(
            f"Agendamentos com status {STATUS_LABELS.get(appt.status, appt.status)} "
            "não podem ser remarcados."
        )


def _by_idempotency_key(session: Session, key: str) -> Appointment | None:
    return (
        session.execute(select(Appointment).where(Appointment.idempotency_key == key))
        .scalars()
        .first()
    )


# --------------------------------------------------------------------------- re-validation


def _same_slot(a: Slot, b: Slot) -> bool:
    if a.start != b.start or a.end != b.end or len(a.items) != len(b.items):
        return False
    return all(
        x.service_id == y.service_id
        and x.employee_id == y.employee_id
        and x.start == y.start
        and x.end == y.end
        for x, y in zip(a.items, b.items, strict=True)
    )


def _pinned_query(
    snapshot: AgendaSnapshot,
    pet: PetInfo,
    slot: Slot,
    *,
    now: datetime,
    channel: str,
    moving_appointment_id: int | None,
) -> AvailabilityQuery:
    """A query that asks the engine for exactly the token's professionals."""
    by_category: dict[int, set[int]] = {}
    for it in slot.items:
        svc = snapshot.services.get(it.service_id)
        if svc is not None:
            by_category.setdefault(svc.category_id, set()).add(it.employee_id)
    pinned = {cat: next(iter(emps)) for cat, emps in by_category.items() if len(emps) == 1}
    zone = ZoneInfo(snapshot.timezone)
    return AvailabilityQuery(
        pet=pet,
        service_ids=tuple(it.service_id for it in slot.items),
        date_from=slot.start.astimezone(zone).date(),
        date_to=slot.start.astimezone(zone).date(),
        now=now,
        channel=channel,
        employee_by_category=pinned,
        moving_appointment_id=moving_appointment_id,
        preferred_employee_ids=frozenset(it.employee_id for it in slot.items),
    )


def _revalidate(
    session: Session,
    *,
    grant: tokens.SlotGrant,
    pet: Pet,
    now: datetime,
    channel: str,
    moving_appointment_id: int | None = None,
) -> Slot:
    """The fresh engine slot equal to the token's slot, or SlotTaken / PetNotBookable."""
    slot = grant.slot
    shop = session.get(Shop, grant.shop_id)
    tz = shop.timezone if shop else "America/Sao_Paulo"
    zone = ZoneInfo(tz)
    day_from = slot.start.astimezone(zone).date()
    day_to = slot.end.astimezone(zone).date()
    snapshot = load_snapshot(
        session, grant.shop_id, grant.segment_id, day_from, max(day_from, day_to)
    )
    # Display thinning is a presentation filter: a slot offered once stays valid even if the
    # shop changes it meanwhile.
    snapshot = replace(
        snapshot,
        bot_rules=replace(snapshot.bot_rules, display="todos"),
        staff_rules=replace(snapshot.staff_rules, display="todos"),
    )
    rules = snapshot.bot_rules if channel == Channel.BOT else snapshot.staff_rules
    # A slot that got too close is simply gone: slot_taken, so callers offer times again.
    if slot.start < now:  # as availability: a slot may start right now (min notice 0)
        raise SlotTaken(
            "Esse horário já passou. Vamos escolher outro horário?", details={"reason": "past"}
        )
    if rules.min_notice_min and slot.start < now + timedelta(minutes=rules.min_notice_min):
        hours = rules.min_notice_min // 60
        raise SlotTaken(
            f"Esse horário ficou muito próximo: agendamos com pelo menos "
            f"{hours_text(hours) if hours else str(rules.min_notice_min) + ' minutos'} "
            "de antecedência. Vamos escolher outro horário?",
            details={"reason": "min_notice"},
        )
    query = _pinned_query(
        snapshot,
        pet_info(pet),
        slot,
        now=now,
        channel=channel,
        moving_appointment_id=moving_appointment_id,
    )
    result = availability.find_slots(snapshot, query)
    for fresh in result.slots:
        if _same_slot(fresh, slot):
            return fresh
    if not result.slots and result.reason in _PET_REASONS:
        raise PetNotBookable(result.message or None, details={"reason": str(result.reason)})
    details = {"reason": str(result.reason) if result.reason else "taken"}
    if result.reason == NoSlotReason.RESTRICTION and result.message:
        raise SlotTaken(result.message, details=details)
    raise SlotTaken(details=details)


# --------------------------------------------------------------------------- find slots


def _check_search_window(date_from: date, date_to: date, now: datetime) -> None:
    """Dates more than :data:`SEARCH_WINDOW_DAYS` from today are refused: far beyond any
    horizon, and near the calendar's ends (year 1 or 9999) the times cannot be computed."""
    today = now.date()
    low = today - timedelta(days=SEARCH_WINDOW_DAYS)
    high = today + timedelta(days=SEARCH_WINDOW_DAYS)
    for field, day in (("date_from", date_from), ("date_to", date_to)):
        if not low <= day <= high:
            raise ValidationFailed(
                f"Data fora do período de busca: escolha datas entre {low:%d/%m/%Y} e "
                f"{high:%d/%m/%Y}.",
                details={"field": field},
            )


def find_slots(
    engine: Engine,
    *,
    shop_id: int,
    pet_id: int,
    service_ids: Iterable[int] | None,
    date_from: date,
    date_to: date,
    channel: str,
    now: datetime,
    secret: str,
    employee_by_category: Mapping[int, int] | None = None,
    moving_appointment_id: int | None = None,
    ttl_min: int = 30,
    combo_id: int | None = None,
    preferred_employee_ids: Iterable[int] = (),
    leva_e_traz: bool = False,
) -> Offer:
    """Free slots for a pet and services between two dates (shop wall clock, inclusive).

    With ``combo_id`` the visit is that combo: its services are booked (``service_ids`` may
    add extra services, e.g. add-ons, priced normally) and each slot's ``total_cents`` is the
    combo price — the components' prices for this pet minus the combo discount (R$ or %, as
    :func:`scheduler_core.catalog.offers.combo_price` computes it); the token carries the combo, so
    :func:`book` stores it. Combos cannot be used when moving an appointment.

    Each slot carries a token for :func:`book` (or, with ``moving_appointment_id``, for
    :func:`reschedule` of that appointment). When moving, ``service_ids`` may be empty (the
    appointment's services are used), the appointment's own slot does not block it, and its
    current professionals are preferred (any other qualified one is used when they are busy);
    ``preferred_employee_ids`` adds professionals preferred the same way.
    Days of a creche or hotel segment with no place left for this pet are left out
    (``occupancy.full_days``). With ``leva_e_traz`` on the bot channel, slots inside the
    shop's Leva e Traz notice are dropped (:func:`book` would refuse them); when that leaves
    none, ``leva_e_traz_refusal`` says why in pt-BR.
    No slot → ``Offer.slots`` empty with ``reason`` and a pt-BR ``message``.
    """
    require_aware(now)
    channel = valid_channel(channel)
    if not secret:
        raise ValueError("secret must not be empty")
    if not isinstance(date_from, date) or not isinstance(date_to, date):
        raise ValidationFailed("Datas inválidas.")
    if date_to < date_from:
        raise ValidationFailed("A data final é anterior à data inicial.")
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed(f"Escolha um período de até {MAX_RANGE_DAYS} dias.")
    _check_search_window(date_from, date_to, now)

    with Session(engine, expire_on_commit=False) as session:
        pet, _tutor = get_pet(session, pet_id, shop_id)
        check_pet_bookable(pet)
        preferred = frozenset(int(e) for e in preferred_employee_ids)
        ids = list(dict.fromkeys(int(s) for s in (service_ids or ())))
        combo: Combo | None = None
        combo_ids: list[int] = []
        if combo_id is not None:
            if moving_appointment_id is not None:
                raise ValidationFailed(
                    "Na remarcação os serviços do agendamento são mantidos; não informe combo."
                )
            combo, combo_ids = _combo_for_pet(session, combo_id, pet, shop_id, channel)
            ids = visit_services(session, ids, [combo.id])
        if moving_appointment_id is not None:
            appt = get_appointment(session, moving_appointment_id)
            if appt.pet_id != pet.id or appt.shop_id != shop_id:
                raise ValidationFailed("Esse agendamento é de outro pet.")
            _check_reschedulable(appt)
            items = appointment_items(session, appt.id)
            if not ids:
                ids = [it.service_id for it in items]
            preferred |= {it.employee_id for it in items}
        if not ids:
            raise ValidationFailed("Escolha pelo menos um serviço.")
        segment_id = services_segment(session, ids)
        snapshot = load_snapshot(session, shop_id, segment_id, date_from, date_to)
        shop = session.get(Shop, shop_id)
        leva_notice = shop.leva_e_traz_min_notice_hours if shop is not None else 0
        full = occupancy.full_days(
            session, segment_id=segment_id, species=pet.species,
            days=[date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)])

    query = AvailabilityQuery(
        pet=pet_info(pet),
        service_ids=tuple(ids),
        date_from=date_from,
        date_to=date_to,
        now=now,
        channel=channel,
        employee_by_category=dict(employee_by_category or {}),
        moving_appointment_id=moving_appointment_id,
        preferred_employee_ids=preferred,
    )
    result = availability.find_slots(snapshot, query)
    key = secret if moving_appointment_id is None else _move_secret(secret, moving_appointment_id)
    offered = []
    slots = list(result.slots)
    refusal = ""
    if leva_e_traz and channel == Channel.BOT and slots:
        slots, refusal = _outside_leva_notice(slots, leva_notice, now)
    reason, message = result.reason, result.message
    if full and slots:
        slots, reason, message = _without_full_days(slots, full, snapshot.timezone, result)
    for slot in slots:
        grant = None
        if combo is not None:
            grant, slot = price_as_combo(combo, combo_ids, slot)
        offered.append(
            OfferedSlot(
                start=slot.start,
                end=slot.end,
                items=slot.items,
                total_cents=slot.total_cents,
                token=tokens.slot_token(
                    slot,
                    shop_id=shop_id,
                    pet_id=pet.id,
                    segment_id=segment_id,
                    secret=key,
                    now=now,
                    ttl_min=ttl_min,
                    combo=grant,
                ),
                discount_cents=grant.discount_cents if grant else 0,
                combo_id=combo.id if combo else None,
            )
        )
    return Offer(
        slots=tuple(offered),
        reason=reason,
        message=message,
        shop_id=shop_id,
        segment_id=segment_id,
        pet_id=pet.id,
        service_ids=tuple(ids),
        combo_id=combo.id if combo else None,
        leva_e_traz_refusal=refusal,
    )


def _outside_leva_notice(slots: list[Slot], notice_hours: int, now: datetime
                         ) -> tuple[list[Slot], str]:
    """``slots`` outside the shop's Leva e Traz notice, with the pt-BR refusal when none is."""
    kept = [sl for sl in slots if leva_e_traz_refusal(notice_hours, sl.start, now) is None]
    if kept:
        return kept, ""
    return [], leva_e_traz_refusal(notice_hours, slots[0].start, now) or ""


def _without_full_days(slots: list[Slot], full: set[date], timezone: str,
                       result: Availability,
                       ) -> tuple[list[Slot], NoSlotReason | None, str]:
    """``slots`` without those on a creche / hotel day with no place left
    (scheduling/occupancy.py), with the reason and pt-BR message when none is left."""
    zone = ZoneInfo(timezone)
    kept = [sl for sl in slots if sl.start.astimezone(zone).date() not in full]
    if kept:
        return kept, result.reason, result.message
    return [], NoSlotReason.FULL, "Não há mais vagas nos dias procurados. Escolha outra data."


# --------------------------------------------------------------------------- combos


def price_as_combo(
    combo: Combo, combo_ids: Iterable[int], slot: Slot
) -> tuple[tokens.ComboGrant, Slot]:
    """The combo grant a slot's token carries and the slot priced as the combo (its total less
    the discount over the combo's components, as :func:`book` stores it)."""
    members = tuple(combo_ids)
    discount = combo_discount(
        combo.discount_kind,
        combo.discount_value,
        [(it.service_id, it.price_cents) for it in slot.items],
        members,
    )
    grant = tokens.ComboGrant(
        combo_id=combo.id,
        service_ids=members,
        discount_kind=combo.discount_kind,
        discount_value=combo.discount_value,
        discount_cents=discount,
    )
    return grant, replace(slot, total_cents=sum(it.price_cents for it in slot.items) - discount)


def _combo_for_pet(
    session: Session, combo_id: int, pet: Pet, shop_id: int, channel: str
) -> tuple[Combo, list[int]]:
    """The combo and its services, when it can be booked for this pet on this channel."""
    combo = session.get(Combo, combo_id) if isinstance(combo_id, int) else None
    segment = session.get(Segment, combo.segment_id) if combo is not None else None
    if combo is None or segment is None or segment.shop_id != shop_id:
        raise NotFound("Combo não encontrado.", details={"combo_id": combo_id})
    ids = combo_services(session, combo.id)
    inactive = session.execute(
        select(Service.id).where(Service.id.in_(ids or [0]), Service.active.is_(False))
    ).first()
    if (
        not combo.active
        or not segment.active
        or not ids
        or inactive is not None
        or (channel == Channel.BOT and not combo.show_on_bot)
    ):
        raise ValidationFailed(
            "Este combo não está disponível.", details={"combo_id": combo.id}
        )
    if pet.species not in (combo.species or []):
        raise ValidationFailed(
            f"Este combo não está disponível para {pet.name}.",
            details={"combo_id": combo.id, "species": pet.species},
        )
    return combo, ids


# --------------------------------------------------------------------------- book


def _leva_e_traz_booking(
    session: Session, shop: Shop, tutor: Tutor, slot: Slot, *, now: datetime, channel: str
) -> tuple[int, int | None]:
    """(fee, zone id) of a visit booked with Leva e Traz; refused when the shop does not offer
    it or, on the bot channel, when it is asked for with less than the shop's notice."""
    if not shop.leva_e_traz_enabled:
        raise ValidationFailed("Esta loja não oferece Leva e Traz.")
    refusal = leva_e_traz_refusal(shop.leva_e_traz_min_notice_hours, slot.start, now)
    if channel == Channel.BOT and refusal is not None:
        raise NoticeTooShort(refusal)
    return leva_e_traz_fee_for(session, shop, tutor)


def _combo_discount(
    combo: tokens.ComboGrant | None, lines: list[tuple[SlotItem, int, bool]]
) -> int:
    """The combo's discount over the lines' prices (0 without a combo)."""
    if combo is None:
        return 0
    return combo_discount(
        combo.discount_kind,
        combo.discount_value,
        [(it.service_id, price) for it, price, _p in lines],
        combo.service_ids,
    )


def _plan_for_booking(
    session: Session, pet_plan_id: int | None, pet: Pet, segment_id: int, day: date
) -> tuple[PetPlan | None, str]:
    """The pet's plan for a visit on ``day`` (its units are claimed in plans.py), or None and
    the reason when the plan no longer covers the visit: an expired or cancelled plan, or a day
    outside its term, falls back to the normal price (scheduling.md §7 point 11); staff then
    renew or sell a new one. A plan of another pet or segment is an error of the caller."""
    if pet_plan_id is None:
        return None, ""
    plan = session.get(PetPlan, pet_plan_id)
    if plan is None or plan.pet_id != pet.id:
        raise NotFound("Plano não encontrado para este pet.", details={"pet_plan_id": pet_plan_id})
    if plan.segment_id != segment_id:
        raise ValidationFailed("Este plano não cobre serviços deste setor.")
    if plan.status != PetPlanStatus.ATIVO:
        return None, "Plano não está ativo: agendado com o preço normal."
    if not (plan.start_date <= day <= plan.end_date):
        return None, "Data fora da vigência do plano: agendado com o preço normal."
    return plan, ""


def store_booking(
    session: Session,
    *,
    grant: tokens.SlotGrant,
    pet: Pet,
    tutor: Tutor,
    now: datetime,
    origin: str,
    actor: str,
    channel: str,
    notes: str = "",
    leva_e_traz: bool = False,
    pet_plan_id: int | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    series_id: int | None = None,
) -> Appointment:
    """Store the visit of a slot the engine has just offered (``grant``), inside the caller's
    write transaction: the plan's units (claim and attach), the Leva e Traz fee, the combo
    discount, the visit and its items (``insert_visit``) and the audit entry. The one insert
    path of :func:`book_outcome` (which locks and re-validates the slot first); the demo shop
    calls it with slots from the engine on its own up-to-date snapshot."""
    slot = grant.slot
    shop = session.get(Shop, grant.shop_id)
    occupancy.check_capacity(session, segment_id=grant.segment_id, species=pet.species,
                             start=slot.start, end=slot.end)
    visit_day = slot.start.astimezone(ZoneInfo(shop.timezone)).date()
    plan, plan_note = _plan_for_booking(
        session, pet_plan_id, pet, grant.segment_id, visit_day
    )
    claim = (
        plans.claim(
            session,
            plan=plan,
            service_ids=[it.service_id for it in slot.items],
            day=visit_day,
        )
        if plan is not None
        else None
    )
    in_plan = claim.covered if claim is not None else set()
    fee, zone_id = (
        _leva_e_traz_booking(session, shop, tutor, slot, now=now, channel=channel)
        if leva_e_traz
        else (0, None)
    )
    lines = [
        (it, 0 if it.service_id in in_plan else it.price_cents, it.service_id in in_plan)
        for it in slot.items
    ]
    combo = grant.combo
    discount = _combo_discount(combo, lines)
    appt = Appointment(
        shop_id=grant.shop_id,
        segment_id=grant.segment_id,
        tutor_id=tutor.id,
        pet_id=pet.id,
        start=to_utc(slot.start),
        end=to_utc(slot.end),
        status=S.AGENDADO,
        is_encaixe=False,
        origin=str(origin),
        pet_plan_id=plan.id if plan is not None else None,
        combo_id=combo.combo_id if combo is not None else None,
        total_cents=sum(price for _it, price, _p in lines) - discount,
        discount_cents=discount,
        plan_note=claim.note if claim is not None else plan_note,
        leva_e_traz=bool(leva_e_traz),
        leva_e_traz_fee_cents=fee,
        leva_e_traz_zone_id=zone_id,
        notes=notes or "",
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint,
        series_id=series_id,
        created_at=to_utc(now),
        updated_at=to_utc(now),
    )
    insert_visit(session, appt, lines, now=now, actor=actor)
    if claim is not None:
        plans.attach(session, claim, appt, now=now, actor=actor)
    audit_appointment(
        session,
        appt,
        "appointment.book",
        actor=actor,
        now=now,
        details={
            "origin": str(origin),
            "pet_id": pet.id,
            "start": slot.start,
            "end": slot.end,
            "items": [
                {"service_id": it.service_id, "employee_id": it.employee_id,
                 "price_cents": price, "in_plan": plan_line}
                for it, price, plan_line in lines
            ],
            "combo_id": appt.combo_id,
            "discount_cents": discount,
            "pet_plan_id": pet_plan_id,
            "plan_note": appt.plan_note,
            "idempotency_key": idempotency_key,
        },
    )
    session.flush()
    return appt


def book(engine: Engine, **kwargs: Any) -> Appointment:
    """The appointment of :func:`book_outcome` (same arguments)."""
    return book_outcome(engine, **kwargs).appointment


@dataclass(frozen=True)
class Booked:
    """What :func:`book_outcome` did: ``created`` is False when an earlier request with the same
    idempotency key (same client, same request) had already booked ``appointment``."""

    appointment: Appointment
    created: bool


def book_outcome(
    engine: Engine,
    *,
    token: str,
    now: datetime,
    secret: str,
    origin: str,
    actor: str,
    idempotency_key: str | None = None,
    client: str = "",
    notes: str = "",
    leva_e_traz: bool = False,
    pet_plan_id: int | None = None,
    channel: str | None = None,
    series_id: int | None = None,
) -> Booked:
    """Book the slot a :func:`find_slots` token stands for (status Agendado); ``series_id``
    links it to a recurrence series (:mod:`scheduler_core.scheduling.recurrence`).

    ``origin`` is "bot", "staff" or "api". The slot is re-checked with the rules of ``channel``
    ("staff" | "bot"; default: "bot" for origin bot, else "staff"): the bot channel adds its
    minimum notice and bot-scope restrictions. With an
    ``idempotency_key`` a retry of the same request returns the appointment already created
    (``created=False``; also when concurrent, and even after the token expired); the appointment
    is never booked twice, and the key used for another request is refused
    (:class:`IdempotencyKeyReused`). Keys belong to ``client`` (the REST API passes its client's
    actor); callers without one namespace their keys ("bot:...", "serie:..."). The rules are in
    :mod:`scheduler_core.scheduling.idempotency`.

    Prices come from the token (what the tutor was shown). A combo token stores
    ``combo_id`` and ``discount_cents`` (total = sum of the lines − discount). With
    ``pet_plan_id`` each service the plan includes takes one unit of its allowance
    (:func:`scheduler_core.plans.service.claim`, in this transaction): its line costs 0 and is
    marked
    ``in_plan``; when the allowance is used up the line keeps its normal price and
    ``Appointment.plan_note`` says so. ``Appointment.total_cents`` is the services total,
    without the Leva e Traz fee (``leva_e_traz_fee_cents``).
    """
    require_aware(now)
    if str(origin) not in {o.value for o in Origin}:
        raise ValidationFailed("Origem inválida.", details={"origin": str(origin)})
    if channel is None:
        channel = Channel.BOT if origin == Origin.BOT else Channel.STAFF
    channel = valid_channel(channel)
    key = idempotency.scoped_key(idempotency_key, client)

    def _request(grant: tokens.SlotGrant) -> str:
        return idempotency.fingerprint(
            grant, notes=notes, leva_e_traz=leva_e_traz, pet_plan_id=pet_plan_id
        )

    if key is not None:
        with Session(engine, expire_on_commit=False) as session:
            existing = _by_idempotency_key(session, key)
            if existing is not None:
                grant = _decode(token, secret, now, check_expiry=False)
                return Booked(idempotency.replay(existing, _request(grant)), created=False)

    grant = _decode(token, secret, now)
    request = _request(grant) if key is not None else None
    try:
        with write_session(engine, expire_on_commit=False) as session:
            if key is not None and (found := _by_idempotency_key(session, key)) is not None:
                return Booked(idempotency.replay(found, request), created=False)
            pet, tutor = get_pet(session, grant.pet_id, grant.shop_id)
            check_pet_bookable(pet)
            slot = grant.slot
            lock_capacity(
                session,
                employee_ids=[it.employee_id for it in slot.items],
                service_ids=[it.service_id for it in slot.items],
            )
            if key is not None and (found := _by_idempotency_key(session, key)) is not None:
                return Booked(idempotency.replay(found, request), created=False)
            # The pet first: when it is the pet that is busy, say so (the slot check below
            # would only say "taken", since a busy pet's overlapping slots are not offered).
            try:
                _check_pet_free(session, pet, slot.start, slot.end)
            except PetBusy:
                # A retry with the same key (another slot) committed while we waited for the
                # pet lock: that booking is the answer.
                if key is not None and (found := _by_idempotency_key(session, key)) is not None:
                    return Booked(idempotency.replay(found, request), created=False)
                raise
            _revalidate(session, grant=grant, pet=pet, now=now, channel=channel)

            appt = store_booking(
                session, grant=grant, pet=pet, tutor=tutor, now=now, origin=origin,
                actor=actor, channel=channel, notes=notes, leva_e_traz=leva_e_traz,
                pet_plan_id=pet_plan_id, idempotency_key=key, fingerprint=request,
                series_id=series_id,
            )
            session.flush()
        return Booked(appt, created=True)
    except IntegrityError:
        # Another request with the same idempotency key committed first.
        if key is not None:
            with Session(engine, expire_on_commit=False) as session:
                existing = _by_idempotency_key(session, key)
                if existing is not None:
                    return Booked(idempotency.replay(existing, request), created=False)
        raise


# --------------------------------------------------------------------------- reschedule


def _moved_summary(
    session: Session, shop_id: int, old_start: datetime, before: list[dict], slot: Slot
) -> str:
    """pt-BR, for the audit log: "Remarcado de 09/03 10:00 (Ana) para 10/03 14:00 (Bruno)"."""
    tz = ZoneInfo(session.get(Shop, shop_id).timezone)
    ids = {b["employee_id"] for b in before} | {it.employee_id for it in slot.items}
    names = dict(session.execute(
        select(Employee.id, Employee.name).where(Employee.id.in_(ids or {0}))).all())

    def who(emp_ids: Iterable[int]) -> str:
        return ", ".join(names.get(e, "?") for e in dict.fromkeys(emp_ids))

    was = from_utc_naive(old_start, "UTC").astimezone(tz)
    return (
        f"Remarcado de {was:%d/%m %H:%M} ({who(b['employee_id'] for b in before)}) para "
        f"{slot.start.astimezone(tz):%d/%m %H:%M} ({who(it.employee_id for it in slot.items)})."
    )


def reschedule(
    engine: Engine,
    *,
    appointment_id: int,
    token: str,
    now: datetime,
    secret: str,
    actor: str,
    channel: str,
    pet_id: int | None = None,
    tutor_id: int | None = None,
) -> Appointment:
    """Move an Agendado/Confirmado appointment to the slot of ``token``.

    The token must come from :func:`find_slots` with ``moving_appointment_id=appointment_id``.
    Keeps the id, services, prices, plan link and status; only date, time and professionals
    change (an Encaixe moved into a normal slot loses the tag). Bot channel: the action must be
    enabled and the current start must be at least ``reschedule_min_notice_hours`` away.
    ``pet_id`` / ``tutor_id``, when given, must own the appointment (else ``not_found``): the
    bot passes them so a tutor can only move their own pet's visits.
    """
    require_aware(now)
    channel = valid_channel(channel)
    grant = _decode(token, _move_secret(secret, appointment_id), now)
    with write_session(engine, expire_on_commit=False) as session:
        slot = grant.slot
        lock_capacity(
            session,
            appointment_id=appointment_id,
            employee_ids=[it.employee_id for it in slot.items],
            service_ids=[it.service_id for it in slot.items],
        )
        appt = get_appointment(session, appointment_id, lock=True)
        check_owner(appt, pet_id=pet_id, tutor_id=tutor_id)
        _check_reschedulable(appt)
        if grant.pet_id != appt.pet_id or grant.shop_id != appt.shop_id:
            raise TokenInvalid()
        old_start = from_utc_naive(appt.start, "UTC")
        if channel == Channel.BOT:
            settings = get_bot_settings(session, appt.shop_id)
            if not settings.reschedule_enabled:
                raise ActionDisabled(
                    "A remarcação pelo WhatsApp não está disponível. Vou chamar um atendente."
                )
            refusal = change_refusal(settings, "remarcar", old_start, now)
            if refusal is not None:
                raise NoticeTooShort(refusal)
        items = appointment_items(session, appt.id)
        if sorted(it.service_id for it in items) != sorted(it.service_id for it in slot.items):
            raise TokenInvalid(
                "O horário escolhido é para outros serviços. Vamos buscar os horários de novo?"
            )
        pet = session.get(Pet, appt.pet_id)
        _check_pet_free(session, pet, slot.start, slot.end, except_id=appt.id)
        _revalidate(
            session,
            grant=grant,
            pet=pet,
            now=now,
            channel=channel,
            moving_appointment_id=appt.id,
        )
        new_by_service = {it.service_id: it for it in slot.items}
        order = {it.service_id: i for i, it in enumerate(slot.items)}
        before = [
            {"service_id": it.service_id, "employee_id": it.employee_id, "start": it.start}
            for it in items
        ]
        for item in items:
            new = new_by_service[item.service_id]
            item.employee_id = new.employee_id
            item.start = to_utc(new.start)
            item.end = to_utc(new.end)
            item.duration_min = new.duration_min
            item.position = order[item.service_id]
            session.add(item)
        old = {"start": appt.start, "end": appt.end, "is_encaixe": appt.is_encaixe}
        appt.start = to_utc(slot.start)
        appt.end = to_utc(slot.end)
        appt.is_encaixe = False
        appt.updated_at = to_utc(now)
        session.add(appt)
        plans.moved(session, appt, now=now)
        audit_appointment(
            session,
            appt,
            "appointment.reschedule",
            actor=actor,
            now=now,
            details={
                "summary": _moved_summary(session, appt.shop_id, old["start"], before, slot),
                "channel": channel,
                "from": {"start": old["start"], "end": old["end"], "items": before},
                "to": {
                    "start": slot.start,
                    "end": slot.end,
                    "items": [
                        {"service_id": it.service_id, "employee_id": it.employee_id}
                        for it in slot.items
                    ],
                },
                "was_encaixe": old["is_encaixe"],
            },
        )
        session.flush()
        return appt
