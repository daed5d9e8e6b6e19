"""Package cycles under any sequence of book / reschedule / cancel / late cancel / no-show
(property-based, hypothesis), and the seed's example: a package billed every 4 bookings, its
due dates following the bookings. Every booking goes through the real booking service.
SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing import payments
from scheduler_core.billing.invoices import totals
from scheduler_core.billing.models import BillingCycle, Invoice, InvoiceItem
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.errors import CoreError
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import Allowance, PlanUsage
from scheduler_core.scheduling import booking, visit_status
from tests.scheduler_core.booking_helpers import MONDAY, SECRET, book_at, offer
from tests.scheduler_core.factories import NOW, TZ, build_shop

SESSIONS, EVERY = 6, 2

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("book"), st.integers(0, 20)),
        st.tuples(st.just("cancel"), st.integers(0, 9)),
        st.tuples(st.just("late_cancel"), st.integers(0, 9)),
        st.tuples(st.just("no_show"), st.integers(0, 9)),
        st.tuples(st.just("reschedule"), st.integers(0, 9), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=9,
)


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0},
                      shop={"staff_horizon_days": 60})


def _package(world, pet_id, *, pay_first: bool):
    template = world.add_plan_template("Pacote 6 banhos", kind="pacote",
                                       services={"banho": SESSIONS}, charge_every_n=EVERY,
                                       months=3, price_cents=30000)
    plan = plans.sell_plan(world.engine, pet_id=pet_id, template_id=template,
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    if pay_first:
        with Session(world.engine) as s:
            first = plans.plan_status(s, plan.id).cycles[0].invoice_id
        with write_session(world.engine) as s:
            payments.pay_invoice(s, first, method="pix", amount_cents=10000, now=NOW,
                                 actor="staff:1")
    return plan


def _snapshot_paid(world, plan_id):
    """(invoice id, status, due date, total) of every invoice with a payment."""
    with Session(world.engine) as s:
        rows = s.exec(select(Invoice).join(BillingCycle, BillingCycle.invoice_id == Invoice.id)
                      .where(BillingCycle.pet_plan_id == plan_id)).all()
        return {(i.id, i.status, i.due_date, totals(s, i).total_cents) for i in rows
                if i.status in ("paga", "parcial")}


def _first_free(world, day, pet_id, moving=None):
    found = offer(world, day, ("banho",) if moving is None else (), pet_id=pet_id,
                  moving=moving)
    return found.slots[0] if found.slots else None


def _apply(world, pet_id, plan_id, op, visits):
    kind = op[0]
    open_visits = [v for v in visits if v[1] == "open"]
    if kind == "book":
        slot = _first_free(world, MONDAY + timedelta(days=op[1]), pet_id)
        if slot is not None:
            appt = booking.book(world.engine, token=slot.token, now=NOW, secret=SECRET,
                                origin="staff", actor="staff:1", pet_plan_id=plan_id)
            visits.append([appt, "open"])
        return
    if not open_visits:
        return
    visit = open_visits[op[1] % len(open_visits)]
    appt = visit[0]
    start = appt.start.replace(tzinfo=ZoneInfo("UTC")) if appt.start.tzinfo is None \
        else appt.start
    if kind == "cancel":
        visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="staff:1",
                            channel="staff")
        visit[1] = "cancelled"
    elif kind == "late_cancel":
        visit_status.cancel(world.engine, appointment_id=appt.id,
                            now=start - timedelta(hours=1), actor="staff:1", channel="staff")
        visit[1] = "late"
    elif kind == "no_show":
        visit_status.mark_no_show(world.engine, appointment_id=appt.id,
                                  now=start + timedelta(hours=1), actor="staff:1")
        visit[1] = "no_show"
    else:
        slot = _first_free(world, MONDAY + timedelta(days=op[2]), pet_id, moving=appt.id)
        if slot is not None:
            with contextlib.suppress(CoreError):  # not a valid move: nothing changed
                visit[0] = booking.reschedule(world.engine, appointment_id=appt.id,
                                              token=slot.token, now=NOW, secret=SECRET,
                                              actor="staff:1", channel="staff")


def _check(world, plan_id, paid_before):
    with Session(world.engine) as s:
        cycles = s.exec(select(BillingCycle).where(BillingCycle.pet_plan_id == plan_id)
                        .order_by(BillingCycle.seq)).all()
        allowances = [s.exec(select(Allowance).where(Allowance.cycle_id == c.id)).one()
                      for c in cycles]
        live = {a.id: s.exec(select(PlanUsage).where(PlanUsage.allowance_id == a.id,
                                                      PlanUsage.state != "returned")).all()
                for a in allowances}
        # The total number of sessions never changes; no cycle goes over its quantity.
        assert sum(a.included_qty for a in allowances) == SESSIONS
        for a in allowances:
            assert 0 <= a.used_qty <= a.included_qty
            assert a.used_qty == len(live[a.id])
        # Cycles fill in order: the freed sessions are always at the end.
        used = [a.used_qty for a in allowances]
        partial = [i for i, a in enumerate(allowances) if a.used_qty < a.included_qty]
        if partial:
            assert all(u == 0 for u in used[partial[0] + 1:]), used
        # Every cycle invoice keeps one line per included session, adding up to the cycle.
        for cycle, a in zip(cycles, allowances, strict=True):
            items = s.exec(select(InvoiceItem).where(InvoiceItem.invoice_id == cycle.invoice_id)
                           ).all()
            assert len(items) == a.included_qty
            assert sum(i.unit_cents * i.quantity for i in items) == cycle.amount_cents
        # Unpaid cycle invoices are due on their cycle's first live appointment.
        tz = ZoneInfo(TZ)
        for cycle, a in zip(cycles, allowances, strict=True):
            invoice = s.get(Invoice, cycle.invoice_id)
            if invoice.status not in ("pendente", "vencida"):
                continue
            starts = [s.get(Appointment, u.appointment_id).start for u in live[a.id]]
            first = min(starts, default=None)
            expected = None if first is None else (
                first.replace(tzinfo=ZoneInfo("UTC")) if first.tzinfo is None else first
            ).astimezone(tz).date()
            assert invoice.due_date == expected
    # Paid invoices are never rewritten.
    assert _snapshot_paid(world, plan_id) == paid_before


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS, pay_first=st.booleans())
def test_any_sequence_keeps_the_sessions_the_quantities_and_the_paid_invoices(
    world, ops, pay_first
):
    pet_id = world.add_pet(name="Pet")
    plan = _package(world, pet_id, pay_first=pay_first)
    paid_before = _snapshot_paid(world, plan.id)
    visits: list[list] = []
    for op in ops:
        _apply(world, pet_id, plan.id, op, visits)
        _check(world, plan.id, paid_before)


def test_seed_example_a_package_billed_every_4_bookings_due_on_its_bookings(world):
    template = world.add_plan_template("Pacote 8 banhos", kind="pacote", services={"banho": 8},
                                       charge_every_n=4, months=3, price_cents=40000)
    plan = plans.sell_plan(world.engine, pet_id=world.pet_id, template_id=template,
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    days = [MONDAY + timedelta(days=d) for d in (0, 2, 4, 8, 10, 12, 14, 16)]  # alternate days
    visits = [book_at(world, "10:00", day=d, employee=None, pet_plan_id=plan.id) for d in days]

    def due_dates() -> list[date | None]:
        with Session(world.engine) as s:
            status = plans.plan_status(s, plan.id)
            return [s.get(Invoice, c.invoice_id).due_date for c in status.cycles]

    assert due_dates() == [days[0], days[4]]
    # The first cycle is paid; then its second visit is cancelled: the package regroups, the
    # fifth visit moves into cycle 1 (its paid invoice is untouched) and cycle 2 is now due on
    # the sixth visit; the freed session is the last one of the package.
    with Session(world.engine) as s:
        first_invoice = plans.plan_status(s, plan.id).cycles[0].invoice_id
    with write_session(world.engine) as s:
        payments.pay_invoice(s, first_invoice, method="pix", amount_cents=20000, now=NOW,
                             actor="staff:1")
    visit_status.cancel(world.engine, appointment_id=visits[1].id, now=NOW, actor="staff:1",
                        channel="staff")
    assert due_dates() == [days[0], days[5]]
    with Session(world.engine) as s:
        status = plans.plan_status(s, plan.id)
        assert s.get(Invoice, first_invoice).status == "paga"
    assert [[(a.used, a.remaining) for a in c.services] for c in status.cycles] == [
        [(4, 0)], [(3, 1)],
    ]
    # A replacement booking fills the session at the end.
    extra = book_at(world, "10:00", day=days[-1] + timedelta(days=2), employee=None,
                    pet_plan_id=plan.id)
    assert extra.total_cents == 0
    assert due_dates() == [days[0], days[5]]
