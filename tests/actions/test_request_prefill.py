"""What the tutor already wrote is not asked again (issue 10): the pet, the service, the day and
the time of "quero banho pro thor sexta as 15h" fill the booking; "cancela o banho da nina de
amanhã" goes straight to that appointment; a typed time is taken wherever the bot lists times."""

from __future__ import annotations

import re
from datetime import UTC, date, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.chatbot.request import (
    Candidate,
    appointments_meant,
    named_offer,
    named_one,
    when_asked,
)
from scheduler_core.people.models import Pet, Tutor

from .chat import NOW, Driver, tutor_with_pets

TODAY = date(2026, 12, 1)  # NOW in São Paulo: a Tuesday
ROW = re.compile(r"\w+ (\d\d)/(\d\d) às (\d\d:\d\d)")


# --------------------------------------------------------------------------- the core readers


def test_the_pet_is_read_by_its_whole_name_and_only_when_one_is_named():
    pets = [(1, "Thor"), (2, "Nina"), (3, "Bob")]
    assert named_one("quero banho pro thor sexta", pets) == 1
    assert named_one("a Nina precisa de tosa", pets) == 2
    assert named_one("bobagem, quero banho", pets) is None  # not a whole word
    assert named_one("banho pro bob e pra nina", pets) is None  # two pets: ask
    assert named_one("quero banho", pets) is None


def test_the_service_named_in_full_wins_and_a_shared_word_is_asked():
    offers = [("svc:1", "Banho"), ("svc:2", "Tosa higiênica"), ("svc:3", "Tosa na tesoura"),
              ("combo:1", "Banho e Tosa higiênica")]
    assert named_offer("quero banho pro thor", offers) == "svc:1"
    assert named_offer("banho e tosa higienica pfv", offers) == "combo:1"
    assert named_offer("dá pra marcar tosa quinta?", offers) is None  # two kinds of tosa
    assert named_offer("tosa na tesoura amanha", offers) == "svc:3"
    assert named_offer("quero marcar", offers) is None
    assert named_offer("tosa", [("svc:2", "Tosa higiênica")]) == "svc:2"
    apart = [("svc:1", "Banho"), ("svc:4", "Tosa")]
    assert named_offer("banho e tosa", apart) is None  # two services, no combo: asked
    assert named_offer("banho e tosa", [*apart, ("combo:2", "Banho e Tosa")]) == "combo:2"


def test_day_period_and_time_are_read_together():
    assert when_asked("quero banho pro thor sexta as 15h", TODAY) == (
        when_asked("sexta 15:00", TODAY))
    friday = when_asked("quero banho pro thor sexta as 15h", TODAY)
    assert (friday.day, friday.period, friday.at) == (date(2026, 12, 4), "tarde", time(15))
    thursday = when_asked("dá pra marcar tosa quinta à tarde?", TODAY)
    assert (thursday.day, thursday.period, thursday.at) == (date(2026, 12, 3), "tarde", None)
    only_time = when_asked("tem as 9 e meia?", TODAY)
    assert (only_time.day, only_time.period, only_time.at) == (None, "manha", time(9, 30))
    assert when_asked("uns 12 kg", TODAY).at is None
    assert when_asked("dia 15", TODAY).at is None
    assert when_asked("às 2 da tarde", TODAY).at == time(14)


def test_the_appointment_meant_is_the_one_matching_pet_service_and_day():
    rows = [Candidate(10, "Nina", ("Banho",), date(2026, 12, 2)),
            Candidate(11, "Thor", ("Banho",), date(2026, 12, 2)),
            Candidate(12, "Nina", ("Tosa higiênica",), date(2026, 12, 9))]
    assert appointments_meant("desmarca o banho da nina de amanha", TODAY, rows) == [10]
    assert appointments_meant("cancela o banho de amanha pfv", TODAY, rows) == [10, 11]
    assert appointments_meant("cancela a tosa higienica", TODAY, rows) == [12]
    assert appointments_meant("quero cancelar", TODAY, rows) == [10, 11, 12]
    assert appointments_meant("cancela o da nina sexta", TODAY, rows) == []


# --------------------------------------------------------------------------- the dialogue


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def _listed_times(engine, phone: str, pet: str, period: str = "Tarde") -> list[tuple[date, str]]:
    """The free (day, HH:MM) the bot lists for a Banho of ``pet``, asked the long way."""
    probe = Driver(engine, phone)
    probe.say("oi", "cumprimentar")
    probe.tap("Banho e tosa")
    probe.tap(pet)
    probe.tap("Banho")
    probe.to_slots(period)
    rows = [ROW.match(t) for t in probe.titles]
    found = [(date(2026, int(m.group(2)), int(m.group(1))), m.group(3)) for m in rows if m]
    assert found, probe.text
    return found


