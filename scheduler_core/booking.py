"""The booking service layer: the ONE place where appointments are found, created, moved,
cancelled and advanced. The REST API, the Rasa actions and the admin panel all call these
functions; none of them re-implements a rule.

Conventions:

- Write functions take the SQLAlchemy ``Engine`` and run their own transaction; read helpers
  (``upcoming_for_pet`` ...) take a ``Session``.
- ``now`` is always passed in and must be timezone-aware; storage is UTC (aware datetimes,
  see models).
- ``actor`` is recorded in the audit log and status history ("staff:3", "bot", "api:client").
- ``channel`` is "staff" or "bot"; the bot channel adds the BotSettings rules (minimum notice,
  enabled actions, paid appointments handed off to a human).
- Every refusal is a :class:`scheduler_core.errors.CoreError` with a stable ``code`` and a pt-BR
  ``message``.
- Returned ORM objects are detached and fully loaded (``expire_on_commit=False``).

No double booking, ever. Every write that takes capacity (``book``, ``reschedule``, ``encaixe``)
runs in a transaction that first locks, then re-validates:

- SQLite: the transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time);
- PostgreSQL: ``SELECT ... FOR UPDATE`` on the Employee rows of the slot (ordered by id), then on
  the Resource rows its services use (ordered by id), then the Pet row and, for a plan booking,
  the plan's Allowance rows (ordered by id, ``scheduler_core.plans``). Every booking locks in
  that same global order (appointment row first when moving one), so concurrent bookings never
  deadlock, and each statement after the lock sees the rows committed by the previous holder
  (READ COMMITTED).

Then the agenda snapshot is rebuilt inside the transaction and the token's exact slot (same start,
same professional and times per item) must still be offered.

Combos: ``find_slots(combo_id=...)`` prices each slot as the combo (catalog.combo_price) and the
token carries it; ``book`` stores ``combo_id``/``discount_cents``. Plans: the allowance rules live
in ``scheduler_core.plans``; ``book``, ``cancel`` and ``mark_no_show`` call it inside their
write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from . import availability, catalog, plans, tokens
from .agenda_types import (
    AgendaSnapshot,
    AvailabilityQuery,
    NoSlotReason,
    PetInfo,
    Slot,
    SlotItem,
)
from .audit import record
from .clock import from_utc_naive, minutes_of
from .errors import (
    ActionDisabled,
    InvalidTransition,
    NotCancellable,
    NotFound,
    NoticeTooShort,
    NotReschedulable,
    PaidNotCancellableByBot,
    PetBusy,
    PetNotBookable,
    SlotTaken,
    TokenExpired,
    TokenInvalid,
    ValidationFailed,
)
from .models import (
    FREEING_STATUSES,
    Appointment,
    AppointmentItem,
    AppointmentStatus,
    Channel,
    Combo,
    ComboItem,
    Employee,
    Invoice,
    InvoiceStatus,
    LevaETrazZone,
    Origin,
    Payment,
    Pet,
    PetPlan,
    PetPlanStatus,
    PetStatus,
    Resource,
    Segment,
    Service,
    ServiceCategory,
    ServiceResource,
    Shop,
    StatusChange,
    Tutor,
)
from .snapshot import get_bot_settings, load_snapshot, pet_info, services_segment

S = AppointmentStatus

#: The normal forward path of a visit (spec/scheduling.md §2.6).
FLOW: tuple[str, ...] = (
    S.AGENDADO,
    S.CONFIRMADO,
    S.RECEBIDO,
    S.EM_ATENDIMENTO,
    S.FINALIZADO,
    S.ENTREGUE,
)
#: Statuses the tutor may still move or cancel (through the bot).
OPEN_STATUSES = frozenset({S.AGENDADO, S.CONFIRMADO})
#: Statuses that end a visit for good.
CLOSED_STATUSES = frozenset({S.CANCELADO, S.NAO_COMPARECEU})

STATUS_LABELS: dict[str, str] = {
    S.AGENDADO: "Agendado",
    S.CONFIRMADO: "Confirmado",
    S.RECEBIDO: "Recebido",
    S.EM_ATENDIMENTO: "Em atendimento",
    S.FINALIZADO: "Finalizado",
    S.ENTREGUE: "Entregue",
    S.CANCELADO: "Cancelado",
    S.NAO_COMPARECEU: "Não compareceu",
}

MAX_RANGE_DAYS = 120
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


@dataclass(frozen=True)
class ItemSummary:
    service_id: int
    service_name: str
    employee_id: int
    employee_name: str
    start: datetime  # shop wall clock, aware
    end: datetime
    price_cents: int
    duration_min: int
    in_plan: bool


@dataclass(frozen=True)
class AppointmentSummary:
    """A visit as entry points show it (shop wall-clock times)."""

    id: int
    shop_id: int
    segment_id: int
    tutor_id: int
    pet_id: int
    pet_name: str
    start: datetime
    end: datetime
    status: str
    is_encaixe: bool
    origin: str
    total_cents: int
    leva_e_traz: bool
    leva_e_traz_fee_cents: int
    pet_plan_id: int | None
    notes: str
    items: tuple[ItemSummary, ...]
    combo_id: int | None = None
    discount_cents: int = 0  # combo discount (total_cents is already net of it)
    plan_note: str = ""  # pt-BR: plan lines that fell back to the normal price

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def services_label(self) -> str:
        """Service names joined by " + " (the bot's row description)."""
        return " + ".join(it.service_name for it in self.items)

    @property
    def service_ids(self) -> tuple[int, ...]:
        return tuple(it.service_id for it in self.items)


@dataclass(frozen=True)
class LastVisit:
    """The pet's most recent past visit, for "repeat the last service"."""

    appointment_id: int
    start: datetime
    segment_id: int
    service_ids: tuple[int, ...]  # still active services only, in visit order
    service_names: tuple[str, ...]
    employee_by_category: dict[int, int]  # category id → professional of that visit


@dataclass(frozen=True)
class Conflict:
    """A rule an Encaixe overrides (shown to staff as a warning, stored in the audit log)."""

    kind: str  # overlap | outside_hours | outside_working_hours | block | resource | restriction
    #            | wrong_category | species | past
    message: str  # pt-BR
    employee_id: int | None = None
    appointment_id: int | None = None
    resource_id: int | None = None
    restriction_id: int | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class EncaixeResult:
    appointment: Appointment
    conflicts: tuple[Conflict, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- plumbing


@contextmanager
def _write(engine: Engine) -> Iterator[Session]:
    """Like ``db.write_session`` (BEGIN IMMEDIATE on SQLite) but keeps objects loaded."""
    with Session(engine, expire_on_commit=False) as session:
        session.connection(execution_options={"sqlite_immediate": True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _read(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def _aware(now: datetime, name: str = "now") -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValidationFailed(
            "Data e hora inválidas.", details={"field": name, "error": "aware datetime expected"}
        )
    return now


def _channel(channel: str) -> str:
    value = str(channel)
    if value not in (Channel.STAFF, Channel.BOT):
        raise ValidationFailed("Canal inválido.", details={"channel": value})
    return value


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _utc(moment: datetime) -> datetime:
    """Aware UTC, as the timestamp columns store it."""
    return moment.astimezone(UTC)


def _move_secret(secret: str, appointment_id: int) -> str:
    """Tokens for moving an appointment are signed with a per-appointment key, so a booking token
    cannot move an appointment and a moving token cannot create a new one."""
    return f"{secret}|move:{appointment_id}"


def _decode(token: str, secret: str, now: datetime) -> tokens.SlotGrant:
    if not token or not isinstance(token, str):
        raise TokenInvalid()
    try:
        return tokens.slot_from_token(token, secret=secret, now=now)
    except tokens.TokenExpired as exc:
        raise TokenExpired() from exc
    except tokens.TokenError as exc:
        raise TokenInvalid() from exc


def _lock(
    session: Session,
    *,
    employee_ids: Iterable[int],
    service_ids: Iterable[int],
    appointment_id: int | None = None,
) -> None:
    """Serialise writers touching these professionals/resources (PostgreSQL row locks).

    On SQLite the transaction already holds the single write lock (BEGIN IMMEDIATE)."""
    if not _is_pg(session):
        return
    if appointment_id is not None:
        session.execute(
            select(Appointment.id).where(Appointment.id == appointment_id).with_for_update()
        ).all()
    emp_ids = sorted(set(employee_ids))
    if emp_ids:
        session.execute(
            select(Employee.id)
            .where(Employee.id.in_(emp_ids))
            .order_by(Employee.id)
            .with_for_update()
        ).all()
    svc_ids = sorted(set(service_ids))
    if svc_ids:
        res_ids = sorted(
            {
                rid
                for (rid,) in session.execute(
                    select(ServiceResource.resource_id).where(
                        ServiceResource.service_id.in_(svc_ids)
                    )
                ).all()
            }
        )
        if res_ids:
            session.execute(
                select(Resource.id)
                .where(Resource.id.in_(res_ids))
                .order_by(Resource.id)
                .with_for_update()
            ).all()


def _get_pet(session: Session, pet_id: int, shop_id: int | None = None) -> tuple[Pet, Tutor]:
    pet = session.get(Pet, pet_id) if pet_id is not None else None
    tutor = session.get(Tutor, pet.tutor_id) if pet is not None else None
    if pet is None or tutor is None or (shop_id is not None and tutor.shop_id != shop_id):
        raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
    return pet, tutor


def _check_pet_free(
    session: Session, pet: Pet, start: datetime, end: datetime, *, except_id: int | None = None
) -> None:
    """One pet cannot be in two visits at once (e.g. a tutor tapping two slots in a row).

    The pet row is locked on PostgreSQL so two concurrent bookings of one pet serialise."""
    if _is_pg(session):
        session.execute(select(Pet.id).where(Pet.id == pet.id).with_for_update()).all()
    clash = session.exec(
        select(Appointment.id).where(
            Appointment.pet_id == pet.id,
            Appointment.status.not_in([str(s) for s in FREEING_STATUSES]),
            Appointment.start < _utc(end),
            Appointment.end > _utc(start),
            Appointment.id != (except_id or -1),
        )
    ).first()
    if clash is not None:
        raise PetBusy(
            f"{pet.name} já tem um agendamento que coincide com esse horário.",
            details={"appointment_id": clash},
        )


def _check_pet_bookable(pet: Pet) -> None:
    if pet.status == PetStatus.FALECIDO:
        raise PetNotBookable(f"Não é possível agendar para {pet.name}.")
    if pet.status == PetStatus.INATIVO:
        raise PetNotBookable(
            f"O cadastro de {pet.name} está inativo; reative-o antes de agendar."
        )


def _get_appointment(session: Session, appointment_id: int, *, lock: bool = False) -> Appointment:
    if lock and _is_pg(session):
        session.execute(
            select(Appointment.id).where(Appointment.id == appointment_id).with_for_update()
        ).all()
    appt = session.get(Appointment, appointment_id) if appointment_id is not None else None
    if appt is None:
        raise NotFound("Agendamento não encontrado.", details={"appointment_id": appointment_id})
    if lock:
        session.refresh(appt)
    return appt


def _check_owner(appt: Appointment, *, pet_id: int | None, tutor_id: int | None) -> None:
    if (pet_id is not None and appt.pet_id != pet_id) or (
        tutor_id is not None and appt.tutor_id != tutor_id
    ):
        raise NotFound("Agendamento não encontrado.", details={"appointment_id": appt.id})


def _items(session: Session, appointment_id: int) -> list[AppointmentItem]:
    return list(
        session.execute(
            select(AppointmentItem)
            .where(AppointmentItem.appointment_id == appointment_id)
            .order_by(AppointmentItem.position, AppointmentItem.id)
        )
        .scalars()
        .all()
    )


def _by_idempotency_key(session: Session, key: str) -> Appointment | None:
    return (
        session.execute(select(Appointment).where(Appointment.idempotency_key == key))
        .scalars()
        .first()
    )


def _status_change(
    session: Session, appt: Appointment, to_status: str, now: datetime, actor: str
) -> None:
    session.add(
        StatusChange(
            appointment_id=appt.id,
            from_status=str(appt.status or ""),
            to_status=str(to_status),
            at=_utc(now),
            actor=actor,
        )
    )
    appt.status = str(to_status)
    appt.updated_at = _utc(now)


def _local(stored: datetime, tz: str) -> datetime:
    return from_utc_naive(stored, tz)


def _hours(hours: int | None) -> timedelta:
    return timedelta(hours=max(0, int(hours or 0)))


def _fmt_hours(hours: int) -> str:
    return "1 hora" if hours == 1 else f"{hours} horas"


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
    if slot.start <= now:
        raise SlotTaken(
            "Esse horário já passou. Vamos escolher outro horário?", details={"reason": "past"}
        )
    if rules.min_notice_min and slot.start < now + timedelta(minutes=rules.min_notice_min):
        hours = rules.min_notice_min // 60
        raise SlotTaken(
            f"Esse horário ficou muito próximo: agendamos com pelo menos "
            f"{_fmt_hours(hours) if hours else str(rules.min_notice_min) + ' minutos'} "
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
) -> Offer:
    """Free slots for a pet and services between two dates (shop wall clock, inclusive).

    With ``combo_id`` the visit is that combo: its services are booked (``service_ids`` may
    add extra services, e.g. add-ons, priced normally) and each slot's ``total_cents`` is the
    combo price — the components' prices for this pet minus the combo discount (R$ or %, as
    :func:`scheduler_core.catalog.combo_price` computes it); the token carries the combo, so
    :func:`book` stores it. Combos cannot be used when moving an appointment.

    Each slot carries a token for :func:`book` (or, with ``moving_appointment_id``, for
    :func:`reschedule` of that appointment). When moving, ``service_ids`` may be empty (the
    appointment's services are used), the appointment's own slot does not block it, and its
    current professionals are preferred (any other qualified one is used when they are busy).
    No slot → ``Offer.slots`` empty with ``reason`` and a pt-BR ``message``.
    """
    _aware(now)
    channel = _channel(channel)
    if not secret:
        raise ValueError("secret must not be empty")
    if not isinstance(date_from, date) or not isinstance(date_to, date):
        raise ValidationFailed("Datas inválidas.")
    if date_to < date_from:
        raise ValidationFailed("A data final é anterior à data inicial.")
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed(f"Escolha um período de até {MAX_RANGE_DAYS} dias.")

    with _read(engine) as session:
        pet, _tutor = _get_pet(session, pet_id, shop_id)
        _check_pet_bookable(pet)
        preferred: frozenset[int] = frozenset()
        ids = list(dict.fromkeys(int(s) for s in (service_ids or ())))
        combo: Combo | None = None
        combo_ids: list[int] = []
        if combo_id is not None:
            if moving_appointment_id is not None:
                raise ValidationFailed(
                    "Na remarcação os serviços do agendamento são mantidos; não informe combo."
                )
            combo, combo_ids = _combo_for_pet(session, combo_id, pet, shop_id, channel)
            ids = list(dict.fromkeys([*combo_ids, *ids]))
        if moving_appointment_id is not None:
            appt = _get_appointment(session, moving_appointment_id)
            if appt.pet_id != pet.id or appt.shop_id != shop_id:
                raise ValidationFailed("Esse agendamento é de outro pet.")
            if appt.status not in OPEN_STATUSES:
                raise NotReschedulable(
                    f"Agendamentos com status {STATUS_LABELS.get(appt.status, appt.status)} "
                    "não podem ser remarcados."
                )
            items = _items(session, appt.id)
            if not ids:
                ids = [it.service_id for it in items]
            preferred = frozenset(it.employee_id for it in items)
        if not ids:
            raise ValidationFailed("Escolha pelo menos um serviço.")
        segment_id = services_segment(session, ids)
        snapshot = load_snapshot(session, shop_id, segment_id, date_from, date_to)

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
    for slot in result.slots:
        grant = None
        if combo is not None:
            discount = _combo_discount(
                combo.discount_kind,
                combo.discount_value,
                [(it.service_id, it.price_cents) for it in slot.items],
                combo_ids,
            )
            grant = tokens.ComboGrant(
                combo_id=combo.id,
                service_ids=tuple(combo_ids),
                discount_kind=combo.discount_kind,
                discount_value=combo.discount_value,
                discount_cents=discount,
            )
            slot = replace(slot, total_cents=sum(it.price_cents for it in slot.items) - discount)
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
        reason=result.reason,
        message=result.message,
        shop_id=shop_id,
        segment_id=segment_id,
        pet_id=pet.id,
        service_ids=tuple(ids),
        combo_id=combo.id if combo else None,
    )


# --------------------------------------------------------------------------- combos


def combo_services(session: Session, combo_id: int) -> list[int]:
    """The combo's service ids in catalogue order (category order, display order)."""
    return [
        sid
        for (sid,) in session.execute(
            select(Service.id)
            .join(ComboItem, ComboItem.service_id == Service.id)
            .join(ServiceCategory, ServiceCategory.id == Service.category_id)
            .where(ComboItem.combo_id == combo_id)
            .order_by(ServiceCategory.display_order, Service.display_order, Service.id)
        ).all()
    ]


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


def _combo_discount(
    kind: str, value: int, lines: Iterable[tuple[int, int]], combo_ids: Iterable[int]
) -> int:
    """Combo discount over the charged prices of its components (``lines``: service, price)."""
    members = set(combo_ids)
    total = sum(price for sid, price in lines if sid in members)
    return catalog.combo_price(total, kind, value)[1]


# --------------------------------------------------------------------------- book


def _leva_e_traz_fee(session: Session, shop: Shop, tutor: Tutor) -> tuple[int, int | None]:
    """(fee, zone id): the tutor's zone by neighbourhood or CEP prefix, else the flat fee."""
    zones = (
        session.execute(
            select(LevaETrazZone)
            .where(LevaETrazZone.shop_id == shop.id)
            .order_by(LevaETrazZone.id)
        )
        .scalars()
        .all()
    )
    hood = (tutor.neighborhood or "").strip().casefold()
    cep = "".join(ch for ch in (tutor.cep or "") if ch.isdigit())
    for zone in zones:
        if hood and hood in {n.strip().casefold() for n in zone.neighborhoods or ()}:
            return zone.fee_cents, zone.id
        prefixes = ["".join(ch for ch in p if ch.isdigit()) for p in zone.cep_prefixes or ()]
        if cep and any(p and cep.startswith(p) for p in prefixes):
            return zone.fee_cents, zone.id
    return shop.leva_e_traz_flat_fee_cents, None


def _plan_for_booking(
    session: Session, pet_plan_id: int | None, pet: Pet, segment_id: int, day: date
) -> PetPlan | None:
    """The pet's plan, validated for a visit on ``day`` (its units are claimed in plans.py)."""
    if pet_plan_id is None:
        return None
    plan = session.get(PetPlan, pet_plan_id)
    if plan is None or plan.pet_id != pet.id:
        raise NotFound("Plano não encontrado para este pet.", details={"pet_plan_id": pet_plan_id})
    if plan.status != PetPlanStatus.ATIVO:
        raise ValidationFailed("Este plano não está ativo.")
    if plan.segment_id != segment_id:
        raise ValidationFailed("Este plano não cobre serviços deste setor.")
    if not (plan.start_date <= day <= plan.end_date):
        raise ValidationFailed("A data escolhida está fora da vigência do plano.")
    return plan


def book(
    engine: Engine,
    *,
    token: str,
    now: datetime,
    secret: str,
    origin: str,
    actor: str,
    idempotency_key: str | None = None,
    notes: str = "",
    leva_e_traz: bool = False,
    pet_plan_id: int | None = None,
    channel: str | None = None,
) -> Appointment:
    """Book the slot a :func:`find_slots` token stands for (status Agendado).

    ``origin`` is "bot", "staff" or "api". The slot is re-checked with the rules of ``channel``
    ("staff" | "bot"; default: "bot" for origin bot, else "staff"): the bot channel adds its
    minimum notice and bot-scope restrictions. With an
    ``idempotency_key`` a retry returns the appointment already created (also when concurrent, and
    even after the token expired); the appointment is never booked twice. Keys are unique across
    the database, so callers namespace them (e.g. "wa:<message id>", "api:<client>:<key>").

    Prices come from the token (what the tutor was shown). A combo token stores
    ``combo_id`` and ``discount_cents`` (total = sum of the lines − discount). With
    ``pet_plan_id`` each service the plan includes takes one unit of its allowance
    (:func:`scheduler_core.plans.claim`, in this transaction): its line costs 0 and is marked
    ``in_plan``; when the allowance is used up the line keeps its normal price and
    ``Appointment.plan_note`` says so. ``Appointment.total_cents`` is the services total,
    without the Leva e Traz fee (``leva_e_traz_fee_cents``).
    """
    _aware(now)
    if str(origin) not in {o.value for o in Origin}:
        raise ValidationFailed("Origem inválida.", details={"origin": str(origin)})
    if channel is None:
        channel = Channel.BOT if origin == Origin.BOT else Channel.STAFF
    channel = _channel(channel)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 200:
        raise ValidationFailed("Chave de idempotência longa demais.")
    if key is not None:
        with _read(engine) as session:
            existing = _by_idempotency_key(session, key)
            if existing is not None:
                return existing

    grant = _decode(token, secret, now)
    try:
        with _write(engine) as session:
            if key is not None and (found := _by_idempotency_key(session, key)) is not None:
                return found
            pet, tutor = _get_pet(session, grant.pet_id, grant.shop_id)
            _check_pet_bookable(pet)
            slot = grant.slot
            _lock(
                session,
                employee_ids=[it.employee_id for it in slot.items],
                service_ids=[it.service_id for it in slot.items],
            )
            if key is not None and (found := _by_idempotency_key(session, key)) is not None:
                return found
            _revalidate(session, grant=grant, pet=pet, now=now, channel=channel)
            try:
                _check_pet_free(session, pet, slot.start, slot.end)
            except PetBusy:
                # A retry with the same key (another slot) committed while we waited for the
                # pet lock: that booking is the answer.
                if key is not None and (found := _by_idempotency_key(session, key)) is not None:
                    return found
                raise

            shop = session.get(Shop, grant.shop_id)
            visit_day = slot.start.astimezone(ZoneInfo(shop.timezone)).date()
            plan = _plan_for_booking(session, pet_plan_id, pet, grant.segment_id, visit_day)
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
            fee, zone_id = 0, None
            if leva_e_traz:
                if not shop.leva_e_traz_enabled:
                    raise ValidationFailed("Esta loja não oferece Leva e Traz.")
                notice = _hours(shop.leva_e_traz_min_notice_hours)
                if channel == Channel.BOT and slot.start - now < notice:
                    raise NoticeTooShort(
                        "O Leva e Traz precisa ser pedido com pelo menos "
                        f"{_fmt_hours(shop.leva_e_traz_min_notice_hours)} de antecedência."
                    )
                fee, zone_id = _leva_e_traz_fee(session, shop, tutor)

            lines = [
                (it, 0 if it.service_id in in_plan else it.price_cents, it.service_id in in_plan)
                for it in slot.items
            ]
            combo = grant.combo
            discount = (
                _combo_discount(
                    combo.discount_kind,
                    combo.discount_value,
                    [(it.service_id, price) for it, price, _p in lines],
                    combo.service_ids,
                )
                if combo is not None
                else 0
            )
            appt = Appointment(
                shop_id=grant.shop_id,
                segment_id=grant.segment_id,
                tutor_id=tutor.id,
                pet_id=pet.id,
                start=_utc(slot.start),
                end=_utc(slot.end),
                status=S.AGENDADO,
                is_encaixe=False,
                origin=str(origin),
                pet_plan_id=pet_plan_id,
                combo_id=combo.combo_id if combo is not None else None,
                total_cents=sum(price for _it, price, _p in lines) - discount,
                discount_cents=discount,
                plan_note=claim.note if claim is not None else "",
                leva_e_traz=bool(leva_e_traz),
                leva_e_traz_fee_cents=fee,
                leva_e_traz_zone_id=zone_id,
                notes=notes or "",
                idempotency_key=key,
                created_at=_utc(now),
                updated_at=_utc(now),
            )
            session.add(appt)
            session.flush()
            for position, (it, price, plan_line) in enumerate(lines):
                session.add(
                    AppointmentItem(
                        appointment_id=appt.id,
                        service_id=it.service_id,
                        employee_id=it.employee_id,
                        start=_utc(it.start),
                        end=_utc(it.end),
                        position=position,
                        price_cents=price,
                        duration_min=it.duration_min,
                        in_plan=plan_line,
                    )
                )
            session.add(
                StatusChange(
                    appointment_id=appt.id,
                    from_status="",
                    to_status=S.AGENDADO,
                    at=_utc(now),
                    actor=actor,
                )
            )
            if claim is not None:
                plans.attach(session, claim, appt, now=now, actor=actor)
            record(
                session,
                actor=actor,
                action="appointment.book",
                entity="appointment",
                entity_id=appt.id,
                shop_id=appt.shop_id,
                at=now,
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
                    "idempotency_key": key,
                },
            )
            session.flush()
            return appt
    except IntegrityError:
        # Another request with the same idempotency key committed first.
        if key is not None:
            with _read(engine) as session:
                existing = _by_idempotency_key(session, key)
                if existing is not None:
                    return existing
        raise


# --------------------------------------------------------------------------- reschedule


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
    _aware(now)
    channel = _channel(channel)
    grant = _decode(token, _move_secret(secret, appointment_id), now)
    with _write(engine) as session:
        slot = grant.slot
        _lock(
            session,
            appointment_id=appointment_id,
            employee_ids=[it.employee_id for it in slot.items],
            service_ids=[it.service_id for it in slot.items],
        )
        appt = _get_appointment(session, appointment_id, lock=True)
        _check_owner(appt, pet_id=pet_id, tutor_id=tutor_id)
        if appt.status not in OPEN_STATUSES:
            raise NotReschedulable(
                f"Agendamentos com status {STATUS_LABELS.get(appt.status, appt.status)} "
                "não podem ser remarcados."
            )
        if grant.pet_id != appt.pet_id or grant.shop_id != appt.shop_id:
            raise TokenInvalid()
        old_start = _local(appt.start, "UTC")
        if channel == Channel.BOT:
            settings = get_bot_settings(session, appt.shop_id)
            if not settings.reschedule_enabled:
                raise ActionDisabled(
                    "A remarcação pelo WhatsApp não está disponível. Vou chamar um atendente."
                )
            hours = settings.reschedule_min_notice_hours
            if old_start <= now or old_start - now < _hours(hours):
                raise NoticeTooShort(
                    "Remarcações por aqui precisam ser feitas com pelo menos "
                    f"{_fmt_hours(hours)} de antecedência. Vou chamar um atendente para te "
                    "ajudar."
                    if hours
                    else "Este agendamento já começou e não pode ser remarcado por aqui."
                )
        items = _items(session, appt.id)
        if sorted(it.service_id for it in items) != sorted(it.service_id for it in slot.items):
            raise TokenInvalid(
                "O horário escolhido é para outros serviços. Vamos buscar os horários de novo?"
            )
        pet = session.get(Pet, appt.pet_id)
        _revalidate(
            session,
            grant=grant,
            pet=pet,
            now=now,
            channel=channel,
            moving_appointment_id=appt.id,
        )
        _check_pet_free(session, pet, slot.start, slot.end, except_id=appt.id)
        new_by_service = {it.service_id: it for it in slot.items}
        order = {it.service_id: i for i, it in enumerate(slot.items)}
        before = [
            {"service_id": it.service_id, "employee_id": it.employee_id, "start": it.start}
            for it in items
        ]
        for item in items:
            new = new_by_service[item.service_id]
            item.employee_id = new.employee_id
            item.start = _utc(new.start)
            item.end = _utc(new.end)
            item.duration_min = new.duration_min
            item.position = order[item.service_id]
            session.add(item)
        old = {"start": appt.start, "end": appt.end, "is_encaixe": appt.is_encaixe}
        appt.start = _utc(slot.start)
        appt.end = _utc(slot.end)
        appt.is_encaixe = False
        appt.updated_at = _utc(now)
        session.add(appt)
        record(
            session,
            actor=actor,
            action="appointment.reschedule",
            entity="appointment",
            entity_id=appt.id,
            shop_id=appt.shop_id,
            at=now,
            details={
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


# --------------------------------------------------------------------------- cancel / status


def is_paid(session: Session, appointment_id: int) -> bool:
    """An invoice of the appointment is paid, or any (not reversed) payment was made on one."""
    invoice_ids = [
        iid
        for (iid,) in session.execute(
            select(Invoice.id).where(
                Invoice.appointment_id == appointment_id,
                Invoice.status != InvoiceStatus.CANCELADA,
            )
        ).all()
    ]
    paid_invoice = session.execute(
        select(Invoice.id).where(
            Invoice.appointment_id == appointment_id, Invoice.status == InvoiceStatus.PAGA
        )
    ).first()
    if paid_invoice is not None:
        return True
    if not invoice_ids:
        return False
    payment = session.execute(
        select(Payment.id).where(
            Payment.invoice_id.in_(invoice_ids),
            Payment.reversed_at.is_(None),
            Payment.amount_cents > 0,
        )
    ).first()
    return payment is not None


def cancel(
    engine: Engine,
    *,
    appointment_id: int,
    now: datetime,
    actor: str,
    channel: str,
    reason: str = "",
    pet_id: int | None = None,
    tutor_id: int | None = None,
) -> Appointment:
    """Cancel an appointment; its professional(s) and resources are free at once.

    Bot channel: only Agendado/Confirmado in the future, the action enabled, at least
    ``cancel_min_notice_hours`` ahead (``notice_too_short``), and never a paid appointment
    (``paid_not_cancellable_by_bot``: the bot hands off to a human). Staff channel: any status
    before Finalizado; permission checks (cancel, "cancel with a paid invoice", "cancel after
    started") are the caller's. The audit entry records whether the cancellation was inside the
    minimum notice (``late``), which decides plan-session consumption. ``pet_id`` /
    ``tutor_id``, when given, must own the appointment (else ``not_found``).
    """
    _aware(now)
    channel = _channel(channel)
    with _write(engine) as session:
        appt = _get_appointment(session, appointment_id, lock=True)
        _check_owner(appt, pet_id=pet_id, tutor_id=tutor_id)
        label = STATUS_LABELS.get(appt.status, appt.status)
        if appt.status == S.CANCELADO:
            raise NotCancellable("Este agendamento já está cancelado.")
        if appt.status == S.NAO_COMPARECEU:
            raise NotCancellable("Este agendamento já foi marcado como falta (não compareceu).")
        if appt.status in (S.FINALIZADO, S.ENTREGUE):
            raise NotCancellable(
                f"Este agendamento já foi {label.lower()} e não pode ser cancelado."
            )
        settings = get_bot_settings(session, appt.shop_id)
        start = _local(appt.start, "UTC")
        notice_hours = settings.cancel_min_notice_hours
        late = start - now < _hours(notice_hours)
        paid = is_paid(session, appt.id)
        if channel == Channel.BOT:
            if not settings.cancel_enabled:
                raise ActionDisabled(
                    "O cancelamento pelo WhatsApp não está disponível. Vou chamar um atendente."
                )
            if appt.status not in OPEN_STATUSES:
                raise NotCancellable(
                    f"Este agendamento está com status {label} e não pode ser cancelado por aqui."
                )
            if paid:
                raise PaidNotCancellableByBot()
            if start <= now:
                raise NoticeTooShort(
                    "Este agendamento já passou e não pode ser cancelado por aqui."
                )
            if late:
                raise NoticeTooShort(
                    "Cancelamentos por aqui precisam ser feitos com pelo menos "
                    f"{_fmt_hours(notice_hours)} de antecedência. "
                    "Vou chamar um atendente para te ajudar."
                )
        old_status = appt.status
        _status_change(session, appt, S.CANCELADO, now, actor)
        appt.cancelled_at = _utc(now)
        appt.cancel_reason = (reason or "").strip()
        session.add(appt)
        plans.release(session, appt, late=late, now=now, actor=actor)
        record(
            session,
            actor=actor,
            action="appointment.cancel",
            entity="appointment",
            entity_id=appt.id,
            shop_id=appt.shop_id,
            at=now,
            details={
                "channel": channel,
                "from_status": old_status,
                "reason": appt.cancel_reason,
                "late": late,
                "paid": paid,
                "pet_plan_id": appt.pet_plan_id,
            },
        )
        session.flush()
        return appt


def mark_no_show(
    engine: Engine, *, appointment_id: int, now: datetime, actor: str
) -> Appointment:
    """Mark "Não compareceu" (only from Agendado/Confirmado); frees the capacity."""
    _aware(now)
    with _write(engine) as session:
        appt = _get_appointment(session, appointment_id, lock=True)
        if appt.status not in OPEN_STATUSES:
            raise InvalidTransition(
                "Só é possível marcar falta em agendamentos com status Agendado ou Confirmado.",
                details={"from": appt.status, "to": S.NAO_COMPARECEU},
            )
        old_status = appt.status
        _status_change(session, appt, S.NAO_COMPARECEU, now, actor)
        session.add(appt)
        plans.forfeit(session, appt, now=now, actor=actor)
        record(
            session,
            actor=actor,
            action="appointment.no_show",
            entity="appointment",
            entity_id=appt.id,
            shop_id=appt.shop_id,
            at=now,
            details={"from_status": old_status, "pet_plan_id": appt.pet_plan_id},
        )
        session.flush()
        return appt


def set_status(
    engine: Engine,
    *,
    appointment_id: int,
    status: str,
    now: datetime,
    actor: str,
    allow_revert: bool = False,
    reason: str = "",
) -> Appointment:
    """Move a visit along Agendado → Confirmado → Recebido → Em atendimento → Finalizado →
    Entregue. Skipping forward is allowed (Agendado → Recebido); going back needs
    ``allow_revert=True`` (a permission the caller checked). Setting the current status again is
    a no-op. "cancelado" is delegated to :func:`cancel` (staff channel) and "nao_compareceu" to
    :func:`mark_no_show`. Cancelled and no-show visits never change status again.
    """
    _aware(now)
    target = str(status)
    if target == S.CANCELADO:
        return cancel(
            engine, appointment_id=appointment_id, now=now, actor=actor, channel="staff",
            reason=reason,
        )
    if target == S.NAO_COMPARECEU:
        return mark_no_show(engine, appointment_id=appointment_id, now=now, actor=actor)
    if target not in FLOW:
        raise ValidationFailed("Status inválido.", details={"status": target})
    with _write(engine) as session:
        appt = _get_appointment(session, appointment_id, lock=True)
        current = appt.status
        if current in CLOSED_STATUSES:
            raise InvalidTransition(
                f"Este agendamento está {STATUS_LABELS[current].lower()} e não pode mudar de "
                "status.",
                details={"from": current, "to": target},
            )
        if current == target:
            return appt
        if FLOW.index(target) < FLOW.index(current) and not allow_revert:
            raise InvalidTransition(
                f"Não é possível voltar o status de {STATUS_LABELS[current]} para "
                f"{STATUS_LABELS[target]}.",
                details={"from": current, "to": target},
            )
        _status_change(session, appt, target, now, actor)
        session.add(appt)
        record(
            session,
            actor=actor,
            action="appointment.status",
            entity="appointment",
            entity_id=appt.id,
            shop_id=appt.shop_id,
            at=now,
            details={
                "from": current,
                "to": target,
                "revert": FLOW.index(target) < FLOW.index(current),
            },
        )
        session.flush()
        return appt


# --------------------------------------------------------------------------- encaixe


def _in_ranges(ranges: Iterable[tuple[int, int]], a: int, b: int) -> bool:
    return any(s <= a and b <= e for s, e in _merge_ranges(ranges))


def _merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _minutes(moment: datetime, day: date, zone: ZoneInfo) -> int:
    """Minutes of ``moment`` (wall clock of ``zone``) counted from ``day`` 00:00."""
    local = moment.astimezone(zone)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def _encaixe_plan(
    session: Session,
    *,
    pet: Pet,
    shop: Shop,
    service_ids: list[int],
    start: datetime,
    employee_by_service: Mapping[int, int],
    now: datetime,
) -> tuple[int, list[SlotItem], list[Conflict]]:
    """(segment id, chained items, conflicts) for an Encaixe; raises on what cannot be forced."""
    if not service_ids:
        raise ValidationFailed("Escolha pelo menos um serviço.")
    segment_id = services_segment(session, service_ids)
    zone = ZoneInfo(shop.timezone)
    day = start.astimezone(zone).date()
    snapshot = load_snapshot(session, shop.id, segment_id, day, day + timedelta(days=1))
    info = pet_info(pet)
    try:
        resolved = availability.resolve_items(snapshot, info, service_ids)
    except availability.NotBookable as exc:
        raise PetNotBookable(exc.message, details={"reason": str(exc.reason)}) from exc
    employees = {e.id: e for e in snapshot.employees}
    items: list[SlotItem] = []
    t = start
    for service, cell in resolved:
        emp_id = employee_by_service.get(service.id)
        if emp_id is None:
            raise ValidationFailed(
                f"Escolha o profissional para {service.name}.",
                details={"service_id": service.id},
            )
        if int(emp_id) not in employees:
            raise ValidationFailed(
                "Profissional não encontrado ou sem agenda.", details={"employee_id": emp_id}
            )
        end = t + timedelta(minutes=cell.duration_min)
        items.append(
            SlotItem(
                service_id=service.id,
                employee_id=int(emp_id),
                start=t,
                end=end,
                price_cents=cell.price_cents,
                duration_min=cell.duration_min,
            )
        )
        t = end

    conflicts: list[Conflict] = []
    visit_start, visit_end = items[0].start, items[-1].end
    if visit_start < now:
        conflicts.append(Conflict("past", "O horário escolhido já passou."))
    a, b = _minutes(visit_start, day, zone), _minutes(visit_end, day, zone)
    seg = snapshot.segment
    if not seg.open_24h:
        opening = [
            (minutes_of(r.start), minutes_of(r.end)) for r in seg.opening.get(day.weekday(), ())
        ]
        if not _in_ranges(opening, a, b):
            conflicts.append(
                Conflict(
                    "outside_hours",
                    "Fora do horário de funcionamento ou atravessa um intervalo.",
                )
            )
    for block in snapshot.blocks:
        if block.day != day:
            continue
        whole = block.all_day or not block.start or not block.end
        targets = [it for it in items if block.employee_id in (None, it.employee_id)]
        for it in targets:
            ia, ib = _minutes(it.start, day, zone), _minutes(it.end, day, zone)
            if whole or (minutes_of(block.start) < ib and ia < minutes_of(block.end)):
                conflicts.append(
                    Conflict(
                        "block",
                        "A agenda da loja está bloqueada nesse horário."
                        if block.employee_id is None
                        else f"A agenda de {employees[it.employee_id].name} está bloqueada nesse "
                        "horário.",
                        employee_id=block.employee_id,
                    )
                )
                break
    seen_overlaps: set[tuple[int, int]] = set()
    for it in items:
        emp = employees[it.employee_id]
        service = snapshot.services[it.service_id]
        if service.category_id not in emp.category_ids:
            conflicts.append(
                Conflict(
                    "wrong_category",
                    f"{emp.name} não atende a categoria de {service.name}.",
                    employee_id=emp.id,
                )
            )
        if emp.species and pet.species not in emp.species:
            conflicts.append(
                Conflict("species", f"{emp.name} não atende essa espécie.", employee_id=emp.id)
            )
        ia, ib = _minutes(it.start, day, zone), _minutes(it.end, day, zone)
        working = [
            (minutes_of(r.start), minutes_of(r.end)) for r in emp.working.get(day.weekday(), ())
        ]
        if not _in_ranges(working, ia, ib):
            conflicts.append(
                Conflict(
                    "outside_working_hours",
                    f"Fora do horário de trabalho de {emp.name}.",
                    employee_id=emp.id,
                )
            )
        for busy in snapshot.busy:
            if busy.employee_id == it.employee_id and busy.start < it.end and it.start < busy.end:
                key = (busy.appointment_id, it.employee_id)
                if key not in seen_overlaps:
                    seen_overlaps.add(key)
                    conflicts.append(
                        Conflict(
                            "overlap",
                            f"{emp.name} já tem um atendimento nesse horário.",
                            employee_id=emp.id,
                            appointment_id=busy.appointment_id,
                        )
                    )
        for rid, units in service.resources.items():
            used = sum(
                b.resources.get(rid, 0)
                for b in snapshot.busy
                if b.start < it.end and it.start < b.end
            )
            if used + units > snapshot.resource_capacity.get(rid, 0):
                conflicts.append(
                    Conflict(
                        "resource",
                        "Um recurso compartilhado (ex.: banheira) já está todo ocupado nesse "
                        "horário.",
                        resource_id=rid,
                    )
                )
    restriction = availability.check_restrictions(
        snapshot, info, [s.id for s, _c in resolved], day, Channel.STAFF
    )
    if restriction is not None:
        conflicts.append(
            Conflict(
                "restriction",
                restriction.description or f"Restrição: {restriction.name}.",
                restriction_id=restriction.id,
            )
        )
    return segment_id, items, conflicts


def encaixe_conflicts(
    engine: Engine,
    *,
    pet_id: int,
    service_ids: Iterable[int],
    start: datetime,
    employee_by_service: Mapping[int, int],
    now: datetime,
) -> list[Conflict]:
    """What an :func:`encaixe` with these choices would override (preview, nothing written)."""
    _aware(now)
    _aware(start, "start")
    with _read(engine) as session:
        pet, tutor = _get_pet(session, pet_id)
        shop = session.get(Shop, tutor.shop_id)
        _seg, _items_, conflicts = _encaixe_plan(
            session,
            pet=pet,
            shop=shop,
            service_ids=list(dict.fromkeys(int(s) for s in service_ids)),
            start=start,
            employee_by_service={int(k): int(v) for k, v in employee_by_service.items()},
            now=now,
        )
        return conflicts


def encaixe(
    engine: Engine,
    *,
    pet_id: int,
    service_ids: Iterable[int],
    start: datetime,
    employee_by_service: Mapping[int, int],
    now: datetime,
    actor: str,
    notes: str = "",
) -> EncaixeResult:
    """Staff-only squeeze-in: book at ``start`` with the chosen professional per service, skipping
    the grid, window and overlap checks. The appointment is tagged ``is_encaixe``, holds its
    professionals and resources like any booking, and the audit entry lists every overridden
    conflict (overlaps, outside hours, blocks, restrictions...). Not-accepted breeds/portes and
    pets without a price cell are still refused.
    """
    _aware(now)
    _aware(start, "start")
    ids = list(dict.fromkeys(int(s) for s in service_ids))
    choice = {int(k): int(v) for k, v in employee_by_service.items()}
    with _write(engine) as session:
        pet, tutor = _get_pet(session, pet_id)
        _check_pet_bookable(pet)
        shop = session.get(Shop, tutor.shop_id)
        _lock(session, employee_ids=choice.values(), service_ids=ids)
        segment_id, items, conflicts = _encaixe_plan(
            session,
            pet=pet,
            shop=shop,
            service_ids=ids,
            start=start,
            employee_by_service=choice,
            now=now,
        )
        appt = Appointment(
            shop_id=shop.id,
            segment_id=segment_id,
            tutor_id=tutor.id,
            pet_id=pet.id,
            start=_utc(items[0].start),
            end=_utc(items[-1].end),
            status=S.AGENDADO,
            is_encaixe=True,
            origin=Origin.STAFF,
            total_cents=sum(it.price_cents for it in items),
            notes=notes or "",
            created_at=_utc(now),
            updated_at=_utc(now),
        )
        session.add(appt)
        session.flush()
        for position, it in enumerate(items):
            session.add(
                AppointmentItem(
                    appointment_id=appt.id,
                    service_id=it.service_id,
                    employee_id=it.employee_id,
                    start=_utc(it.start),
                    end=_utc(it.end),
                    position=position,
                    price_cents=it.price_cents,
                    duration_min=it.duration_min,
                )
            )
        session.add(
            StatusChange(
                appointment_id=appt.id, from_status="", to_status=S.AGENDADO, at=_utc(now),
                actor=actor,
            )
        )
        record(
            session,
            actor=actor,
            action="appointment.encaixe",
            entity="appointment",
            entity_id=appt.id,
            shop_id=shop.id,
            at=now,
            details={
                "pet_id": pet.id,
                "start": items[0].start,
                "end": items[-1].end,
                "items": [
                    {"service_id": it.service_id, "employee_id": it.employee_id}
                    for it in items
                ],
                "conflicts": [c.to_dict() for c in conflicts],
            },
        )
        session.flush()
        return EncaixeResult(appointment=appt, conflicts=tuple(conflicts))


# --------------------------------------------------------------------------- read helpers


def _summaries(session: Session, appts: list[Appointment]) -> list[AppointmentSummary]:
    if not appts:
        return []
    ids = [a.id for a in appts]
    items = (
        session.execute(
            select(AppointmentItem)
            .where(AppointmentItem.appointment_id.in_(ids))
            .order_by(AppointmentItem.appointment_id, AppointmentItem.position, AppointmentItem.id)
        )
        .scalars()
        .all()
    )
    svc_names = {
        sid: name
        for sid, name in session.execute(
            select(Service.id, Service.name).where(
                Service.id.in_(sorted({it.service_id for it in items}) or [0])
            )
        ).all()
    }
    emp_names = {
        eid: name
        for eid, name in session.execute(
            select(Employee.id, Employee.name).where(
                Employee.id.in_(sorted({it.employee_id for it in items}) or [0])
            )
        ).all()
    }
    pets = {
        pid: name
        for pid, name in session.execute(
            select(Pet.id, Pet.name).where(Pet.id.in_(sorted({a.pet_id for a in appts})))
        ).all()
    }
    tzs = {
        sid: tz
        for sid, tz in session.execute(
            select(Shop.id, Shop.timezone).where(Shop.id.in_(sorted({a.shop_id for a in appts})))
        ).all()
    }
    by_appt: dict[int, list[AppointmentItem]] = {}
    for it in items:
        by_appt.setdefault(it.appointment_id, []).append(it)
    out = []
    for a in appts:
        tz = tzs.get(a.shop_id, "America/Sao_Paulo")
        out.append(
            AppointmentSummary(
                id=a.id,
                shop_id=a.shop_id,
                segment_id=a.segment_id,
                tutor_id=a.tutor_id,
                pet_id=a.pet_id,
                pet_name=pets.get(a.pet_id, ""),
                start=_local(a.start, tz),
                end=_local(a.end, tz),
                status=a.status,
                is_encaixe=a.is_encaixe,
                origin=a.origin,
                total_cents=a.total_cents,
                leva_e_traz=a.leva_e_traz,
                leva_e_traz_fee_cents=a.leva_e_traz_fee_cents,
                pet_plan_id=a.pet_plan_id,
                combo_id=a.combo_id,
                discount_cents=a.discount_cents,
                plan_note=a.plan_note,
                notes=a.notes,
                items=tuple(
                    ItemSummary(
                        service_id=it.service_id,
                        service_name=svc_names.get(it.service_id, ""),
                        employee_id=it.employee_id,
                        employee_name=emp_names.get(it.employee_id, ""),
                        start=_local(it.start, tz),
                        end=_local(it.end, tz),
                        price_cents=it.price_cents,
                        duration_min=it.duration_min,
                        in_plan=it.in_plan,
                    )
                    for it in by_appt.get(a.id, [])
                ),
            )
        )
    return out


def appointment_summary(session: Session, appointment_id: int) -> AppointmentSummary:
    """One appointment with its items, names and wall-clock times (NotFound if absent)."""
    appt = _get_appointment(session, appointment_id)
    return _summaries(session, [appt])[0]


def appointment_items(session: Session, appointment_id: int) -> list[AppointmentItem]:
    """The service items of an appointment in visit order."""
    return _items(session, appointment_id)


def upcoming_for_pet(session: Session, pet_id: int, now: datetime) -> list[AppointmentSummary]:
    """The pet's future Agendado/Confirmado appointments, soonest first ("Meus agendamentos")."""
    _aware(now)
    appts = (
        session.execute(
            select(Appointment)
            .where(
                Appointment.pet_id == pet_id,
                Appointment.status.in_([S.AGENDADO, S.CONFIRMADO]),
                Appointment.start > _utc(now),
            )
            .order_by(Appointment.start, Appointment.id)
        )
        .scalars()
        .all()
    )
    return _summaries(session, list(appts))


def appointments_for_tutor(
    session: Session, tutor_id: int, now: datetime
) -> list[AppointmentSummary]:
    """Future Agendado/Confirmado appointments of all the tutor's pets, soonest first."""
    _aware(now)
    appts = (
        session.execute(
            select(Appointment)
            .where(
                Appointment.tutor_id == tutor_id,
                Appointment.status.in_([S.AGENDADO, S.CONFIRMADO]),
                Appointment.start > _utc(now),
            )
            .order_by(Appointment.start, Appointment.id)
        )
        .scalars()
        .all()
    )
    return _summaries(session, list(appts))


def last_visit_services(session: Session, pet_id: int, now: datetime) -> LastVisit | None:
    """The pet's most recent visit that started before ``now`` and was not cancelled or missed,
    with its still-active services (for "repeat the last service"); None when there is none."""
    _aware(now)
    appt = (
        session.execute(
            select(Appointment)
            .where(
                Appointment.pet_id == pet_id,
                Appointment.status.not_in([S.CANCELADO, S.NAO_COMPARECEU]),
                Appointment.start < _utc(now),
            )
            .order_by(Appointment.start.desc(), Appointment.id.desc())
        )
        .scalars()
        .first()
    )
    if appt is None:
        return None
    rows = session.execute(
        select(AppointmentItem, Service)
        .join(Service, Service.id == AppointmentItem.service_id)
        .where(AppointmentItem.appointment_id == appt.id)
        .order_by(AppointmentItem.position, AppointmentItem.id)
    ).all()
    active = [(it, svc) for it, svc in rows if svc.active]
    tz = session.get(Shop, appt.shop_id).timezone
    return LastVisit(
        appointment_id=appt.id,
        start=_local(appt.start, tz),
        segment_id=appt.segment_id,
        service_ids=tuple(svc.id for _it, svc in active),
        service_names=tuple(svc.name for _it, svc in active),
        employee_by_category={svc.category_id: it.employee_id for it, svc in active},
    )


def overlapping_appointments(
    session: Session, shop_id: int, start: datetime, end: datetime
) -> list[AppointmentSummary]:
    """Active appointments of the shop overlapping [start, end) — e.g. those under a new block."""
    _aware(start, "start")
    _aware(end, "end")
    appts = (
        session.execute(
            select(Appointment)
            .where(
                Appointment.shop_id == shop_id,
                Appointment.status.not_in([S.CANCELADO, S.NAO_COMPARECEU]),
                Appointment.start < _utc(end),
                Appointment.end > _utc(start),
            )
            .order_by(Appointment.start, Appointment.id)
        )
        .scalars()
        .all()
    )
    return _summaries(session, list(appts))
