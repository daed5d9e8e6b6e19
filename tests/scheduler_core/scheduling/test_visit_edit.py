"""Editing a booked visit in place: a service or add-on added must still fit at the same start
(else the conflicts come back, or it is kept as an Encaixe), prices come from the pet's cell,
Leva e Traz needs its notice, and the visit's invoice follows (a paid one never changes).
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.billing import credit, payments
from scheduler_core.billing.models import Invoice, InvoiceItem
from scheduler_core.kernel.clock import from_utc_naive
from scheduler_core.kernel.errors import InvalidTransition, NoticeTooShort, ValidationFailed
from scheduler_core.plans import service as plans
from scheduler_core.scheduling import booking, visit_edit, visit_status
from tests.scheduler_core.booking_helpers import (
    MONDAY,
    SECRET,
    audit_rows,
    book_at,
    get_appointment,
    items_of,
    offer,
    slot_at,
)
from tests.scheduler_core.factories import NOW, TZ, build_shop


@pytest.fixture
def world(db_engine):
    world = build_shop(db_engine, shop={"leva_e_traz_enabled": True,
                                        "leva_e_traz_flat_fee_cents": 1500,
                                        "leva_e_traz_min_notice_hours": 24})
    world.add_service("hidratacao", category="banho", is_addon=True, price_cents=None,
                      display_order=2,
                      cells={("pequeno", "curta"): (2500, 15), ("grande", "longa"): (6000, 30)})
    return world


def _edit(world, appt_id, **kwargs):
    return visit_edit.edit_visit(world.engine, appointment_id=appt_id, now=NOW,
                                 actor="staff:1", **kwargs)


def _times(world, appt_id):
    """(service, professional, "HH:MM–HH:MM" on the shop's clock, price) per item."""
    return [(it.service_id, it.employee_id,
             f"{from_utc_naive(it.start, TZ):%H:%M}–{from_utc_naive(it.end, TZ):%H:%M}",
             it.price_cents) for it in items_of(world, appt_id)]


def _invoices(world, appt_id):
    with Session(world.engine) as s:
        rows = s.exec(select(Invoice).where(Invoice.appointment_id == appt_id)
                      .order_by(Invoice.id)).all()
        return [(i.status, [(it.name, it.unit_cents) for it in s.exec(
            select(InvoiceItem).where(InvoiceItem.invoice_id == i.id).order_by(InvoiceItem.id))])
            for i in rows]


def test_a_service_added_that_still_fits_lengthens_the_visit_from_the_same_start(world):
    appt = book_at(world, "10:00")
    result = _edit(world, appt.id, add_service_ids=[world.services["tosa"]])
    assert result.fits
    ana = world.employees["ana"]
    assert _times(world, appt.id) == [
        (world.services["banho"], ana, "10:00–11:00", 5000),
        (world.services["tosa"], ana, "11:00–11:30", 4000),
    ]
    after = get_appointment(world, appt.id)
    assert after.total_cents == 9000 and not after.is_encaixe
    summary = audit_rows(world, "appointment.edit")[-1].details["summary"]
    assert "Incluído Tosa (R$ 40,00, 30 min)." in summary
    assert "Horário: 10:00–11:30; total R$ 90,00." in summary


def test_a_service_that_no_longer_fits_because_the_next_visit_starts_returns_the_conflict(world):
    appt = book_at(world, "10:00")
    other_pet = world.add_pet(name="Luna")
    book_at(world, "11:00", pet_id=other_pet)  # Ana, the only groomer, is busy from 11:00
    result = _edit(world, appt.id, add_service_ids=[world.services["tosa"]])
    assert not result.fits
    assert result.message == "Com essa mudança o atendimento não cabe mais no horário."
    assert [c.kind for c in result.conflicts] == ["overlap"]
    assert "Ana já tem um atendimento nesse horário." in result.conflicts[0].message
    unchanged = get_appointment(world, appt.id)
    assert unchanged.end == appt.end and unchanged.total_cents == 5000
    assert len(items_of(world, appt.id)) == 1

    forced = _edit(world, appt.id, add_service_ids=[world.services["tosa"]], force=True)
    kept = get_appointment(world, appt.id)
    assert kept.is_encaixe and kept.end == appt.end + timedelta(minutes=30)
    assert "Mantido como encaixe." in forced.changes
    assert audit_rows(world, "appointment.edit")[-1].details["conflicts"][0]["kind"] == "overlap"


def test_an_addon_is_priced_and_timed_by_the_pets_cell(world):
    appt = book_at(world, "10:00")
    _edit(world, appt.id, add_service_ids=[world.services["hidratacao"]])
    thor = get_appointment(world, appt.id)
    assert thor.total_cents == 5000 + 2500
    assert thor.end == appt.end + timedelta(minutes=15)

    big = world.add_pet(name="Rex", porte="grande", pelagem="longa")
    rex = book_at(world, "14:00", pet_id=big)
    _edit(world, rex.id, add_service_ids=[world.services["hidratacao"]])
    assert get_appointment(world, rex.id).total_cents == 5000 + 6000
    assert get_appointment(world, rex.id).end == rex.end + timedelta(minutes=30)

    no_cell = world.add_pet(name="Bidu", porte="grande", pelagem="curta")
    bidu = book_at(world, "16:00", pet_id=no_cell)
    with pytest.raises(ValidationFailed, match="Hidratacao não está disponível para Bidu"):
        _edit(world, bidu.id, add_service_ids=[world.services["hidratacao"]])


def test_removing_a_service_shortens_the_visit_and_the_last_one_cannot_go(world):
    appt = book_at(world, "10:00", services=("banho", "tosa"))
    _edit(world, appt.id, remove_service_ids=[world.services["tosa"]])
    after = get_appointment(world, appt.id)
    assert after.total_cents == 5000 and after.end == appt.end - timedelta(minutes=30)
    with pytest.raises(ValidationFailed, match="pelo menos um serviço"):
        _edit(world, appt.id, remove_service_ids=[world.services["banho"]])


def test_leva_e_traz_is_added_with_its_fee_but_not_inside_its_notice(world):
    appt = book_at(world, "10:00")  # next Monday: days ahead
    result = _edit(world, appt.id, leva_e_traz=True)
    after = get_appointment(world, appt.id)
    assert after.leva_e_traz and after.leva_e_traz_fee_cents == 1500
    assert result.changes == ("Leva e Traz incluído (R$ 15,00).",)

    today = book_at(world, "14:00", day=NOW.date())  # five hours from now
    with pytest.raises(NoticeTooShort, match="pelo menos 24 horas de antecedência"):
        _edit(world, today.id, leva_e_traz=True)
    assert not get_appointment(world, today.id).leva_e_traz
    _edit(world, appt.id, leva_e_traz=False)
    assert get_appointment(world, appt.id).leva_e_traz_fee_cents == 0


def test_notes_change_is_audited_and_the_same_text_changes_nothing(world):
    appt = book_at(world, "10:00")
    assert _edit(world, appt.id, notes="  Cuidado com a orelha  ").changes == (
        "Observações alteradas.",)
    assert get_appointment(world, appt.id).notes == "Cuidado com a orelha"
    assert _edit(world, appt.id, notes="Cuidado com a orelha").message == "Nada foi alterado."
    assert len(audit_rows(world, "appointment.edit")) == 1


def _finish(world, appt_id):
    visit_status.set_status(world.engine, appointment_id=appt_id, status="finalizado", now=NOW,
                            actor="staff:1")


def test_an_unpaid_invoice_follows_the_visit(world):
    appt = book_at(world, "10:00")
    _finish(world, appt.id)
    result = _edit(world, appt.id, add_service_ids=[world.services["tosa"]], leva_e_traz=True)
    assert _invoices(world, appt.id) == [
        ("pendente", [("Banho", 5000), ("Tosa", 4000), ("Leva e Traz", 1500)])]
    assert any(c.startswith("Fatura #") and "incluído Tosa" in c for c in result.changes)
    _edit(world, appt.id, remove_service_ids=[world.services["banho"]])
    assert _invoices(world, appt.id) == [("pendente", [("Tosa", 4000), ("Leva e Traz", 1500)])]


def test_a_paid_invoice_is_never_rewritten(world):
    appt = book_at(world, "10:00")
    _finish(world, appt.id)
    with Session(world.engine) as s:
        invoice = s.exec(select(Invoice).where(Invoice.appointment_id == appt.id)).one()
        payments.pay(s, invoice_ids=[invoice.id], method="pix", amount_cents=5000, now=NOW,
                     actor="staff:1")
        s.commit()
    _edit(world, appt.id, add_service_ids=[world.services["tosa"]])
    assert _invoices(world, appt.id) == [("paga", [("Banho", 5000)]),
                                         ("pendente", [("Tosa", 4000)])]
    result = _edit(world, appt.id, remove_service_ids=[world.services["banho"]])
    assert _invoices(world, appt.id)[0] == ("paga", [("Banho", 5000)])
    with Session(world.engine) as s:
        assert credit.balance(s, world.tutor_id) == 5000
    assert any("R$ 50,00 viraram crédito do tutor" in c for c in result.changes)


def test_a_plan_covered_service_keeps_its_plan_unit(world):
    plan = plans.sell_plan(world.engine, pet_id=world.pet_id,
                           template_id=world.add_plan_template(services={"banho": 4}),
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    appt = book_at(world, "10:00", pet_plan_id=plan.id)
    _edit(world, appt.id, add_service_ids=[world.services["tosa"]])
    lines = [(it.price_cents, it.in_plan) for it in items_of(world, appt.id)]
    assert lines == [(0, True), (4000, False)]
    assert get_appointment(world, appt.id).total_cents == 4000
    _edit(world, appt.id, remove_service_ids=[world.services["banho"]])
    with Session(world.engine) as s:
        status = plans.plan_status(s, plan.id, today=NOW.date())
    assert status.remaining(world.services["banho"]) == 4


def test_a_cancelled_visit_is_not_edited(world):
    appt = book_at(world, "10:00")
    visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="staff:1",
                        channel="staff")
    with pytest.raises(InvalidTransition, match="Cancelado não podem ser alterados"):
        _edit(world, appt.id, notes="x")


def test_rescheduling_to_another_professional_is_audited_in_portuguese(world):
    appt = book_at(world, "10:00")
    moving = offer(world, services=(), employee="bruno", moving=appt.id)
    booking.reschedule(world.engine, appointment_id=appt.id, token=slot_at(moving, "14:00").token,
                       now=NOW, secret=SECRET, actor="staff:1", channel="staff")
    assert [it.employee_id for it in items_of(world, appt.id)] == [world.employees["bruno"]]
    assert audit_rows(world, "appointment.reschedule")[-1].details["summary"] == (
        "Remarcado de 09/03 10:00 (Ana) para 09/03 14:00 (Bruno).")


def test_a_combo_keeps_its_discount_only_while_complete(world):
    combo = world.add_combo("Banho e tosa", ["banho", "tosa"], discount_kind="percentual",
                            discount_value=10)
    result = booking.find_slots(world.engine, shop_id=world.shop_id, pet_id=world.pet_id,
                                service_ids=[], combo_id=combo, date_from=MONDAY,
                                date_to=MONDAY, channel="staff", now=NOW, secret=SECRET)
    appt = booking.book(world.engine, token=slot_at(result, "10:00").token, now=NOW,
                        secret=SECRET, origin="staff", actor="staff:1")
    assert get_appointment(world, appt.id).total_cents == 8100
    _edit(world, appt.id, add_service_ids=[world.services["hidratacao"]])
    assert get_appointment(world, appt.id).total_cents == 8100 + 2500
    edited = _edit(world, appt.id, remove_service_ids=[world.services["tosa"]])
    after = get_appointment(world, appt.id)
    assert (after.total_cents, after.discount_cents, after.combo_id) == (7500, 0, None)
    assert "O desconto do combo saiu: o combo não está mais completo." in edited.changes