def _on_to_the_times(bot: Driver) -> None:
    """Past the questions that do not depend on the message, up to the period or the times."""
    bot.to_slots(period=None)


def test_one_message_with_pet_service_day_and_time_goes_to_the_summary(shop):
    tutor, pets = tutor_with_pets(shop, 2)
    day, at = _listed_times(shop, tutor.whatsapp, pets[1].name)[-1]
    bot = Driver(shop, tutor.whatsapp)
    bot.say(f"quero banho pro {pets[1].name.lower()} dia {day:%d/%m} as {at.replace(':', 'h')}",
            "agendar_banho_tosa")
    assert "Para qual pet" not in bot.text and "Qual serviço" not in bot.text
    _on_to_the_times(bot)
    assert "Confira o agendamento" in bot.text, bot.text
    assert f"Pet: {pets[1].name}" in bot.text and "Serviço: Banho" in bot.text
    assert f"{day:%d/%m}" in bot.text and f"Horário: {at}" in bot.text
    bot.tap("Confirmar")
    with Session(shop) as s:
        booked = s.exec(select(Appointment).where(Appointment.pet_id == pets[1].id)
                        .order_by(Appointment.id.desc())).first()
    assert booked.status != AppointmentStatus.CANCELADO
    assert "Agendamento confirmado" in bot.text


def test_a_time_that_is_not_free_is_said_and_the_day_s_times_are_listed(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    day, _ = _listed_times(shop, tutor.whatsapp, pets[0].name)[0]
    bot = Driver(shop, tutor.whatsapp)
    bot.say(f"marca um banho pra {pets[0].name} dia {day:%d/%m} as 23h", "agendar_banho_tosa")
    _on_to_the_times(bot)
    assert "Às 23:00 não tenho horário livre" in bot.text
    assert any(ROW.match(t) for t in bot.titles), bot.titles


def _to_the_period_question(engine) -> tuple[Driver, Tutor, Pet]:
    """A one-pet tutor whose Banho has so many free times that the bot asks the period."""
    with Session(engine) as s:
        tutors = s.exec(select(Tutor).where(Tutor.allow_bot).order_by(Tutor.id)).all()
        for tutor in tutors:
            pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).all()
            if len(pets) != 1 or not tutor.whatsapp:
                continue
            bot = Driver(engine, tutor.whatsapp)
            bot.say("oi", "cumprimentar")
            bot.tap("Banho e tosa")
            bot.tap(pets[0].name)
            bot.tap("Banho")
            _on_to_the_times(bot)
            if "Prefere de manhã ou à tarde?" in bot.text:
                return bot, tutor, pets[0]
    raise AssertionError("no demo tutor is asked the period")


def test_a_typed_time_at_the_period_question_and_off_the_listed_rows_is_taken(shop):
    bot, tutor, pet = _to_the_period_question(shop)
    pets = [pet]
    afternoon = _listed_times(shop, tutor.whatsapp, pets[0].name, "Tarde")
    morning = _listed_times(shop, tutor.whatsapp, pets[0].name, "Manhã")
    day = morning[0][0]
    later = next(at for d, at in afternoon if d == day)
    # At the morning/afternoon question: a time.
    bot.say(f"tem as {later}?", "informar")
    assert "Confira o agendamento" in bot.text and f"Horário: {later}" in bot.text, bot.text
    # At a list of morning rows: an afternoon time of the same day.
    bot = Driver(shop, tutor.whatsapp)
    bot.say("oi", "cumprimentar")
    bot.tap("Banho e tosa")
    bot.tap(pets[0].name)
    bot.tap("Banho")
    _on_to_the_times(bot)
    bot.tap("Manhã")
    assert later not in " ".join(bot.titles)
    bot.say(f"{later.replace(':', 'h')} dá?", "informar")
    assert "Confira o agendamento" in bot.text and f"Horário: {later}" in bot.text, bot.text


def _book(engine, phone: str, pet: str, day: date = date(2026, 12, 3)) -> int:
    """A Banho for ``pet`` on ``day`` (two days ahead: past the 24 h the bot needs to cancel)."""
    bot = Driver(engine, phone)
    bot.say(f"quero banho pro {pet} dia {day:%d/%m}", "agendar_banho_tosa")
    _on_to_the_times(bot)
    if "Manhã" in bot.titles:
        bot.tap("Tarde")
    bot.say('/informar{"opcao":"slot:0"}')
    bot.tap("Confirmar")
    assert "Agendamento confirmado" in bot.text, bot.text
    with Session(engine) as s:
        return s.exec(select(Appointment.id).order_by(Appointment.id.desc())).first()


