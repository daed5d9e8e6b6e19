"""The rows several panels read: the visits of a period and their service lines.

A visit is in the period by its start (the *execution* date). The employee filter keeps the
visits with at least one line of that employee, and only that employee's lines. A line's
revenue is its price snapshot minus its share of the visit's discount (a combo's discount),
split over the lines by the same largest-remainder rule as the visit's invoice
(``billing.invoices.split_discount``), so a combo's commission is paid on what was charged.

Speed (bench/reports.py): the panels add up lines in SQL (:func:`line_select`) and subtract
the discount shares, which only the discounted visits have; :func:`discount_shares` reads just
those lines and splits each visit's discount with ``split_discount`` itself, so the rule lives
once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import exists, func
from sqlalchemy.orm import aliased
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


def _visit_query(f: ReportFilter):  # noqa: ANN202 - a SQLAlchemy select
    lo, hi = f.utc_bounds()
    stmt = select(Appointment).where(
        Appointment.shop_id == f.shop_id, Appointment.start >= lo, Appointment.start < hi
    )
    if f.segment_id is not None:
        stmt = stmt.where(Appointment.segment_id == f.segment_id)
    if f.employee_id is not None:
        # An alias: the callers join the visit's own lines (AppointmentItem) to this select.
        theirs = aliased(AppointmentItem)
        stmt = stmt.where(
            exists().where(theirs.appointment_id == Appointment.id,
                           theirs.employee_id == f.employee_id)
        )
    return stmt


def visit_columns(f: ReportFilter, *columns: object):  # noqa: ANN201 - a SQLAlchemy select
    """A select of ``columns`` of the period's visits (every status), for a panel to group."""
    return _visit_query(f).with_only_columns(*columns)


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


def line_select(f: ReportFilter, statuses: frozenset[str] | None,  # noqa: ANN201
                *columns: object):
    """A select of ``columns`` (of ``Appointment`` and ``AppointmentItem``) over the service
    lines of the period's visits in ``statuses`` (all when None); only the filtered employee's
    lines when one is set. Add ``discount_shares`` to what it sums."""
    stmt = (_visit_query(f).with_only_columns(*columns).select_from(Appointment)
            .join(AppointmentItem, AppointmentItem.appointment_id == Appointment.id))
    if statuses is not None:
        stmt = stmt.where(Appointment.status.in_(sorted(statuses)))
    if f.employee_id is not None:
        stmt = stmt.where(AppointmentItem.employee_id == f.employee_id)
    return stmt


class Share(NamedTuple):
    """A line's share of its visit's discount (only lines with a share > 0 are listed)."""

    item_id: int
    appointment_id: int
    employee_id: int
    service_id: int
    in_plan: bool
    cents: int
    price_cents: int = 0
    status: str = ""


def discount_shares(session: Session, f: ReportFilter, statuses: frozenset[str] | None
                    ) -> list[Share]:
    """The discount shares of the lines of the period's discounted visits in ``statuses``:
    each visit's discount (capped at its lines' prices) split over all its lines by price,
    then only the filtered employee's lines kept."""
    i = AppointmentItem
    stmt = (_visit_query(f).with_only_columns(
        Appointment.id, Appointment.discount_cents, i.id, i.price_cents, i.employee_id,
        i.service_id, i.in_plan, Appointment.status)
        .select_from(Appointment).join(i, i.appointment_id == Appointment.id)
        .where(Appointment.discount_cents > 0)
        .order_by(Appointment.id, i.position, i.id))
    if statuses is not None:
        stmt = stmt.where(Appointment.status.in_(sorted(statuses)))
    visits: dict[int, list] = defaultdict(list)
    for row in session.connection().execute(stmt).all():
        visits[row[0]].append(row)
    out = []
    for visit, group in visits.items():
        weights = [r[3] for r in group]
        total = sum(weights)
        if not total:
            continue
        for r, cents in zip(group, split_discount(min(group[0][1], total), weights),
                            strict=True):
            if cents and (f.employee_id is None or r[4] == f.employee_id):
                out.append(Share(r[2], visit, r[4], r[5], bool(r[6]), cents, r[3], r[7]))
    return out


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
