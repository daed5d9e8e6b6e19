"""The FAQ reports (spec/backoffice.md §5.1) that are lists rather than a panel's figures:
cancelled visits, active clients, the month's sales. (Serviços avulsos is
``servicos.servicos(avulso_only=True)``, the previous month's closing is
``financeiro.financeiro`` over ``period.previous_month``, staff performance is
``funcionarios.funcionarios``.)

Date basis: cancelled visits by their start (execution); active clients = at least one finished
or delivered visit started in the period, or a plan active on the period's last day; sales by
the filter's invoice basis (``financeiro.invoices``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.billing.labels import INVOICE_STATUS_LABELS
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans.models import PetPlan, PetPlanStatus
from scheduler_core.reports import rows
from scheduler_core.reports.financeiro import invoices
from scheduler_core.reports.period import ReportFilter


@dataclass(frozen=True)
class CancelledVisit:
    appointment_id: int
    start: datetime
    tutor: str
    whatsapp: str
    pet: str
    status: str  # cancelado or nao_compareceu
    reason: str
    cancelled_at: datetime | None
    total_cents: int


@dataclass(frozen=True)
class ActiveClient:
    tutor_id: int
    name: str
    whatsapp: str
    visits: int
    last_visit: date | None
    has_plan: bool


@dataclass(frozen=True)
class Sale:
    number: int
    day: date
    tutor: str
    kind: str
    status: str
    total_cents: int
    paid_cents: int
    open_cents: int


def cancelled_visits(session: Session, f: ReportFilter, *, with_no_shows: bool = False
                     ) -> list[CancelledVisit]:
    wanted = {AppointmentStatus.CANCELADO}
    if with_no_shows:
        wanted.add(AppointmentStatus.NAO_COMPARECEU)
    ids = [v.id for v in rows.visits(session, f) if v.status in wanted]
    out = []
    for chunk in range(0, len(ids), 900):
        out.extend(
            CancelledVisit(a.id, a.start, t.name, t.whatsapp, p.name, a.status, a.cancel_reason,
                           a.cancelled_at, a.total_cents)
            for a, t, p in session.execute(
                select(Appointment, Tutor, Pet)
                .join(Tutor, Tutor.id == Appointment.tutor_id)
                .join(Pet, Pet.id == Appointment.pet_id)
                .where(Appointment.id.in_(ids[chunk:chunk + 900]))
            ).all()
        )
    return sorted(out, key=lambda c: (c.start, c.appointment_id))


def active_clients(session: Session, f: ReportFilter) -> list[ActiveClient]:
    visits: dict[int, list[date]] = defaultdict(list)
    for v in rows.visits(session, f):
        if v.status in rows.DONE:
            visits[v.tutor_id].append(f.local_date(v.start))
    planned = set(session.execute(
        select(PetPlan.tutor_id).join(Tutor, Tutor.id == PetPlan.tutor_id).where(
            Tutor.shop_id == f.shop_id, PetPlan.status == PetPlanStatus.ATIVO,
            PetPlan.start_date <= f.end, PetPlan.end_date >= f.end)
    ).scalars().all())
    ids = sorted(set(visits) | planned)
    people = {}
    for chunk in range(0, len(ids), 900):
        people.update({i: (n, w) for i, n, w in session.execute(
            select(Tutor.id, Tutor.name, Tutor.whatsapp).where(
                Tutor.id.in_(ids[chunk:chunk + 900]))).all()})
    out = [ActiveClient(i, *people.get(i, ("", "")), len(visits.get(i, [])),
                        max(visits[i]) if i in visits else None, i in planned) for i in ids]
    return sorted(out, key=lambda c: (-c.visits, c.name))


def sales(session: Session, f: ReportFilter) -> list[Sale]:
    invs = invoices(session, f)
    tutor_ids = sorted({i.tutor_id for i in invs})
    names: dict[int, str] = {}
    for chunk in range(0, len(tutor_ids), 900):
        names.update(dict(session.execute(select(Tutor.id, Tutor.name).where(
            Tutor.id.in_(tutor_ids[chunk:chunk + 900]))).all()))
    return [Sale(i.number, i.day, names.get(i.tutor_id, ""), i.kind,
                 INVOICE_STATUS_LABELS.get(i.status, i.status), i.total_cents, i.paid_cents,
                 i.open_cents) for i in invs]
