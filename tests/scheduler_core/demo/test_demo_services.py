"""The demo shop shows only what the product can produce: every visit is one the booking
service would accept, and plans and billing are there at once (issue 11 "Demo shop")."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import FREEING_STATUSES, Appointment, AppointmentItem
from scheduler_core.billing import credit
from scheduler_core.billing.invoices import totals
from scheduler_core.billing.models import CreditEntry, CreditReason, Invoice, InvoiceKind
from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.models import Combo, ComboItem
from scheduler_core.db.engine import make_engine
from scheduler_core.db.migrate import upgrade
from scheduler_core.demo import load_demo
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans.models import PetPlan, PlanLog, PlanTemplate
from scheduler_core.scheduling import availability
from scheduler_core.scheduling.agenda_types import AvailabilityQuery
from scheduler_core.scheduling.snapshot import load_snapshot, pet_info
from scheduler_core.shop.models import Shop
from tests.scheduler_core.factories import NOW

TODAY = NOW.date()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo shop (SQLite) for the read-only checks of this module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    upgrade(url)
    engine = make_engine(url)
    summary = load_demo(engine, NOW)
    assert summary is not None
    yield engine, summary
    engine.dispose()


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_every_demo_visit_is_a_slot_the_booking_service_would_accept(demo):
    """Each active visit, checked as ``book`` re-validates a slot: asked of the engine as of the
    moment it was booked, on its channel, with its own place set aside, the very same slot
    (start, professionals, times) is offered at the very same prices."""
    engine, summary = demo
    with Session(engine) as s:
        shop = s.get(Shop, summary.shop_id)
        visits = [
            a for a in s.exec(select(Appointment).order_by(Appointment.id)).all()
            if a.status not in FREEING_STATUSES
        ]
        items = defaultdict(list)
        for it in s.exec(select(AppointmentItem).order_by(AppointmentItem.position)).all():
            items[it.appointment_id].append(it)
        pets = {p.id: p for p in s.exec(select(Pet)).all()}
        first = min(_aware(a.start) for a in visits).astimezone(NOW.tzinfo).date()
        last = max(_aware(a.end) for a in visits).astimezone(NOW.tzinfo).date()
        snapshots = {
            seg: load_snapshot(s, shop.id, seg, first, last)
            for seg in {a.segment_id for a in visits}
        }
    assert len(visits) > 150
    for appt in visits:
        lines = items[appt.id]
        snapshot = snapshots[appt.segment_id]
        day = _aware(appt.start).astimezone(NOW.tzinfo).date()
        query = AvailabilityQuery(
            pet=pet_info(pets[appt.pet_id]),
            service_ids=tuple(it.service_id for it in lines),
            date_from=day,
            date_to=day,
            now=_aware(appt.created_at),
            channel="bot" if appt.origin == "bot" else "staff",
            employee_by_category={
                snapshot.services[it.service_id].category_id: it.employee_id for it in lines
            },
            moving_appointment_id=appt.id,
        )
        offered = {
            sl.start: sl for sl in availability.find_slots(snapshot, query).slots
        }.get(_aware(appt.start))
        assert offered is not None, f"visit {appt.id} is not a slot the engine offers"
        assert [(i.service_id, i.employee_id, i.start, i.end) for i in offered.items] == [
            (it.service_id, it.employee_id, _aware(it.start), _aware(it.end)) for it in lines
        ], appt.id
        for it, fresh in zip(lines, offered.items, strict=True):
            assert it.price_cents == (0 if it.in_plan else fresh.price_cents), appt.id


def test_demo_totals_are_the_pricing_functions(demo):
    """Combo visits carry the catalogue's combo discount; the Leva e Traz fee is the zone's
    fee for the tutor's address and stays out of the visit's total."""
    engine, _summary = demo
    with Session(engine) as s:
        combos = {c.id: c for c in s.exec(select(Combo)).all()}
        members = defaultdict(set)
        for ci in s.exec(select(ComboItem)).all():
            members[ci.combo_id].add(ci.service_id)
        visits = s.exec(select(Appointment)).all()
        lines = defaultdict(list)
        for it in s.exec(select(AppointmentItem)).all():
            lines[it.appointment_id].append(it)
        with_fee = [a for a in visits if a.leva_e_traz]
        assert with_fee and any(a.combo_id for a in visits)
        for appt in with_fee:
            tutor = s.get(Tutor, appt.tutor_id)
            fee = catalog.leva_e_traz_fee(
                s, appt.shop_id, neighborhood=tutor.neighborhood, cep=tutor.cep
            )
            assert appt.leva_e_traz_fee_cents == fee[0] > 0
    for appt in visits:
        assert appt.total_cents == sum(i.price_cents for i in lines[appt.id]) - appt.discount_cents
        if appt.combo_id:
            combo = combos[appt.combo_id]
            parts = sum(i.price_cents for i in lines[appt.id] if i.service_id in members[combo.id])
            assert appt.discount_cents == catalog.combo_price(
                parts, combo.discount_kind, combo.discount_value
            )[1]


def test_demo_shows_plans_and_billing_at_once(demo):
    engine, summary = demo
    with Session(engine) as s:
        plans = s.exec(select(PetPlan)).all()
        templates = {t.id: t for t in s.exec(select(PlanTemplate)).all()}
        invoices = s.exec(select(Invoice)).all()
        status_of = {i.id: i.status for i in invoices}
        future_on_plan = s.exec(
            select(Appointment).where(
                Appointment.pet_plan_id.is_not(None),
                Appointment.start > NOW.astimezone(UTC),
                Appointment.status.not_in([str(x) for x in FREEING_STATUSES]),
            )
        ).all()
        future_plan_visits = s.exec(
            select(Appointment).where(
                Appointment.pet_plan_id.is_not(None), Appointment.start > NOW.astimezone(UTC)
            )
        ).all()
        in_plan_lines = s.exec(
            select(AppointmentItem).where(
                AppointmentItem.appointment_id.in_([a.id for a in future_on_plan]),
                AppointmentItem.in_plan.is_(True),
            )
        ).all()
        paid_records = s.exec(
            select(PlanLog).where(PlanLog.kind == "invoice_payment")
        ).all()
        manual = s.exec(
            select(CreditEntry).where(CreditEntry.reason == CreditReason.MANUAL)
        ).all()
        balances = {e.tutor_id: credit.balance(s, e.tutor_id) for e in manual}
        delivered = s.exec(
            select(Appointment).where(
                Appointment.status == "entregue", Appointment.pet_plan_id.is_(None),
                Appointment.end >= (NOW - timedelta(days=7)).astimezone(UTC),
            )
        ).all()
        visit_invoices = {
            i.appointment_id: i for i in invoices if i.kind == InvoiceKind.AGENDAMENTO
        }
        delivered_totals = {
            a.id: (a.total_cents + a.leva_e_traz_fee_cents, totals(s, visit_invoices[a.id]))
            for a in delivered if a.id in visit_invoices
        }

    # About a dozen pets with a plan or a package, every kind of template sold, one plan cancelled
    # with its future visits.
    assert summary.plans == len(plans) and 10 <= len(plans) <= 14
    assert len({p.pet_id for p in plans}) == len(plans)
    assert {templates[p.template_id].kind for p in plans} >= {"mensal", "trimestral", "pacote"}
    cancelled = [p for p in plans if p.status == "cancelado"]
    assert len(cancelled) == 1
    ahead = [a.status for a in future_plan_visits if a.pet_plan_id == cancelled[0].id]
    assert ahead and set(ahead) == {"cancelado"}
    # Cobranças: past cycles paid, one partial payment, one overdue invoice.
    plan_invoices = [i for i in invoices if i.kind == InvoiceKind.PLANO]
    assert sum(1 for i in plan_invoices if i.status == "paga") >= 10
    assert len(paid_records) >= 10  # "Registros do plano": each cycle payment
    assert [i.status for i in invoices].count("vencida") == 1
    assert [i.status for i in invoices].count("parcial") == 1
    assert all(
        i.status in ("paga", "vencida", "cancelada")
        for i in plan_invoices if i.due_date is not None and i.due_date < TODAY
    )
    # Tutor credit on one tutor (a manual entry; the ledger gives the balance).
    assert len(balances) == 1 and next(iter(balances.values())) > 0
    # Future bookings use the plans' current cycles.
    assert len(future_on_plan) >= 5 and len(in_plan_lines) >= 5
    # Visits delivered since billing started have their invoice, paid at the amount charged.
    assert delivered and set(delivered_totals) == {a.id for a in delivered}
    for charged, invoice_totals in delivered_totals.values():
        assert invoice_totals.total_cents == charged and invoice_totals.open_cents == 0
    assert all(status_of[i.id] == "paga" for i in visit_invoices.values() if i.id in status_of
               and i.appointment_id in delivered_totals)
