"""A sold plan's lifecycle: cancel, renew, manual counter edit, expiry, shown status, plan
records and the plan a booking can use. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing import credit, payments
from scheduler_core.billing.models import Invoice, InvoiceItem
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.errors import InvalidTransition, ValidationFailed
from scheduler_core.plans import lifecycle
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import Allowance as PlanAllowance
from scheduler_core.plans.models import PetPlan
from tests.scheduler_core.booking_helpers import MONDAY, book_at
from tests.scheduler_core.factories import NOW, build_shop

START = NOW.date()  # Wednesday 2026-03-04


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _sell(world, template_id, **kwargs):
    kwargs.setdefault("start_date", START)
    return plans.sell_plan(world.engine, pet_id=kwargs.pop("pet_id", world.pet_id),
                           template_id=template_id, now=NOW, actor="staff:1", **kwargs)


def _run(world, fn, *args, **kwargs):
    with write_session(world.engine, expire_on_commit=False) as s:
        return fn(s, *args, **kwargs)


def _invoices(world, plan_id):
    with Session(world.engine) as s:
        status = plans.plan_status(s, plan_id)
        return [(c.seq, s.get(Invoice, c.invoice_id).status) for c in status.cycles]


def _records(world, plan_id):
    with Session(world.engine) as s:
        return [r.label for r in lifecycle.plan_records(s, plan_id)]


def test_cancel_plan_cancels_future_visits_and_the_invoices_of_cycles_not_started(world):
    plan = _sell(world, world.add_plan_template(kind="trimestral", services={"banho": 4}))
    visit = book_at(world, "10:00", pet_plan_id=plan.id)
    result = _run(world, lifecycle.cancel_plan, plan.id, cancel_future_visits=True, now=NOW,
                  actor="staff:1")
    assert result.cancelled_appointment_ids == (visit.id,) and result.kept_appointment_ids == ()
    # The running cycle (March) is still due; April and May are cancelled.
    assert _invoices(world, plan.id) == [(1, "pendente"), (2, "cancelada"), (3, "cancelada")]
    assert len(result.cancelled_invoice_ids) == 2
    with Session(world.engine) as s:
        assert s.get(Appointment, visit.id).status == "cancelado"
        assert s.get(PetPlan, plan.id).status == "cancelado"
    assert _records(world, plan.id)[-1] == "Cancelamento"
    with pytest.raises(InvalidTransition, match="já está cancelado"):
        _run(world, lifecycle.cancel_plan, plan.id, cancel_future_visits=True, now=NOW,
             actor="staff:1")


def test_cancel_plan_keeping_visits_keeps_their_cycle_due(world):
    plan = _sell(world, world.add_plan_template(kind="trimestral", services={"banho": 4}))
    april = book_at(world, "10:00", day=date(2026, 4, 6), pet_plan_id=plan.id)
    result = _run(world, lifecycle.cancel_plan, plan.id, cancel_future_visits=False, now=NOW,
                  actor="staff:1")
    assert result.kept_appointment_ids == (april.id,)
    assert _invoices(world, plan.id) == [(1, "pendente"), (2, "pendente"), (3, "cancelada")]
    with Session(world.engine) as s:
        assert s.get(Appointment, april.id).status == "agendado"


def test_cancel_package_credits_the_unused_share_of_a_paid_cycle(world):
    template = world.add_plan_template("Pacote 8", kind="pacote", services={"banho": 8},
                                       charge_every_n=4, months=3, price_cents=40000)
    plan = _sell(world, template)
    first = book_at(world, "10:00", pet_plan_id=plan.id)
    with Session(world.engine) as s:
        cycle1 = plans.plan_status(s, plan.id).cycles[0]
    _run(world, payments.pay_invoice, cycle1.invoice_id, method="pix", amount_cents=20000,
         now=NOW, actor="staff:1")
    result = _run(world, lifecycle.cancel_plan, plan.id, cancel_future_visits=True, now=NOW,
                  actor="staff:1")
    assert result.cancelled_appointment_ids == (first.id,)
    # Cycle 1 paid R$ 200,00 for 4 sessions, none used: all of it becomes credit; the paid
    # invoice itself is untouched. Cycle 2 (unpaid) is cancelled.
    assert result.credit_cents == 20000
    assert _invoices(world, plan.id) == [(1, "paga"), (2, "cancelada")]
    with Session(world.engine) as s:
        assert credit.balance(s, world.tutor_id) == 20000


def test_renew_makes_a_new_period_and_rolls_over_only_with_the_flag(world):
    template = world.add_plan_template(services={"banho": 4}, allow_rollover=True)
    plan = _sell(world, template)
    book_at(world, "10:00", pet_plan_id=plan.id)
    new = _run(world, lifecycle.renew_plan, plan.id, now=NOW, actor="staff:1")
    assert new.start_date == plan.end_date + timedelta(days=1)
    assert new.price_cents == plan.price_cents
    with Session(world.engine) as s:
        status = plans.plan_status(s, new.id)
    assert [(a.included, a.used) for a in status.cycles[0].services] == [(7, 0)]  # 4 + 3 left
    with Session(world.engine) as s:  # one invoice line per session; the 3 carried over free
        items = s.exec(select(InvoiceItem).where(
            InvoiceItem.invoice_id == status.cycles[0].invoice_id).order_by(InvoiceItem.id)).all()
    assert [(i.name, i.unit_cents) for i in items][4:] == [
        (f"Banho — sessão transferida {k} de 3", 0) for k in (1, 2, 3)]
    assert len(items) == 7 and sum(i.unit_cents for i in items) == status.cycles[0].amount_cents
    assert _records(world, plan.id)[-1] == "Renovação"
    with pytest.raises(InvalidTransition, match="já foi renovado"):
        _run(world, lifecycle.renew_plan, plan.id, now=NOW, actor="staff:1")

    plain = _sell(world, world.add_plan_template("Sem rollover", services={"banho": 4}),
                  pet_id=world.add_pet(name="Luna"))
    renewed = _run(world, lifecycle.renew_plan, plain.id, now=NOW, actor="staff:1")
    with Session(world.engine) as s:
        status = plans.plan_status(s, renewed.id)
    assert [a.included for a in status.cycles[0].services] == [4]


def test_expiry_job_expires_or_finalises_and_the_shown_status_follows(world):
    template = world.add_plan_template(services={"banho": 4})
    lone = _sell(world, template)
    renewed = _sell(world, template, pet_id=world.add_pet(name="Luna"))
    _run(world, lifecycle.renew_plan, renewed.id, now=NOW, actor="staff:1")
    with Session(world.engine) as s:
        assert lifecycle.shown_status(s, s.get(PetPlan, lone.id), START) == "ativo"
        assert lifecycle.shown_status(s, s.get(PetPlan, lone.id),
                                      lone.end_date - timedelta(days=3)) == "expirando"
    later = NOW + timedelta(days=40)
    done = _run(world, lifecycle.expire_plans, now=later)
    assert set(done) == {lone.id, renewed.id}
    with Session(world.engine) as s:
        assert s.get(PetPlan, lone.id).status == "expirado"
        assert s.get(PetPlan, renewed.id).status == "finalizado"
    assert _run(world, lifecycle.expire_plans, now=later) == []


def test_a_package_with_every_session_used_shows_esgotado(world):
    plan = _sell(world, world.add_plan_template(kind="pacote", services={"banho": 1}, months=2))
    book_at(world, "10:00", pet_plan_id=plan.id)
    with Session(world.engine) as s:
        assert lifecycle.shown_status(s, s.get(PetPlan, plan.id), START) == "esgotado"


def test_manual_counter_edit_needs_a_reason_and_stays_within_the_cycle(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 4}))
    with Session(world.engine) as s:
        allowance = s.exec(select(PlanAllowance)).first()
    with pytest.raises(ValidationFailed, match="motivo"):
        _run(world, lifecycle.edit_counter, allowance.id, used=2, reason=" ", now=NOW,
             actor="staff:1")
    with pytest.raises(ValidationFailed, match="de 0 a 4"):
        _run(world, lifecycle.edit_counter, allowance.id, used=5, reason="x", now=NOW,
             actor="staff:1")
    _run(world, lifecycle.edit_counter, allowance.id, used=2, reason="Banho feito no balcão",
         now=NOW, actor="staff:1")
    with Session(world.engine) as s:
        assert plans.plan_status(s, plan.id).cycles[0].services[0].used == 2
        last = lifecycle.plan_records(s, plan.id)[-1]
    assert last.label == "Edição manual" and "Banho feito no balcão" in last.note
    assert last.actor == "staff:1"


def test_active_plan_for_says_what_is_left_and_when_it_is_used_up(world):
    plan = _sell(world, world.add_plan_template(services={"banho": 2}))
    banho, tosa = world.services["banho"], world.services["tosa"]
    with Session(world.engine) as s:
        offer = lifecycle.active_plan_for(s, world.pet_id, [banho, tosa], MONDAY)
        assert lifecycle.active_plan_for(s, world.pet_id, [tosa], MONDAY) is None
        assert lifecycle.active_plan_for(s, world.pet_id, [banho], date(2027, 1, 1)) is None
    assert offer.pet_plan_id == plan.id and offer.covered == (banho,)
    assert offer.label(banho) == "incluso no seu plano — restam 2 sessões de Banho neste ciclo"
    book_at(world, "10:00", pet_plan_id=plan.id)
    book_at(world, "14:00", pet_plan_id=plan.id)
    with Session(world.engine) as s:
        offer = lifecycle.active_plan_for(s, world.pet_id, [banho], MONDAY)
    assert offer.remaining == {banho: 0} and offer.exhausted == (banho,)