def _local_day(appt: Appointment) -> date:
    start = appt.start if appt.start.tzinfo else appt.start.replace(tzinfo=UTC)
    return start.astimezone(ZoneInfo("America/Sao_Paulo")).date()


def _upcoming(engine, tutor_id: int) -> list[Appointment]:
    with Session(engine) as s:
        return list(s.exec(select(Appointment).where(
            Appointment.tutor_id == tutor_id, Appointment.start > NOW,
            Appointment.status != AppointmentStatus.CANCELADO)).all())


def test_cancel_naming_the_pet_goes_straight_to_the_confirmation(shop):
    tutor, pets = tutor_with_pets(shop, 2)
    target = pets[1]
    _book(shop, tutor.whatsapp, pets[0].name)
    booked = _book(shop, tutor.whatsapp, target.name)
    _book(shop, tutor.whatsapp, target.name, date(2026, 12, 4))  # a second Banho
    with Session(shop) as s:
        day = _local_day(s.get(Appointment, booked))
    # The pet and the service alone leave two: only this pet's are listed.
    bot = Driver(shop, tutor.whatsapp)
    bot.say(f"desmarca o banho da {target.name.lower()} pfv", "cancelar")
    assert "Escolha um" in bot.text and len(bot.titles) >= 2
    assert all(t.startswith(target.name) for t in bot.titles), bot.titles
    # With the day too: that one appointment.
    bot = Driver(shop, tutor.whatsapp)
    bot.say(f"desmarca o banho da {target.name.lower()} dia {day:%d/%m} pfv", "cancelar")
    assert f"Confirma o cancelamento de {target.name}" in bot.text, bot.text
    bot.tap("Sim, cancelar")
    assert "Agendamento cancelado" in bot.text
    with Session(shop) as s:
        assert s.get(Appointment, booked).status == AppointmentStatus.CANCELADO
    assert {a.pet_id for a in _upcoming(shop, tutor.id)} >= {pets[0].id}


def test_cancel_naming_nothing_lists_and_the_pick_is_not_asked_again(shop):
    tutor, pets = tutor_with_pets(shop, 2)
    for pet in pets:
        _book(shop, tutor.whatsapp, pet.name)
    bot = Driver(shop, tutor.whatsapp)
    bot.say("quero cancelar", "cancelar")
    assert "Escolha um para remarcar ou cancelar" in bot.text
    assert len(bot.titles) >= 2
    bot.say(bot.messages[-1]["buttons"][0]["payload"])
    assert "Confirma o cancelamento" in bot.text and "O que deseja fazer?" not in bot.text


def test_reschedule_naming_the_pet_shows_the_new_times_at_once(shop):
    tutor, pets = tutor_with_pets(shop, 2)
    for pet in pets:
        _book(shop, tutor.whatsapp, pet.name)
    bot = Driver(shop, tutor.whatsapp)
    bot.say(f"remarca o banho do {pets[0].name}", "remarcar")
    assert any(ROW.match(t) for t in bot.titles) or "Prefere de manhã" in bot.text, bot.text


def test_cancel_when_the_shop_forbids_it_on_the_bot_lists_without_acting(shop):
    tutor, pets = tutor_with_pets(shop, 1)
    _book(shop, tutor.whatsapp, pets[0].name)
    with Session(shop) as s:
        settings = s.get(BotSettings, 1)
        settings.cancel_enabled = False
        s.add(settings)
        s.commit()
    bot = Driver(shop, tutor.whatsapp)
    bot.say(f"cancela o banho do {pets[0].name}", "cancelar")
    assert "Confirma o cancelamento" not in bot.text
    assert "Cancelar" not in bot.titles


def test_a_new_tutor_s_words_for_the_pet_skip_the_species_and_give_the_sex(shop):
    bot = Driver(shop, "+5511900000901")
    bot.say("quero marcar um horário pra minha cachorra", "agendar_banho_tosa")
    bot.say("Carla Dias", "informar", 0.5)
    assert "nome do seu pet" in bot.text, bot.text
    bot.say("é a Mel", "informar", 0.5)
    assert "cão ou gato" not in bot.text and "raça" in bot.text, bot.text
    assert bot.flow["new_pet"]["species"] == "cao" and bot.flow["new_pet"]["sex"] == "femea"
    assert bot.flow["new_pet"]["name"] == "Mel"


def test_dog_kkk_at_the_species_question_is_a_dog(shop):
    bot = Driver(shop, "+5511900000902")
    bot.say("quero marcar um horário", "agendar_banho_tosa")
    bot.say("Carla Dias", "informar", 0.5)
    bot.say("Thor", "informar", 0.5)
    assert "Thor é cão ou gato" in bot.text
    bot.say("dog kkk", "agendar_banho_tosa", 0.87)  # what the model reads in it
    assert bot.flow["new_pet"]["species"] == "cao" and "raça do Thor" in bot.text, bot.text


