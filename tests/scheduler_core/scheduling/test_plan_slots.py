"""Selling a plan with a fixed weekly slot books every occurrence through the booking service
and lists, in pt-BR, each one that did not fit and why. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlmodel import Session, select

from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.plans.models import PlanTemplateService
from scheduler_core.scheduling import plan_slots
from tests.scheduler_core.booking_helpers import SECRET, book_at
from tests.scheduler_core.factories import NOW, build_shop

START = NOW.date()  # Wednesday 2026-03-04; the month runs to 2026-04-03


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _template(world, quantity, reserve="semanal", per_week=1):
    template = world.add_plan_template("Banho semanal fixo", services={"banho": quantity})
    with Session(world.engine) as s:
        row = s.exec(select(PlanTemplateService)
                     .where(PlanTemplateService.template_id == template)).one()
        row.reserve, row.per_week = reserve, per_week
        s.add(row)
        s.commit()
    return template


def _sell(world, template, slots):
    return plan_slots.sell_with_fixed_slots(
        world.engine, pet_id=world.pet_id, template_id=template, start_date=START,
        slots=slots, now=NOW, actor="staff:1", secret=SECRET)


def test_weekly_slot_books_the_mondays_and_lists_what_did_not_fit(world):
    template = _template(world, quantity=2)
    # Monday 16/03 at 10:00 both groomers are taken.
    for name in ("Luna", "Bolt"):
        book_at(world, "10:00", day=date(2026, 3, 16), employee=None,
                pet_id=world.add_pet(name=name))
    sale = _sell(world, template, [plan_slots.FixedSlot(0, time(10, 0))])
    assert [a.start.date() for a in sale.appointments] == [date(2026, 3, 9), date(2026, 3, 23)]
    assert all(a.total_cents == 0 and a.pet_plan_id == sale.plan.id for a in sale.appointments)
    assert [c.day for c in sale.conflicts] == [date(2026, 3, 16), date(2026, 3, 30)]
    assert sale.conflicts[0].message.startswith("Segunda 16/03 às 10:00: ")
    assert "sem sessão do plano" in sale.conflicts[1].message


def test_fortnightly_books_every_other_week(world):
    template = _template(world, quantity=4, reserve="quinzenal")
    first = _sell(world, template, [plan_slots.FixedSlot(2, time(14, 0))])
    assert [a.start.date() for a in first.appointments] == [date(2026, 3, 4), date(2026, 3, 18),
                                                            date(2026, 4, 1)]
    assert first.conflicts == ()


def test_bad_slots_are_refused_before_the_sale(world):
    template = _template(world, quantity=4, per_week=2)
    with pytest.raises(ValidationFailed, match="Escolha 2 horário"):
        _sell(world, template, [plan_slots.FixedSlot(0, time(10, 0))])
    with pytest.raises(ValidationFailed, match="dias da semana diferentes"):
        _sell(world, template, [plan_slots.FixedSlot(0, time(10, 0)),
                                plan_slots.FixedSlot(0, time(15, 0))])
    plain = world.add_plan_template("Sem reserva")
    with pytest.raises(ValidationFailed, match="não tem reserva"):
        _sell(world, plain, [plan_slots.FixedSlot(0, time(10, 0))])
