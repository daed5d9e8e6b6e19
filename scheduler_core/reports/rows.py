"""The rows several panels read: the visits of a period and their service lines.

A visit is in the period by its start (the *execution* date). The employee filter keeps the
visits with at least one line of that employee, and only that employee's lines. A line's
revenue is its price snapshot minus its share of the visit's discount (a combo's discount),
split over the lines by the same largest-remainder rule as the visit's invoice
(``billing.invoices.split_discount``), so a combo's commission is paid on what was charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, literal
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem, AppointmentStatus
from scheduler_core.billing.invoices import split_discount
from scheduler_core.reports.period import ReportFilter

S = AppointmentStatus
#: Visits that happened (the work was done).
DONE = frozenset({S.FINALIZADO, S.ENTREGUE})
#: Visits still to happen or under way (commission projection).
OPEN = frozenset({S.AGENDADO, S.CONFIRMADO, S.RECEBIDO, S.EM_ATENDIMENTO})
FREEING = frozenset({S.CANCELADO, S.NAO_COMPARECEU})


@dataclass(frozen=True)
class VisitRow:
    id: int
    start: datetime
    status: str
    origin: str
    tutor_id: int
    segment_id: int
    leva_e_traz: bool
    fee_cents: int
    zone_id: int | None


@dataclass(frozen=True)
class LineRow:
    appointment_id: int
    status: str
    visit_start: datetime | None
    service_id: int
    employee_id: int
    duration_min: int
    price_cents: int
    discount_share_cents: int
    in_plan: bool

    @property
    def revenue_cents(self) -> int:
        return self.price_cents - self.discount_share_cents


def _visit_query(f: ReportFilter):  # noqa: ANN202 - a SQLAlchemy select
    lo, hi = f.utc_bounds()
    stmt = select(Appointment).where(
        Appointment.shop_id == f.shop_id, Appointment.start >= lo, Appointment.start < hi
    )
    if f.segment_id is not None:
        stmt = stmt.where(Appointment.segment_id == f.segment_id)
    if f.employee_id is not None:
        stmt = stmt.where(
            exists().where(
                AppointmentItem.appointment_id == Appointment.id,
                AppointmentItem.employee_id == f.employee_id,
            )
        )
    return stmt


def visits(session: Session, f: ReportFilter, *, leva_e_traz_only: bool = False
           ) -> list[VisitRow]:
    """The period's visits (every status; only the kept Leva e Traz ones with
    ``leva_e_traz_only``), oldest first."""
    cols = (
        Appointment.id, Appointment.start, Appointment.status,
        Appointment.origin, Appointment.tutor_id, Appointment.segment_id,
        Appointment.leva_e_traz, Appointment.leva_e_traz_fee_cents,
        Appointment.leva_e_traz_zone_id,
    )
    stmt = _visit_query(f).with_only_columns(*cols).order_by(Appointment.start, Appointment.id)
    if leva_e_traz_only:
        stmt = stmt.where(Appointment.leva_e_traz.is_(True),
                          Appointment.status.not_in(sorted(FREEING)))
    return [VisitRow(*row) for row in session.connection().execute(stmt).all()]


def lines(session: Session, f: ReportFilter, statuses: frozenset[str] | None = None, *,
          with_start: bool = False) -> list[LineRow]:
    """The service lines of the period's visits (of ``statuses`` when given), with each line's
    share of its visit's discount; only the filtered employee's lines when one is set. The
    visit's start is read only ``with_start`` (a datetime per row costs; ``None`` otherwise)."""
    visit = _visit_query(f).with_only_columns(
        Appointment.id, Appointment.status,
        Appointment.start if with_start else literal(None).label("start"),
        Appointment.discount_cents,
    )
    if statuses is not None:
        visit = visit.where(Appointment.status.in_(sorted(statuses)))
    sub = visit.subquery()
    stmt = (
        select(
            sub.c.id, sub.c.status, sub.c.start, sub.c.discount_cents,
            AppointmentItem.service_id, AppointmentItem.employee_id,
            AppointmentItem.duration_min, AppointmentItem.price_cents, AppointmentItem.in_plan,
        )
        .join(AppointmentItem, AppointmentItem.appointment_id == sub.c.id)
        .order_by(sub.c.id, AppointmentItem.position, AppointmentItem.id)
    )
    out: list[LineRow] = []
    group: list = []
    for row in session.connection().execute(stmt).all():
        if group and group[0][0] != row[0]:
            out.extend(_shared(group, f.employee_id))
            group = []
        group.append(row)
    if group:
        out.extend(_shared(group, f.employee_id))
    return out


def _shared(group: list, employee_id: int | None) -> list[LineRow]:
    discount = group[0][3] or 0
    weights = [r[7] for r in group]
    total = sum(weights)
    shares = split_discount(min(discount, total), weights) if discount and total else [0] * len(
        group)
    return [
        LineRow(appointment_id=r[0], status=r[1], visit_start=r[2], service_id=r[4],
                employee_id=r[5], duration_min=r[6], price_cents=r[7],
                discount_share_cents=share, in_plan=bool(r[8]))
        for r, share in zip(group, shares, strict=True)
        if employee_id is None or r[5] == employee_id
    ]


def done_visit_ids(f: ReportFilter):  # noqa: ANN201 - a SQLAlchemy select of visit ids
    """The ids of the period's finished or delivered visits, as a subquery to filter by."""
    return _visit_query(f).with_only_columns(Appointment.id).where(
        Appointment.status.in_(sorted(DONE)))


def booked_minutes(session: Session, f: ReportFilter, statuses: frozenset[str]) -> dict[int, int]:
    """{employee: Σ line minutes} of the period's visits in ``statuses`` (summed in SQL)."""
    sub = _visit_query(f).with_only_columns(Appointment.id).where(
        Appointment.status.in_(sorted(statuses))).subquery()
    stmt = (select(AppointmentItem.employee_id, func.sum(AppointmentItem.duration_min))
            .where(AppointmentItem.appointment_id.in_(select(sub.c.id)))
            .group_by(AppointmentItem.employee_id))
    if f.employee_id is not None:
        stmt = stmt.where(AppointmentItem.employee_id == f.employee_id)
    return {e: int(m or 0) for e, m in session.connection().execute(stmt).all()}
