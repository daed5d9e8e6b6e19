"""A visit gets its invoice when it is finalised (TecPet bills at the visit): no extra call, once,
with the plan's lines at zero. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from scheduler_core.billing.models import Invoice, InvoiceItem
from scheduler_core.plans import service as plans
from scheduler_core.scheduling import visit_status
from tests.scheduler_core.booking_helpers import book_at
from tests.scheduler_core.factories import NOW, build_shop


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _status(world, appointment_id, status):
    visit_status.set_status(world.engine, appointment_id=appointment_id, status=status, now=NOW,
                            actor="staff:1")


def _invoices(world, appointment_id):
    with Session(world.engine) as s:
        rows = s.exec(select(Invoice).where(Invoice.appointment_id == appointment_id)).all()
        return [(i.kind, i.status, [(it.name, it.unit_cents, it.in_plan) for it in s.exec(
            select(InvoiceItem).where(InvoiceItem.invoice_id == i.id))]) for i in rows]


def test_finishing_a_visit_makes_its_invoice_once(world):
    appt = book_at(world, "10:00", services=("banho", "tosa"))
    _status(world, appt.id, "em_atendimento")
    assert _invoices(world, appt.id) == []
    _status(world, appt.id, "finalizado")
    _status(world, appt.id, "entregue")
    assert _invoices(world, appt.id) == [
        ("agendamento", "pendente", [("Banho", 5000, False), ("Tosa", 4000, False)]),
    ]


def test_delivering_straight_away_also_bills_and_a_plan_visit_is_sem_cobranca(world):
    plan = plans.sell_plan(world.engine, pet_id=world.pet_id,
                           template_id=world.add_plan_template(services={"banho": 4}),
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    appt = book_at(world, "10:00", pet_plan_id=plan.id)
    _status(world, appt.id, "entregue")
    assert _invoices(world, appt.id) == [("agendamento", "sem_cobranca", [("Banho", 0, True)])]
