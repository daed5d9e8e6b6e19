"""After booking: reschedule, cancel, status changes, no-show, encaixe and the tutor's lists.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.audit.models import AuditLog
from scheduler_core.billing.models import Invoice, Payment
from scheduler_core.catalog.models import PriceEntry
from scheduler_core.kernel.errors import (
    ActionDisabled,
    InvalidTransition,
    NotCancellable,
    NoticeTooShort,
    NotReschedulable,
    PaidNotCancellableByBot,
    PetNotBookable,
    RevertNeedsConfirmation,
    TokenInvalid,
    ValidationFailed,
)
from scheduler_core.plans import service as plans
from scheduler_core.scheduling import appointments, booking, encaixe, visit_status
from tests.scheduler_core.booking_helpers import (
    MONDAY,
    SECRET,
    audit_rows,
    book_at,
    count_appointments,
    get_appointment,
    history,
    items_of,
    offer,
    slot_at,
    starts,
)
from tests.scheduler_core.factories import NOW, at, build_shop


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _reschedule(world, appt_id, hhmm, *, day=MONDAY, channel="staff", now=NOW, employee=None):
    result = offer(world, day, (), moving=appt_id, employee=employee, now=now, channel=channel)
    token = slot_at(result, hhmm).token
    return booking.reschedule(
        world.engine, appointment_id=appt_id, token=token, now=now, secret=SECRET,
        actor="bot" if channel == "bot" else "staff:1", channel=channel,
    )


def _sell_plan(world, services=("banho",)) -> int:
    template_id = world.add_plan_template(services={name: 4 for name in services})
    plan = plans.sell_plan(
        world.engine, pet_id=world.pet_id, template_id=template_id, start_date=NOW.date(),
        now=NOW, actor="staff:1",
    )
    return plan.id


# --------------------------------------------------------------------------- reschedule


def test_reschedule_keeps_id_price_and_plan_and_frees_the_old_time(world):
    plan_id = _sell_plan(world, services=("tosa",))
    appt = book_at(world, "10:00", services=("banho", "tosa"), pet_plan_id=plan_id)
    assert [i.price_cents for i in items_of(world, appt.id)] == [5000, 0]
    # Prices go up after the booking.
    with Session(world.engine) as s:
        for entry in s.exec(select(PriceEntry)):
            entry.price_cents += 1000
        s.commit()

    # The appointment's own time does not block it.
    assert "10:00" in starts(offer(world, services=(), moving=appt.id, employee="ana"))
    moved = _reschedule(world, appt.id, "14:00", employee="ana")

    assert moved.id == appt.id
    assert moved.start == at(MONDAY, "14:00") and moved.end == at(MONDAY, "15:30")
    assert moved.pet_plan_id == plan_id
    assert moved.total_cents == appt.total_cents == 5000
    items = items_of(world, appt.id)
    assert [(i.price_cents, i.in_plan) for i in items] == [(5000, False), (0, True)]
    assert items[0].start == at(MONDAY, "14:00") and items[1].start == at(MONDAY, "15:00")
    assert count_appointments(world) == 1
    assert "10:00" in starts(offer(world, employee="ana"))
    assert "14:00" not in starts(offer(world, employee="ana"))
    [row] = audit_rows(world, "appointment.reschedule")
    assert row.entity_id == appt.id


def test_reschedule_prefers_the_original_professional(world):
    appt = book_at(world, "10:00", employee="bruno")
    result = offer(world, services=(), moving=appt.id)
    assert slot_at(result, "15:00").items[0].employee_id == world.employees["bruno"]


def test_a_booking_token_cannot_move_an_appointment(world):
    appt = book_at(world, "10:00")
    plain = slot_at(offer(world, employee="ana"), "14:00").token
    with pytest.raises(TokenInvalid):
        booking.reschedule(
            world.engine, appointment_id=appt.id, token=plain, now=NOW, secret=SECRET,
            actor="s", channel="staff",
        )
    # Nor can a moving token create a second booking.
    moving = slot_at(offer(world, moving=appt.id, services=()), "14:00").token
    with pytest.raises(TokenInvalid):
        booking.book(world.engine, token=moving, now=NOW, secret=SECRET, origin="staff", actor="s")
    assert get_appointment(world, appt.id).start == at(MONDAY, "10:00")


def test_bot_reschedule_respects_its_notice_and_switch(world):
    appt = book_at(world, "10:00")
    sunday_night = at(MONDAY - timedelta(days=1), "23:00")  # 11 h before, rule is 12 h
    with pytest.raises(NoticeTooShort) as err:
        _reschedule(world, appt.id, "14:00", channel="bot", now=sunday_night)
    assert "12 horas" in err.value.message

    world.update_bot_settings(reschedule_enabled=False)
    with pytest.raises(ActionDisabled):
        _reschedule(world, appt.id, "14:00", channel="bot")
    # Staff may still move it.
    assert _reschedule(world, appt.id, "14:00", now=sunday_night).start == at(MONDAY, "14:00")


def test_only_scheduled_or_confirmed_visits_can_be_moved(world):
    appt = book_at(world, "10:00")
    token = slot_at(offer(world, moving=appt.id, services=()), "14:00").token
    visit_status.set_status(world.engine, appointment_id=appt.id, status="recebido", now=NOW,
                            actor="s")
    with pytest.raises(NotReschedulable):
        booking.reschedule(
            world.engine, appointment_id=appt.id, token=token, now=NOW, secret=SECRET,
            actor="s", channel="staff",
        )
    with pytest.raises(NotReschedulable):
        offer(world, moving=appt.id, services=())


# --------------------------------------------------------------------------- cancel


def test_cancel_frees_the_slot_at_once(world):
    appt = book_at(world, "10:00")
    assert "10:00" not in starts(offer(world, employee="ana"))

    cancelled = visit_status.cancel(
        world.engine, appointment_id=appt.id, now=NOW, actor="staff:1", channel="staff",
        reason="Tutor viajou",
    )
    assert cancelled.status == "cancelado"
    assert cancelled.cancel_reason == "Tutor viajou"
    assert cancelled.cancelled_at == NOW
    assert "10:00" in starts(offer(world, employee="ana"))
    assert history(world, appt.id)[-1] == ("agendado", "cancelado")
    assert audit_rows(world, "appointment.cancel")[0].details["late"] is False

    with pytest.raises(NotCancellable) as again:
        visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="s",
                            channel="staff")
    assert again.value.message == "Este agendamento já está cancelado."


def test_bot_cannot_cancel_inside_the_minimum_notice(world):
    appt = book_at(world, "10:00")
    sunday_noon = at(MONDAY - timedelta(days=1), "12:00")  # 22 h before, rule is 24 h
    with pytest.raises(NoticeTooShort) as err:
        visit_status.cancel(
            world.engine, appointment_id=appt.id, now=sunday_noon, actor="bot", channel="bot"
        )
    assert err.value.code == "notice_too_short"
    assert "24 horas" in err.value.message
    # Staff can, and the audit marks it as a late cancellation.
    visit_status.cancel(
        world.engine, appointment_id=appt.id, now=sunday_noon, actor="staff:1", channel="staff"
    )
    assert audit_rows(world, "appointment.cancel")[0].details["late"] is True


def test_bot_hands_off_a_paid_appointment(world):
    paid = book_at(world, "10:00")
    partly = book_at(world, "14:00")
    with Session(world.engine) as s:
        s.add(Invoice(shop_id=world.shop_id, number=1, tutor_id=world.tutor_id,
                      appointment_id=paid.id, status="paga"))
        pending = Invoice(shop_id=world.shop_id, number=2, tutor_id=world.tutor_id,
                          appointment_id=partly.id, status="pendente")
        s.add(pending)
        s.flush()
        s.add(Payment(invoice_id=pending.id, amount_cents=1000, at=NOW))
        s.commit()

    for appt in (paid, partly):
        with pytest.raises(PaidNotCancellableByBot) as err:
            visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="bot",
                                channel="bot")
        assert err.value.code == "paid_not_cancellable_by_bot"
        assert "atendente" in err.value.message
    # Staff (with the permission, checked by the caller) can cancel it.
    assert visit_status.cancel(
        world.engine, appointment_id=paid.id, now=NOW, actor="staff:1", channel="staff"
    ).status == "cancelado"


def test_bot_cancel_switch_and_status_rules(world):
    appt = book_at(world, "10:00")
    world.update_bot_settings(cancel_enabled=False)
    with pytest.raises(ActionDisabled) as err:
        visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="bot",
                            channel="bot")
    assert err.value.http_status == 403
    world.update_bot_settings(cancel_enabled=True)

    visit_status.set_status(world.engine, appointment_id=appt.id, status="recebido", now=NOW,
                            actor="s")
    with pytest.raises(NotCancellable):
        visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="bot",
                            channel="bot")
    visit_status.set_status(world.engine, appointment_id=appt.id, status="entregue", now=NOW,
                            actor="s")
    with pytest.raises(NotCancellable):
        visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="s",
                            channel="staff")


# --------------------------------------------------------------------------- status


def test_status_moves_forward_and_records_history(world):
    appt = book_at(world, "10:00")
    for status in ("confirmado", "em_atendimento", "finalizado", "entregue"):
        visit_status.set_status(
            world.engine, appointment_id=appt.id, status=status, now=NOW, actor="staff:2"
        )
    assert history(world, appt.id) == [
        ("", "agendado"),
        ("agendado", "confirmado"),
        ("confirmado", "em_atendimento"),  # skipping Recebido is allowed
        ("em_atendimento", "finalizado"),
        ("finalizado", "entregue"),
    ]
    assert get_appointment(world, appt.id).status == "entregue"
    # Finishing does not free the time.
    assert "10:00" not in starts(offer(world, employee="ana"))


def test_status_cannot_go_back_without_permission(world):
    appt = book_at(world, "10:00")
    visit_status.set_status(world.engine, appointment_id=appt.id, status="recebido", now=NOW,
                            actor="s")
    with pytest.raises(InvalidTransition) as err:
        visit_status.set_status(
            world.engine, appointment_id=appt.id, status="confirmado", now=NOW, actor="s"
        )
    assert err.value.message == "Não é possível voltar o status de Recebido para Confirmado."
    with pytest.raises(RevertNeedsConfirmation) as unconfirmed:
        visit_status.set_status(world.engine, appointment_id=appt.id, status="confirmado",
                                now=NOW, actor="s", allow_revert=True)
    assert unconfirmed.value.message.startswith("Voltar o status de Recebido para Confirmado?")
    assert get_appointment(world, appt.id).status == "recebido"
    reverted = visit_status.set_status(
        world.engine, appointment_id=appt.id, status="confirmado", now=NOW, actor="s",
        allow_revert=True, confirmed_revert=True,
    )
    assert reverted.status == "confirmado"
    with Session(world.engine) as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "appointment.status")
                             .order_by(AuditLog.id.desc())).first()
    assert entry.details["revert"] is True
    # Setting the same status again changes nothing.
    visit_status.set_status(world.engine, appointment_id=appt.id, status="confirmado", now=NOW,
                            actor="s")
    assert history(world, appt.id)[-1] == ("recebido", "confirmado")
    with pytest.raises(ValidationFailed):
        visit_status.set_status(world.engine, appointment_id=appt.id, status="voando", now=NOW,
                                actor="s")


def test_moves_from_lists_skips_and_marks_reverts():
    forward = visit_status.moves_from("confirmado", may_revert=False)
    assert [m.status for m in forward] == ["recebido", "em_atendimento", "finalizado", "entregue"]
    assert forward[1].stages == ("recebido",)  # Confirmado → Em atendimento enters Recebido
    owner = visit_status.moves_from("confirmado", may_revert=True)
    assert [(m.status, m.backward) for m in owner][0] == ("agendado", True)
    assert not any(m.backward for m in owner[1:])
    assert visit_status.moves_from("cancelado", may_revert=True) == []


def test_cancelled_visit_never_changes_status_again(world):
    appt = book_at(world, "10:00")
    visit_status.set_status(world.engine, appointment_id=appt.id, status="cancelado", now=NOW,
                            actor="s", reason="Desistiu")
    assert get_appointment(world, appt.id).cancel_reason == "Desistiu"
    with pytest.raises(InvalidTransition):
        visit_status.set_status(world.engine, appointment_id=appt.id, status="confirmado", now=NOW,
                                actor="s", allow_revert=True)


def test_no_show_frees_the_time_and_only_before_reception(world):
    appt = book_at(world, "10:00")
    marked = visit_status.mark_no_show(world.engine, appointment_id=appt.id, now=NOW, actor="s")
    assert marked.status == "nao_compareceu"
    assert "10:00" in starts(offer(world, employee="ana"))
    # The freed time can be booked by someone else.
    other = world.add_pet(name="Luna")
    assert book_at(world, "10:00", pet_id=other).status == "agendado"

    received = book_at(world, "14:00")
    visit_status.set_status(world.engine, appointment_id=received.id, status="recebido", now=NOW,
                            actor="s")
    with pytest.raises(InvalidTransition):
        visit_status.mark_no_show(world.engine, appointment_id=received.id, now=NOW, actor="s")
    with pytest.raises(InvalidTransition):
        visit_status.set_status(world.engine, appointment_id=received.id, status="nao_compareceu",
                                now=NOW, actor="s")


# --------------------------------------------------------------------------- encaixe


def test_encaixe_overrides_conflicts_is_tagged_audited_and_occupies(world):
    normal = book_at(world, "10:00")
    result = encaixe.encaixe(
        world.engine,
        pet_id=world.add_pet(name="Bidu"),
        service_ids=[world.services["banho"]],
        start=at(MONDAY, "10:30"),
        employee_by_service={world.services["banho"]: world.employees["ana"]},
        now=NOW,
        actor="staff:7",
        notes="Tutor chegou sem hora",
    )
    appt = result.appointment
    assert appt.is_encaixe is True and appt.status == "agendado"
    assert appt.start == at(MONDAY, "10:30")
    kinds = {c.kind for c in result.conflicts}
    assert kinds == {"overlap"}
    assert result.conflicts[0].appointment_id == normal.id
    [row] = audit_rows(world, "appointment.encaixe")
    assert row.actor == "staff:7"
    assert row.details["conflicts"][0]["kind"] == "overlap"
    assert row.details["conflicts"][0]["appointment_id"] == normal.id
    # It holds Ana until 11:30: no normal slot for her before then.
    ana = starts(offer(world, employee="ana"))
    assert "11:00" not in ana and "10:30" not in ana
    assert "09:00" in ana


def test_encaixe_reports_lunch_break_blocks_and_restrictions(world):
    world.add_block([MONDAY], employee_id=world.employees["bruno"], start="12:00", end="13:00")
    world.add_restriction(conditions={"weekdays": [0]}, scope="ambos",
                          description="Segunda sem banho.")
    conflicts = encaixe.encaixe_conflicts(
        world.engine,
        pet_id=world.pet_id,
        service_ids=[world.services["banho"]],
        start=at(MONDAY, "12:00"),
        employee_by_service={world.services["banho"]: world.employees["bruno"]},
        now=NOW,
    )
    kinds = {c.kind for c in conflicts}
    assert {"outside_hours", "outside_working_hours", "block", "restriction"} <= kinds
    assert count_appointments(world) == 0  # a preview writes nothing

    result = encaixe.encaixe(
        world.engine, pet_id=world.pet_id, service_ids=[world.services["banho"]],
        start=at(MONDAY, "12:00"),
        employee_by_service={world.services["banho"]: world.employees["bruno"]},
        now=NOW, actor="staff:1",
    )
    assert {c.kind for c in result.conflicts} == kinds
    assert {c["kind"] for c in audit_rows(world, "appointment.encaixe")[0].details["conflicts"]} \
        == kinds


def test_encaixe_still_needs_a_professional_and_a_priced_pet(world):
    with pytest.raises(ValidationFailed) as err:
        encaixe.encaixe(
            world.engine, pet_id=world.pet_id, service_ids=[world.services["banho"]],
            start=at(MONDAY, "10:00"), employee_by_service={}, now=NOW, actor="s",
        )
    assert "profissional" in err.value.message
    pet = world.add_pet(name="Sem porte", porte=None)
    with pytest.raises(PetNotBookable):
        encaixe.encaixe(
            world.engine, pet_id=pet, service_ids=[world.services["banho"]],
            start=at(MONDAY, "10:00"),
            employee_by_service={world.services["banho"]: world.employees["ana"]},
            now=NOW, actor="s",
        )


# --------------------------------------------------------------------------- lists


def test_tutor_lists_and_last_visit(world):
    luna = world.add_pet(name="Luna")
    past = book_at(world, "10:00", day=NOW.date(), services=("banho", "tosa"))
    visit_status.set_status(world.engine, appointment_id=past.id, status="entregue", now=NOW,
                            actor="s")
    upcoming = book_at(world, "14:00")
    luna_appt = book_at(world, "15:00", pet_id=luna)
    cancelled = book_at(world, "16:00")
    visit_status.cancel(world.engine, appointment_id=cancelled.id, now=NOW, actor="s",
                        channel="staff")

    later = NOW + timedelta(hours=3)  # the 10:00 visit is now in the past
    with Session(world.engine) as s:
        mine = appointments.upcoming_for_pet(s, world.pet_id, later)
        assert [a.id for a in mine] == [upcoming.id]
        assert mine[0].services_label == "Banho"
        assert mine[0].start.strftime("%d/%m - %H:%M") == MONDAY.strftime("%d/%m - 14:00")
        assert mine[0].items[0].employee_name == "Ana"

        family = appointments.appointments_for_tutor(s, world.tutor_id, later)
        assert [a.id for a in family] == [upcoming.id, luna_appt.id]
        assert family[1].pet_name == "Luna"

        last = appointments.last_visit_services(s, world.pet_id, later)
        assert last is not None and last.appointment_id == past.id
        assert last.service_ids == (world.services["banho"], world.services["tosa"])
        assert last.service_names == ("Banho", "Tosa")
        assert last.employee_by_category[world.categories["banho"]] == world.employees["ana"]
        assert appointments.last_visit_services(s, luna, later) is None

        summary = appointments.appointment_summary(s, past.id)
        assert summary.status_label == "Entregue"
        assert summary.total_cents == 9000


def test_repeat_last_visit_books_the_same_services(world):
    past = book_at(world, "10:00", day=NOW.date(), services=("banho", "tosa"))
    later = NOW + timedelta(hours=3)
    with Session(world.engine) as s:
        last = appointments.last_visit_services(s, world.pet_id, later)
    day: date = MONDAY
    result = booking.find_slots(
        world.engine, shop_id=world.shop_id, pet_id=world.pet_id,
        service_ids=last.service_ids, date_from=day, date_to=day, channel="bot", now=later,
        secret=SECRET, employee_by_category=last.employee_by_category,
    )
    assert result.slots and result.slots[0].total_cents == 9000
    assert past.id != booking.book(
        world.engine, token=result.slots[0].token, now=later, secret=SECRET, origin="bot",
        actor="bot",
    ).id


def test_bot_can_only_touch_the_tutors_own_appointments(world):
    appt = book_at(world, "10:00")
    stranger = world.add_tutor(name="João")
    from scheduler_core.kernel.errors import NotFound

    with pytest.raises(NotFound):
        visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="bot",
                            channel="bot", tutor_id=stranger)
    with pytest.raises(NotFound):
        visit_status.cancel(world.engine, appointment_id=appt.id, now=NOW, actor="bot",
                            channel="bot", pet_id=world.add_pet(name="Outro"))
    token = slot_at(offer(world, MONDAY, (), moving=appt.id), "14:00").token
    with pytest.raises(NotFound):
        booking.reschedule(world.engine, appointment_id=appt.id, token=token, now=NOW,
                           secret=SECRET, actor="bot", channel="bot", tutor_id=stranger)
    moved = booking.reschedule(world.engine, appointment_id=appt.id, token=token, now=NOW,
                               secret=SECRET, actor="bot", channel="bot",
                               tutor_id=world.tutor_id, pet_id=world.pet_id)
    assert moved.start == at(MONDAY, "14:00")


def test_staff_see_the_visits_under_a_new_block(world):
    ten = book_at(world, "10:00")
    book_at(world, "15:00")
    cancelled = book_at(world, "11:00")
    visit_status.cancel(world.engine, appointment_id=cancelled.id, now=NOW, actor="s",
                        channel="staff")
    with Session(world.engine) as s:
        under = appointments.overlapping_appointments(
            s, world.shop_id, at(MONDAY, "09:30"), at(MONDAY, "12:00")
        )
    assert [a.id for a in under] == [ten.id]


def test_encaixe_over_a_full_bathtub_and_outside_the_professionals_category(db_engine):
    world = build_shop(
        db_engine, resources={"banheira": 1}, service_resources={"banho": {"banheira": 1}}
    )
    normal = book_at(world, "10:00", employee="ana")
    result = encaixe.encaixe(
        world.engine, pet_id=world.add_pet(name="Rex"),
        service_ids=[world.services["banho"], world.services["tosa"]],
        start=at(MONDAY, "10:00"),
        employee_by_service={world.services["banho"]: world.employees["bruno"],
                             world.services["tosa"]: world.employees["bruno"]},
        now=NOW, actor="staff:1",
    )
    kinds = sorted(c.kind for c in result.conflicts)
    assert kinds == ["resource", "wrong_category"]
    assert next(c for c in result.conflicts if c.kind == "resource").resource_id == (
        world.resources["banheira"]
    )
    # The squeeze-in holds Bruno until 11:30 (a bath from 11:30 would cross lunch) ...
    assert starts(offer(world, employee="bruno"))[4:6] == ["09:00", "13:00"]
    # ... and the only bathtub until 11:00: even with Ana's visit cancelled, a free professional
    # cannot start a bath there.
    visit_status.cancel(world.engine, appointment_id=normal.id, now=NOW, actor="s", channel="staff")
    world.add_employee("carla", categories=["banho"])
    carla = starts(offer(world, employee="carla"))
    assert "09:00" in carla and "09:15" not in carla and "10:45" not in carla
    assert "11:00" in carla
