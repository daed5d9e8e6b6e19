"""Regrouping a package's bookings into its cycles after a cancellation (spec/backoffice.md
§3.3, scheduling.md §4.1: "the remaining appointments are regrouped into cycles and the freed
session moves to the end of the package").

For each service, the package's live sessions (held or consumed, not returned) are taken in
their current order — cycle, then visit start — and poured back into the cycles in order, each
cycle up to its included quantity. A session therefore only ever moves to the same or an
earlier cycle, the hole a cancellation left moves to the last cycle that has sessions, and
the number of sessions (Σ included) never changes. A manual counter edit (used beyond the
cycle's sessions) stays where it was and takes its room in the cycle.

Paid invoices are never rewritten: a paid cycle can only gain a session to fill its own hole
(its invoice still pays for its N sessions); only unpaid invoices (pendente, vencida) follow
their cycle's new first appointment as due date (:func:`scheduler_core.plans.service.
_refresh_package`). Called by :func:`scheduler_core.plans.service.release` inside the cancel's
write transaction; a late cancellation consumes its session, so nothing moves.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlmodel import Session

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing.models import BillingCycle
from scheduler_core.plans.models import Allowance, PlanUsage, PlanUsageState


def regroup_package(session: Session, plan_id: int) -> int:
    """Compact the package's sessions into its cycles (module docstring); returns how many
    sessions moved to another cycle."""
    session.flush()
    rows = session.execute(
        select(Allowance, BillingCycle.seq)
        .join(BillingCycle, BillingCycle.id == Allowance.cycle_id)
        .where(BillingCycle.pet_plan_id == plan_id)
        .order_by(BillingCycle.seq, Allowance.id)
        .execution_options(populate_existing=True)
    ).all()
    by_service: dict[int, list[Allowance]] = defaultdict(list)
    seq_of: dict[int, int] = {}
    for allowance, seq in rows:
        by_service[allowance.service_id].append(allowance)
        seq_of[allowance.id] = seq
    usages = session.execute(
        select(PlanUsage, Appointment.start)
        .join(Appointment, Appointment.id == PlanUsage.appointment_id)
        .where(PlanUsage.allowance_id.in_(list(seq_of) or [0]),
               PlanUsage.state != PlanUsageState.RETURNED)
        .execution_options(populate_existing=True)
    ).all()
    live: dict[int, list[tuple[PlanUsage, object]]] = defaultdict(list)
    for usage, start in usages:
        live[usage.allowance_id].append((usage, start))
    moved = 0
    for allowances in by_service.values():
        moved += _pour(session, allowances, live, seq_of)
    session.flush()
    return moved


def _pour(
    session: Session,
    allowances: list[Allowance],
    live: dict[int, list[tuple[PlanUsage, object]]],
    seq_of: dict[int, int],
) -> int:
    """One service: refill its cycles in order with its live sessions in order."""
    manual = {a.id: max(0, a.used_qty - len(live.get(a.id, ()))) for a in allowances}
    queue = sorted(
        (item for a in allowances for item in live.get(a.id, ())),
        key=lambda us: (seq_of[us[0].allowance_id], us[1], us[0].id),
    )
    moved = 0
    index = 0
    for position, allowance in enumerate(allowances):
        last = position == len(allowances) - 1
        room = max(0, allowance.included_qty - manual[allowance.id])
        taken = 0
        while index < len(queue) and (taken < room or last):
            usage = queue[index][0]
            if usage.allowance_id != allowance.id:
                usage.allowance_id = allowance.id
                session.add(usage)
                moved += 1
            index += 1
            taken += 1
        used = manual[allowance.id] + taken
        if allowance.used_qty != used:
            allowance.used_qty = used
            session.add(allowance)
    return moved
