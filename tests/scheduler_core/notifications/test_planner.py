"""The notification planner and sender core with a fake channel and a fake clock: what a tutor
receives, when, and what never goes twice."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlmodel import Session

from scheduler_core.catalog.models import Service
from scheduler_core.notifications.models import Notification
from scheduler_core.notifications.optout import set_opt_out
from scheduler_core.notifications.settings import save_prefs, save_setting
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.scheduling import visit_status
from scheduler_core.surveys.service import record_survey_answer
from tests.scheduler_core.booking_helpers import MONDAY, book_at
from tests.scheduler_core.factories import NOW, at, build_shop
from tests.scheduler_core.notifications.helpers import FakeChannel, rows, tick


def _status(world, appt_id, status, now):
    visit_status.set_status(world.engine, appointment_id=appt_id, status=status, now=now,
                            actor="staff:1")


def test_staff_booking_sends_new_booking_once_and_confirmation_a_day_before(db_engine) -> None:
    world = build_shop(db_engine)
    appt = book_at(world, "10:00")  # Monday 09/03 10:00, booked Wednesday 04/03 09:00
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    tick(db_engine, NOW + timedelta(minutes=1), channel)  # a second run plans nothing new
    assert channel.kinds(db_engine) == ["novo_agendamento"]
    assert "09/03/2026 às 10:00" in channel.sent[0].text and "Thor" in channel.sent[0].text
    [confirm] = rows(db_engine, kind="confirmacao")
    assert confirm.status == "planejada" and confirm.due_at == at(MONDAY - timedelta(days=1),
                                                                  "10:00")
    assert [b["id"] for b in confirm.buttons] == [
        f'/confirmar_agendamento{{"agendamento_id":"{appt.id}"}}',
        f'/remarcar{{"agendamento_id":"{appt.id}"}}',
        f'/cancelar{{"agendamento_id":"{appt.id}"}}']
    assert json.loads(confirm.buttons[0]["id"].split("{", 1)[0] and "{" + confirm.buttons[0][
        "id"].split("{", 1)[1]) == {"agendamento_id": str(appt.id)}
    tick(db_engine, at(MONDAY - timedelta(days=1), "10:00"), channel)
    assert channel.kinds(db_engine) == ["novo_agendamento", "confirmacao"]
    assert [b["title"] for b in channel.sent[1].buttons] == ["Confirmar", "Remarcar", "Cancelar"]


def test_bot_booking_gets_no_new_booking_message(db_engine) -> None:
    world = build_shop(db_engine)
    book_at(world, "10:00", origin="bot")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    assert channel.sent == []


def test_same_day_reminder_only_when_confirmed(db_engine) -> None:
    world = build_shop(db_engine)
    unconfirmed = book_at(world, "10:00")
    confirmed = book_at(world, "14:00")
    _status(world, confirmed.id, "confirmado", NOW)
    channel = FakeChannel()
    tick(db_engine, at(MONDAY, "07:00"), channel)
    tick(db_engine, at(MONDAY, "11:00"), channel)
    reminders = [s for s in channel.sent if "Lembrete" in s.text]
    assert len(reminders) == 1 and "14:00" in reminders[0].text
    assert rows(db_engine, kind="lembrete", appointment_id=unconfirmed.id) == []


def test_confirming_before_the_request_drops_it(db_engine) -> None:
    world = build_shop(db_engine)
    appt = book_at(world, "10:00")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    _status(world, appt.id, "confirmado", NOW + timedelta(hours=1))
    tick(db_engine, at(MONDAY - timedelta(days=1), "10:00"), channel)
    [confirm] = rows(db_engine, kind="confirmacao")
    assert (confirm.status, confirm.reason) == ("descartada", "O agendamento já foi confirmado.")


def test_status_messages_with_service_guidance_and_survey_two_hours_later(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        service = s.get(Service, world.services["banho"])
        service.guidance = "Evite molhar o pet por 48 horas."
        s.add(service)
        s.commit()
    appt = book_at(world, "10:00")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    tick(db_engine, NOW + timedelta(seconds=6), channel)  # the per-user pace
    assert channel.kinds(db_engine) == ["novo_agendamento", "orientacao_servico"]
    _status(world, appt.id, "recebido", at(MONDAY, "10:00"))
    tick(db_engine, at(MONDAY, "10:01"), channel)
    _status(world, appt.id, "finalizado", at(MONDAY, "11:00"))
    tick(db_engine, at(MONDAY, "11:01"), channel)
    assert "Pode vir buscar" in channel.sent[-1].text
    assert channel.sent[-1].text.endswith("Banho: Evite molhar o pet por 48 horas.")
    _status(world, appt.id, "entregue", at(MONDAY, "11:30"))
    tick(db_engine, at(MONDAY, "11:31"), channel)
    tick(db_engine, at(MONDAY, "13:00"), channel)
    assert channel.kinds(db_engine)[2:] == ["pet_recebido", "servico_finalizado", "pet_entregue"]
    tick(db_engine, at(MONDAY, "13:31"), channel)
    assert channel.kinds(db_engine)[-1] == "pesquisa_satisfacao"


def test_answered_survey_is_not_sent(db_engine) -> None:
    world = build_shop(db_engine)
    appt = book_at(world, "10:00")
    _status(world, appt.id, "entregue", at(MONDAY, "11:30"))
    channel = FakeChannel()
    tick(db_engine, at(MONDAY, "11:31"), channel)
    with Session(db_engine) as s:
        record_survey_answer(s, appt.id, 5, now=at(MONDAY, "12:00"))
        s.commit()
    tick(db_engine, at(MONDAY, "13:31"), channel)
    [survey] = rows(db_engine, kind="pesquisa_satisfacao")
    assert survey.status == "descartada" and "respondida" in survey.reason


def test_quiet_hours_carry_to_the_morning_and_late_rows_are_dropped(db_engine) -> None:
    world = build_shop(db_engine)
    appt = book_at(world, "10:00")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    # the pet is delivered at 19:50; the status message is due then, the job runs at 20:10
    _status(world, appt.id, "entregue", at(MONDAY, "19:50"))
    tick(db_engine, at(MONDAY, "20:10"), channel)
    [delivered] = rows(db_engine, kind="pet_entregue")
    assert delivered.status == "planejada" and delivered.due_at == at(
        MONDAY + timedelta(days=1), "08:00")
    # the survey (due 21:50) waits too; the app is down until 15:00 the next day: too late
    tick(db_engine, at(MONDAY + timedelta(days=1), "15:00"), channel)
    dropped = [r for r in rows(db_engine, status="descartada")
               if r.kind in ("pet_entregue", "pesquisa_satisfacao")]
    assert len(dropped) == 2
    assert all("Atrasada" in r.reason for r in dropped)
    assert [s for s in channel.sent if s.row_id in {r.id for r in dropped}] == []


def test_quiet_hours_are_the_shops(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        save_prefs(s, world.shop_id, {"quiet_start": "22:00", "quiet_end": "07:00",
                                      "late_drop_hours": "6"})
        s.commit()
    appt = book_at(world, "10:00")
    _status(world, appt.id, "entregue", at(MONDAY, "21:00"))
    channel = FakeChannel()
    tick(db_engine, at(MONDAY, "21:01"), channel)
    assert channel.kinds(db_engine)[-1] == "pet_entregue"


def test_opted_out_tutor_gets_nothing_and_it_is_recorded(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        set_opt_out(s, world.tutor_id, True, now=NOW)
        s.commit()
    book_at(world, "10:00")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    assert channel.sent == []
    [row] = rows(db_engine, kind="novo_agendamento")
    assert (row.status, row.reason) == ("descartada",
                                        "O tutor pediu para não receber notificações.")


def test_switched_off_kind_is_not_planned(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        save_setting(s, world.shop_id, "novo_agendamento", {
            "text": "Oi (NOME_TUTOR)", "enabled": ""})
        s.commit()
    book_at(world, "10:00")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    assert rows(db_engine, kind="novo_agendamento") == []


def test_per_user_pace_spaces_two_notifications_to_the_same_tutor(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        service = s.get(Service, world.services["banho"])
        service.guidance = "Traga a coleira."
        s.add(service)
        s.commit()
    book_at(world, "10:00")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    assert channel.kinds(db_engine) == ["novo_agendamento"]
    [waiting] = rows(db_engine, kind="orientacao_servico")
    assert waiting.status == "planejada" and waiting.due_at == NOW + timedelta(seconds=6)
    tick(db_engine, NOW + timedelta(seconds=6), channel)
    assert channel.kinds(db_engine) == ["novo_agendamento", "orientacao_servico"]


def test_rescheduled_visit_drops_the_old_confirmation(db_engine) -> None:
    world = build_shop(db_engine)
    appt = book_at(world, "10:00")
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    with Session(db_engine) as s:  # as the agenda's move would (the start changes)
        from scheduler_core.agenda.models import Appointment
        row = s.get(Appointment, appt.id)
        row.start += timedelta(hours=4)
        row.end += timedelta(hours=4)
        s.add(row)
        s.commit()
    tick(db_engine, at(MONDAY - timedelta(days=1), "10:00"), channel)
    confirms = rows(db_engine, kind="confirmacao")
    assert [(r.status, r.reason) for r in confirms][0] == ("descartada",
                                                         "O agendamento foi remarcado.")
    assert confirms[1].status == "planejada" and confirms[1].due_at == at(
        MONDAY - timedelta(days=1), "14:00")


def test_birthdays_across_a_dst_free_sao_paulo_year(sqlite_engine) -> None:
    """Ticks every 6 hours through 2026 (Brazil has no DST since 2019): each birthday greeting
    goes once, on its date at 09:00 São Paulo = 12:00 UTC, including 31/12 → 01/01 and a
    29 February birthday on 28/02."""
    db_engine = sqlite_engine
    world = build_shop(db_engine)
    with Session(db_engine) as s:
        tutor = s.get(Tutor, world.tutor_id)
        tutor.birth_date = date(1990, 1, 1)
        s.add(tutor)
        s.add(Pet(tutor_id=world.tutor_id, name="Bisa", birth_date=date(2020, 2, 29)))
        s.add(Pet(tutor_id=world.tutor_id, name="Réveillon", birth_date=date(2021, 12, 31)))
        s.add(Pet(tutor_id=world.tutor_id, name="Julho", birth_date=date(2022, 7, 15)))
        s.add(Pet(tutor_id=world.tutor_id, name="Morto", birth_date=date(2022, 7, 15),
                  status="falecido"))
        s.commit()
    from scheduler_core.notifications import planner
    from scheduler_core.notifications.texts import Kind
    birthday_sources = {k: planner.SOURCES[k] for k in (Kind.ANIVERSARIO_TUTOR,
                                                         Kind.ANIVERSARIO_PET)}
    saved = dict(planner.SOURCES)
    planner.SOURCES.clear()
    planner.SOURCES.update(birthday_sources)
    try:
        channel = FakeChannel()
        moment = at(date(2025, 12, 31), "00:00")
        while moment < at(date(2027, 1, 2), "00:00"):
            tick(db_engine, moment, channel)
            moment += timedelta(hours=6)
    finally:
        planner.SOURCES.clear()
        planner.SOURCES.update(saved)
    with Session(db_engine) as s:
        sent = sorted((s.get(Notification, x.row_id).due_at.isoformat(),
                       s.get(Notification, x.row_id).kind) for x in channel.sent)
    assert sent == [
        ("2025-12-31T12:00:00+00:00", "aniversario_pet"),
        ("2026-01-01T12:00:00+00:00", "aniversario_tutor"),
        ("2026-02-28T12:00:00+00:00", "aniversario_pet"),
        ("2026-07-15T12:00:00+00:00", "aniversario_pet"),
        ("2026-12-31T12:00:00+00:00", "aniversario_pet"),
        ("2027-01-01T12:00:00+00:00", "aniversario_tutor"),
    ]


def _bath_delivered(world, day=MONDAY):
    appt = book_at(world, "10:00", day=day)
    _status(world, appt.id, "entregue", at(day, "11:30"))
    return appt


def test_winback_fifteen_days_after_the_last_bath(db_engine) -> None:
    world = build_shop(db_engine)
    _bath_delivered(world)
    channel = FakeChannel()
    tick(db_engine, at(MONDAY + timedelta(days=15), "10:00"), channel)
    assert "retorno" in channel.kinds(db_engine)
    [row] = rows(db_engine, kind="retorno")
    assert row.due_at == at(MONDAY + timedelta(days=15), "10:00")
    assert "último banho de Thor" in channel.sent[channel.kinds(db_engine).index("retorno")].text


def test_no_winback_when_something_is_booked_or_the_tutor_has_a_plan(db_engine) -> None:
    from scheduler_core.plans import service as plans

    world = build_shop(db_engine)
    _bath_delivered(world)
    book_at(world, "10:00", day=MONDAY + timedelta(days=21))  # already coming back
    second_pet = world.add_pet(name="Luna")
    book_at(world, "14:00", pet_id=second_pet)
    _status(world, _last_appt(world), "entregue", at(MONDAY, "15:30"))
    plans.sell_plan(db_engine, pet_id=world.pet_id, template_id=world.add_plan_template(),
                    start_date=MONDAY + timedelta(days=1), now=at(MONDAY, "16:00"),
                    actor="staff:1")
    channel = FakeChannel()
    tick(db_engine, at(MONDAY + timedelta(days=15), "10:00"), channel)
    assert "retorno" not in channel.kinds(db_engine)


def _last_appt(world) -> int:
    from sqlmodel import select

    from scheduler_core.agenda.models import Appointment
    with Session(world.engine) as s:
        return s.exec(select(Appointment.id).order_by(Appointment.id.desc())).first()


def test_invoice_link_on_its_due_date(db_engine) -> None:
    from tests.scheduler_core.billing.billing_helpers import new_invoice

    world = build_shop(db_engine)
    due = NOW.date() + timedelta(days=2)
    invoice_id = new_invoice(world, ("Banho", 5000), due=due)
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    assert channel.sent == []
    tick(db_engine, at(due, "09:00"), channel)
    [sent] = channel.sent
    assert "R$ 50,00" in sent.text and f"/fatura/{world.shop_id}-{invoice_id}" in sent.text


def test_package_cycle_notice_before_the_cycle_and_no_second_invoice_message(db_engine) -> None:
    from scheduler_core.plans import service as plans

    world = build_shop(db_engine)
    template = world.add_plan_template("Pacote 6 banhos", kind="pacote", services={"banho": 6},
                                       charge_every_n=4, months=3, price_cents=30000)
    plan = plans.sell_plan(db_engine, pet_id=world.pet_id, template_id=template,
                           start_date=NOW.date(), now=NOW, actor="staff:1")
    for d in (0, 1, 2, 3, 7):
        book_at(world, "10:00", day=MONDAY + timedelta(days=d), pet_plan_id=plan.id)
    channel = FakeChannel()
    for moment in (at(MONDAY - timedelta(days=2), "09:00"), at(MONDAY, "09:00"),
                   at(MONDAY + timedelta(days=5), "09:00")):
        tick(db_engine, moment, channel)
    with Session(db_engine) as s:
        cycle = [(s.get(Notification, x.row_id).due_at, x.text) for x in channel.sent
                 if s.get(Notification, x.row_id).kind == "ciclo_pacote"]
    assert [due for due, _text in cycle] == [at(MONDAY - timedelta(days=2), "09:00"),
                                            at(MONDAY + timedelta(days=5), "09:00")]
    assert "09/03/2026" in cycle[0][1] and "R$ 150,00" in cycle[0][1] and "/fatura/" in cycle[0][1]
    assert "fatura" not in channel.kinds(db_engine)