def test_everyday_answers_at_the_pet_questions_and_the_professional(shop):
    bot = Driver(shop, "+5511900000903")
    bot.say("quero marcar um horário", "agendar_banho_tosa")
    bot.say("Carla Dias", "informar", 0.5)
    bot.say("ja falei, thor", "falar_atendente", 1.0)  # the model's reading; still the name
    assert "Thor é cão ou gato" in bot.text, bot.text
    bot.tap("Cão")
    bot.say("shih tzu", "informar", 0.5)
    if "Shih Tzu" in bot.titles:
        bot.tap("Shih Tzu")
    bot.say("media, uns 12 kg", "informar_data", 0.87)  # the model's reading
    assert bot.flow["new_pet"]["porte"] == "medio" and "pelagem do Thor" in bot.text, bot.text
    bot.say("curtinha", "informar", 0.3)
    assert "Thor foi cadastrado" in bot.text, bot.text
    bot.tap("Banho")
    for _ in range(3):
        if "Tanto faz" in bot.titles:
            bot.say("qualquer um", "informar_data", 0.46)
            break
        if "Não, obrigado" in bot.titles:
            bot.tap("Não, obrigado")
        elif "Não, eu levo" in bot.titles:
            bot.tap("Não, eu levo")
    else:
        raise AssertionError(f"no professional question: {bot.text}")
    assert "não entendi" not in bot.text and (
        any(ROW.match(t) for t in bot.titles) or "Manhã" in bot.titles), bot.text


def test_two_pets_named_at_once_are_registered_as_two(shop):
    bot = Driver(shop, "+5511900000906")
    bot.say("quero marcar um horário", "agendar_banho_tosa")
    bot.say("Carla Dias", "informar", 0.5)
    bot.say("bob e nina", "informar", 0.5)
    assert "um de cada vez" in bot.text and "Bob é cão ou gato" in bot.text, bot.text
    bot.tap("Cão")
    bot.say("poodle", "informar", 0.5)
    if "Poodle" in bot.titles:
        bot.tap("Poodle")
    bot.tap("Pequeno")
    bot.tap("Curta")
    assert "Bob foi cadastrado" in bot.text and "Agora o Nina" in bot.text, bot.text
    assert "Nina é cão ou gato" in bot.text
    bot.tap("Gato")
    bot.say("persa", "informar", 0.5)
    if "Persa" in bot.titles:
        bot.tap("Persa")
    bot.tap("Longa")
    assert "Nina foi cadastrado" in bot.text and "Qual serviço você quer para o Bob" in bot.text
    with Session(shop) as s:
        tutor = s.exec(select(Tutor).where(Tutor.whatsapp == "+5511900000906")).one()
        pets = s.exec(select(Pet).where(Pet.tutor_id == tutor.id).order_by(Pet.id)).all()
    assert [(p.name, p.species) for p in pets] == [("Bob", "cao"), ("Nina", "gato")]


def test_a_request_the_nlu_reads_as_a_bare_date_still_books_the_service_it_names(shop):
    """The model read "quero banho pra luna sexta as 15h" as informar_data 0.45: the greeting
    came back. The service named makes it a booking; the pet and the day are used."""
    tutor, pets = tutor_with_pets(shop, 1)
    bot = Driver(shop, tutor.whatsapp)
    bot.say(f"quero banho pra {pets[0].name.lower()} sexta", "informar_data", 0.45)
    assert "Como posso ajudar" not in bot.text and "Para qual pet" not in bot.text, bot.text
    assert bot.flow.get("pet_id") == pets[0].id and bot.flow.get("date") == "2026-12-04"
    nothing = Driver(shop, tutor.whatsapp)
    nothing.say("xablau sexta", "informar_data", 0.45)  # no service named: the greeting
    assert "Como posso ajudar" in nothing.text or "Escolha uma opção" in nothing.text


def test_a_bare_period_at_the_period_question_is_the_period_of_the_days_shown(shop):
    """"de tarde" at "Prefere de manhã ou à tarde?" lists that afternoon's times; read as a
    date it was today's afternoon ("Não encontrei horários livres para hoje")."""
    bot, _, _ = _to_the_period_question(shop)
    asked = re.search(r"livres para (.*)\. Prefere", bot.text).group(1)
    bot.say("de tarde", "informar_data")
    assert "Não encontrei" not in bot.text and f"para {asked.replace(' e ', ' a ')}" in bot.text, \
        bot.text
    times = [ROW.match(t).group(3) for t in bot.titles if ROW.match(t)]
    assert times and all(t >= "12:00" for t in times), bot.text
