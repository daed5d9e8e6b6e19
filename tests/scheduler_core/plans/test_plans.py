"""Plans and packages: the sale (cycles, allowances, invoices), bookings that use the allowance,
cancellations, no-shows and concurrency. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.billing.models import BillingCycle, Invoice, InvoiceItem
from scheduler_core.kernel.errors import CoreError, NotFound, ValidationFailed
from scheduler_core.people.models import Breed
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import PetPlan, PetPlanStatus, PlanLog, PlanUsage
from scheduler_core.scheduling import appointments, booking, visit_status
from tests.scheduler_core.booking_helpers import MONDAY, SECRET, book_at, items_of, offer, slot_at
from tests.scheduler_core.factories import NOW, at, build_shop

START = NOW.date()  # Wednesday 2026-03-04


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _sell(world, template_id, **kwargs):
    kwargs.setdefault("start_date", START)
    return plans.sell_plan(
        world.engine, pet_id=kwargs.pop("pet_id", world.pet_id), template_id=template_id,
        now=NOW, actor="staff:1", **kwargs,
    )


def _status(world, plan_id, **kwargs):
    with Session(world.engine) as s:
        return plans.plan_status(s, plan_id, **kwargs)


def _logs(world, plan_id) -> list[str]:
    with Session(world.engine) as s:
        rows = s.exec(select(PlanLog).where(PlanLog.pet_plan_id == plan_id)
                      .order_by(PlanLog.id)).all()
        return [r.kind for r in rows]


def _used(world, plan_id, seq=1, service="banho") -> tuple[int, int]:
    """(used, remaining) of ``service`` in cycle ``seq``."""
    cycle = _status(world, plan_id).cycles[seq - 1]
    [allowance] = [a for a in cycle.services if a.service_id == world.services[service]]
    return allowance.used, allowance.remaining


# --------------------------------------------------------------------------- sale


def test_quarterly_plan_has_three_monthly_cycles_each_with_allowance_and_invoice(world):
    template = world.add_plan_template("Banho trimestral", kind="trimestral",
                                       services={"banho": 4, "tosa": 1}, price_cents=45001)
    plan = _sell(world, template)

    assert plan.status == "ativo" and plan.price_cents == 45001
    assert (plan.start_date, plan.end_date) == (START, date(2026, 6, 3))
    status = _status(world, plan.id)
    assert [(c.seq, c.period_start, c.period_end, c.due_date) for c in status.cycles] == [
        (1, date(2026, 3, 4), date(2026, 4, 3), date(2026, 3, 4)),
        (2, date(2026, 4, 4), date(2026, 5, 3), date(2026, 4, 4)),
        (3, date(2026, 5, 4), date(2026, 6, 3), date(2026, 5, 4)),
    ]
    assert [c.amount_cents for c in status.cycles] == [15001, 15000, 15000]
    assert [c.is_current for c in status.cycles] == [True, False, False]
    for cycle in status.cycles:
        assert {(a.service_name, a.included, a.used, a.remaining) for a in cycle.services} == {
            ("Banho", 4, 0, 4), ("Tosa", 1, 0, 1),
        }
    with Session(world.engine) as s:
        invoices = s.exec(select(Invoice).order_by(Invoice.number)).all()
        assert [(i.kind, i.status, i.due_date, i.pet_id) for i in invoices] == [
            ("plano", "pendente", c.due_date, world.pet_id) for c in status.cycles
        ]
        assert [i.number for i in invoices] == [1, 2, 3]
        assert [c.invoice_id for c in status.cycles] == [i.id for i in invoices]
        # One line per included session, the cycle's price split so the lines add up to it
        # exactly (the leftover centavo on the last line).
        for invoice, cycle in zip(invoices, status.cycles, strict=True):
            items = s.exec(select(InvoiceItem).where(InvoiceItem.invoice_id == invoice.id)
                           .order_by(InvoiceItem.id)).all()
            assert [(i.name, i.quantity) for i in items] == [
                ("Banho — sessão 1 de 4", 1), ("Banho — sessão 2 de 4", 1),
                ("Banho — sessão 3 de 4", 1), ("Banho — sessão 4 de 4", 1),
                ("Tosa — sessão 1 de 1", 1),
            ]
            assert sum(i.unit_cents for i in items) == cycle.amount_cents
            assert [i.unit_cents for i in items] == (
                [3000, 3000, 3000, 3000, 3001] if cycle.seq == 1 else [3000] * 5
            )
        assert invoices[0].note == "Banho trimestral — ciclo 1/3 · Trimestral de Thor"
    assert _logs(world, plan.id) == ["sell"]
    # Later in the plan, the cycle holding that date is the current one.
    later = _status(world, plan.id, today=date(2026, 4, 20))
    assert [c.is_current for c in later.cycles] == [False, True, False]


def test_price_comes_from_the_porte_table_less_discount_unless_overridden(world):
    template = world.add_plan_template(price_cents=20000, price_by_porte={"pequeno": 19000},
                                       discount_pct=15)
    assert _sell(world, template).price_cents == 16150  # Thor is pequeno: 190,00 − 15 %
    other = world.add_pet(name="Bolt", porte="grande")
    assert _sell(world, template, pet_id=other).price_cents == 17000  # no cell: 200,00 − 15 %
    assert _sell(world, template, pet_id=other, price_cents=12345).price_cents == 12345


def test_a_month_end_start_is_clamped_to_shorter_months(world):
    template = world.add_plan_template(kind="trimestral")
    plan = _sell(world, template, start_date=date(2026, 1, 31))
    assert [(c.period_start, c.period_end) for c in _status(world, plan.id).cycles] == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
    ]
    assert plan.end_date == date(2026, 4, 29)  # the last cycle's end


def test_templates_for_another_species_are_refused(world):
    cats_only = world.add_plan_template("Plano gatos", species=["gato"])
    with pytest.raises(ValidationFailed) as exc:
        _sell(world, cats_only)
    assert exc.value.message == "Nenhum plano disponível para este pet."
    inactive = world.add_plan_template("Antigo", active=False)
    with pytest.raises(ValidationFailed, match="Nenhum plano disponível"):
        _sell(world, inactive)
    with pytest.raises(NotFound, match="Plano não encontrado"):
        _sell(world, 9999)
    with pytest.raises(ValidationFailed, match="Preço inválido"):
        _sell(world, world.add_plan_template(), price_cents=-1)
    with Session(world.engine) as s:
        assert s.exec(select(BillingCycle)).all() == []
        assert s.exec(select(Invoice)).all() == []


def test_a_template_for_other_breeds_is_refused_for_this_pet(world):
    with Session(world.engine) as s:
        poodle, pug = Breed(species="cao", name="Poodle"), Breed(species="cao", name="Pug")
        s.add_all([poodle, pug])
        s.commit()
        poodle_id, pug_id = poodle.id, pug.id
    only_pugs = world.add_plan_template("Plano pugs", breed_ids=[pug_id])
    poodle_pet = world.add_pet(name="Mel", breed_id=poodle_id)
    for pet_id in (poodle_pet, world.pet_id):  # another breed, or no breed at all
        with pytest.raises(ValidationFailed) as exc:
            _sell(world, only_pugs, pet_id=pet_id)
        assert exc.value.message == "Este plano não vale para a raça deste pet."
    with Session(world.engine) as s:
        assert s.exec(select(PetPlan)).all() == [] and s.exec(select(Invoice)).all() == []
    assert _sell(world, only_pugs, pet_id=world.add_pet(name="Bob", breed_id=pug_id)).id


# --------------------------------------------------------------------------- bookings


def test_booking_uses_the_allowance_then_falls_back_to_the_normal_price(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 2}))

    first = book_at(world, "10:00", services=("banho", "tosa"), pet_plan_id=plan.id)
    assert [(i.price_cents, i.in_plan) for i in items_of(world, first.id)] == [
        (0, True), (4000, False),  # tosa is not in the plan
    ]
    assert first.total_cents == 4000 and first.plan_note == ""
    assert _used(world, plan.id) == (1, 1)

    second = book_at(world, "10:00", day=MONDAY + timedelta(days=1), pet_plan_id=plan.id)
    assert second.total_cents == 0
    assert _used(world, plan.id) == (2, 0)

    third = book_at(world, "10:00", day=MONDAY + timedelta(days=2), pet_plan_id=plan.id)
    assert [(i.price_cents, i.in_plan) for i in items_of(world, third.id)] == [(5000, False)]
    assert third.total_cents == 5000 and third.pet_plan_id == plan.id
    assert third.plan_note == (
        "Franquia deste ciclo do plano esgotada para Banho: cobrado o preço normal."
    )
    assert _used(world, plan.id) == (2, 0)
    with Session(world.engine) as s:
        summary = appointments.appointment_summary(s, third.id)
        assert summary.plan_note == third.plan_note
        notes = [r.note for r in s.exec(select(PlanLog).where(PlanLog.kind == "new_booking")
                                        .order_by(PlanLog.id))]
    assert _logs(world, plan.id) == ["sell", "new_booking", "new_booking", "new_booking"]
    assert notes[0] == "No plano: Banho."
    assert "esgotada" in notes[2]


def test_an_expired_plan_or_a_day_past_its_term_books_at_the_normal_price(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 4}))
    with Session(world.engine) as s:
        row = s.get(PetPlan, plan.id)
        end = row.end_date
    after = end + timedelta(days=1)
    after += timedelta(days=(7 - after.weekday()) % 7 if after.weekday() >= 5 else 0)
    late = book_at(world, "10:00", day=after, pet_plan_id=plan.id)
    assert late.total_cents == 5000 and late.pet_plan_id is None
    assert late.plan_note == "Data fora da vigência do plano: agendado com o preço normal."
    with Session(world.engine) as s:
        row = s.get(PetPlan, plan.id)
        row.status = PetPlanStatus.EXPIRADO
        s.add(row)
        s.commit()
    expired = book_at(world, "10:00", pet_plan_id=plan.id)
    assert expired.total_cents == 5000 and expired.pet_plan_id is None
    assert expired.plan_note == "Plano não está ativo: agendado com o preço normal."
    assert _used(world, plan.id) == (0, 4)  # nothing was taken from the allowance


def test_a_plan_visit_takes_the_unit_of_the_cycle_holding_its_date(world):
    plan = _sell(world, world.add_plan_template(kind="trimestral", services={"banho": 1}))
    book_at(world, "10:00", pet_plan_id=plan.id)  # March → cycle 1
    april = date(2026, 4, 6)
    book_at(world, "10:00", day=april, pet_plan_id=plan.id)  # April 6 → cycle 2
    assert [_used(world, plan.id, seq) for seq in (1, 2, 3)] == [(1, 0), (1, 0), (0, 1)]


def test_cancel_in_time_returns_the_unit_late_cancel_and_no_show_consume_it(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 3}))
    in_time = book_at(world, "09:00", pet_plan_id=plan.id)
    late = book_at(world, "11:00", pet_plan_id=plan.id)
    missed = book_at(world, "14:00", pet_plan_id=plan.id)
    assert _used(world, plan.id) == (3, 0)

    visit_status.cancel(world.engine, appointment_id=in_time.id, now=NOW, actor="staff:1",
                        channel="staff")  # days ahead: outside the 24 h minimum notice
    assert _used(world, plan.id) == (2, 1)
    visit_status.cancel(world.engine, appointment_id=late.id, now=at(MONDAY, "08:00"),
                        actor="staff:1", channel="staff")  # 3 h before: inside the notice
    assert _used(world, plan.id) == (2, 1)
    visit_status.mark_no_show(world.engine, appointment_id=missed.id, now=at(MONDAY, "15:00"),
                              actor="staff:1")
    assert _used(world, plan.id) == (2, 1)

    assert _logs(world, plan.id)[-3:] == ["canceled_booking", "late_cancel", "no_show"]
    with Session(world.engine) as s:
        states = {u.appointment_id: u.state for u in s.exec(select(PlanUsage))}
    assert states == {in_time.id: "returned", late.id: "consumed", missed.id: "consumed"}
    # The returned unit can be booked again.
    again = book_at(world, "10:00", day=MONDAY + timedelta(days=1), pet_plan_id=plan.id)
    assert again.total_cents == 0 and _used(world, plan.id) == (3, 0)


def test_bot_cancellation_returns_the_unit(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 1}))
    appt = book_at(world, "10:00", origin="bot", pet_plan_id=plan.id)
    visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="bot", channel="bot",
                        pet_id=world.pet_id)
    assert _used(world, plan.id) == (0, 1)


def test_reschedule_keeps_the_unit_and_the_free_line(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 1}))
    appt = book_at(world, "10:00", pet_plan_id=plan.id)
    token = slot_at(offer(world, MONDAY + timedelta(days=1), (), moving=appt.id), "15:00").token
    moved = booking.reschedule(world.engine, appointment_id=appt.id, token=token, now=NOW,
                               secret=SECRET, actor="staff:1", channel="staff")
    assert moved.start == at(MONDAY + timedelta(days=1), "15:00")
    assert moved.total_cents == 0 and moved.pet_plan_id == plan.id
    assert [(i.price_cents, i.in_plan) for i in items_of(world, appt.id)] == [(0, True)]
    assert _used(world, plan.id) == (1, 0)
    assert _logs(world, plan.id) == ["sell", "new_booking"]


def test_a_plan_of_another_pet_is_refused(world):
    plan = _sell(world, world.add_plan_template())
    other = world.add_pet(name="Luna")
    with pytest.raises(NotFound, match="Plano não encontrado para este pet"):
        book_at(world, "10:00", pet_id=other, pet_plan_id=plan.id)
    assert _used(world, plan.id) == (0, 4)


# --------------------------------------------------------------------------- packages


def test_package_cycles_of_n_appointments_due_on_their_first_appointment(world):
    template = world.add_plan_template("Pacote 6 banhos", kind="pacote", services={"banho": 6},
                                       charge_every_n=4, months=3, price_cents=30000)
    plan = _sell(world, template)
    assert plan.end_date == date(2026, 6, 3)
    status = _status(world, plan.id)
    assert [(c.seq, c.amount_cents, c.due_date, c.is_current) for c in status.cycles] == [
        (1, 15000, None, True), (2, 15000, None, False),
    ]
    assert [[a.included for a in c.services] for c in status.cycles] == [[4], [2]]
    with Session(world.engine) as s:
        lines = [[(i.name, i.unit_cents) for i in s.exec(
            select(InvoiceItem).where(InvoiceItem.invoice_id == c.invoice_id)
            .order_by(InvoiceItem.id))] for c in status.cycles]
    assert lines == [
        [(f"Banho — sessão {k} de 4", 3750) for k in range(1, 5)],
        [("Banho — sessão 1 de 2", 7500), ("Banho — sessão 2 de 2", 7500)],
    ]

    days = [MONDAY + timedelta(days=d) for d in (1, 0, 2, 3, 7)]  # booked out of order
    appts = [book_at(world, "10:00", day=d, pet_plan_id=plan.id) for d in days]
    assert all(a.total_cents == 0 for a in appts)
    status = _status(world, plan.id)
    assert [(c.due_date, c.is_current) for c in status.cycles] == [
        (MONDAY, False), (MONDAY + timedelta(days=7), True),
    ]
    assert [[(a.used, a.remaining) for a in c.services] for c in status.cycles] == [
        [(4, 0)], [(1, 1)],
    ]
    with Session(world.engine) as s:
        due = [s.get(Invoice, c.invoice_id).due_date for c in status.cycles]
    assert due == [MONDAY, MONDAY + timedelta(days=7)]

    # Cancelling the first visit of cycle 1 gives its unit back and regroups the package: the
    # visit of cycle 2 moves up into cycle 1, the freed session goes to the end; the due dates
    # follow the cycles' new first appointments.
    visit_status.cancel(world.engine, appointment_id=appts[1].id, now=NOW, actor="staff:1",
                        channel="staff")
    status = _status(world, plan.id)
    assert [c.due_date for c in status.cycles] == [MONDAY + timedelta(days=1), None]
    assert [[(a.used, a.remaining) for a in c.services] for c in status.cycles] == [
        [(4, 0)], [(0, 2)],
    ]
    assert status.current.seq == 2
    assert status.remaining(world.services["banho"]) == 2
    assert _logs(world, plan.id)[-2:] == ["canceled_booking", "regroup"]

    # Six sessions in all: once used up, the normal price.
    book_at(world, "10:00", day=MONDAY + timedelta(days=8), pet_plan_id=plan.id)
    book_at(world, "10:00", day=MONDAY + timedelta(days=9), pet_plan_id=plan.id)
    extra = book_at(world, "10:00", day=MONDAY + timedelta(days=10), pet_plan_id=plan.id)
    assert extra.total_cents == 5000
    assert extra.plan_note.startswith("Franquia deste pacote esgotada para Banho")


# --------------------------------------------------------------------------- concurrency


def test_twenty_concurrent_bookings_against_four_units_use_exactly_four(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 4}))
    hours = ["08:00", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00", "17:00"]
    tokens = []
    for day in (MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)):
        result = offer(world, day, employee="ana")
        tokens += [slot_at(result, h).token for h in hours]
    tokens = tokens[:20]
    barrier = threading.Barrier(len(tokens))

    def run(token):
        barrier.wait()
        try:
            return booking.book(world.engine, token=token, now=NOW, secret=SECRET,
                                origin="bot", actor="bot", pet_plan_id=plan.id), None
        except CoreError as exc:
            return None, exc.code

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        outcomes = list(pool.map(run, tokens))
    assert Counter(code for _a, code in outcomes if code) == Counter()
    booked = [a for a, _c in outcomes if a is not None]
    assert len(booked) == 20
    assert sorted(a.total_cents for a in booked) == [0] * 4 + [5000] * 16
    with Session(world.engine) as s:
        in_plan = s.exec(select(AppointmentItem).where(AppointmentItem.in_plan.is_(True))).all()
        assert len(in_plan) == 4
        assert len(s.exec(select(PlanUsage)).all()) == 4
        assert len(s.exec(select(Appointment)).all()) == 20
    assert _used(world, plan.id) == (4, 0)
    assert _logs(world, plan.id).count("new_booking") == 20
