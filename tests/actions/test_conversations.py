"""Conversations through the running engine and action server (HTTP), on the seeded demo shop.

Each test talks as a WhatsApp tutor (REST channel, with the gateway's metadata) and checks what
the tutor received (texts, buttons) and what the database holds afterwards.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from sqlmodel import select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.billing.models import Invoice, InvoiceStatus
from scheduler_core.catalog.models import Service
from scheduler_core.people.labels import pet_words
from scheduler_core.people.models import Breed, Pet, Tutor
from tests.actions.chat import said
from tests.actions.engine import _TAKEN, NOW, tutor_with_pets
from tests.actions.test_pet_form_conversations import _active_loop

pytestmark = pytest.mark.engine


def _appointments(bot, tutor_id: int) -> list[Appointment]:
    with bot.session() as s:
        return list(s.exec(select(Appointment).where(Appointment.tutor_id == tutor_id)
                           .order_by(Appointment.id)).all())


def _book_until_slots(chat, service_title: str | None = None) -> None:
    """From a service list, go through add-ons / Leva e Traz / professional to a slot list."""
    chat.tap(service_title) if service_title else chat.tap_index(0)
    for _ in range(6):
        titles = chat.titles
        if "Não, obrigado" in titles and "Sim, quero" not in titles:
            chat.tap("Não, obrigado")
        elif "Não, eu levo" in titles:
            chat.tap("Não, eu levo")
        elif "Tanto faz" in titles:
            chat.tap("Tanto faz")
        elif "Manhã" in titles:
            chat.tap("Tarde")
        else:
            break
    assert "Outra data" in chat.titles, chat.text


def test_sdk_round_trip_new_tutor_greeting_and_menu(bot, chat_with):
    """rasa_sdk 3.21 (our env) answers the Rasa 3.6 engine: a real round trip."""
    chat = chat_with("+5511900000001")
    chat.say("oi")
    assert "assistente virtual do Patas & Cia Pet Shop" in chat.text
    assert chat.titles == ["Banho e tosa", "Clínica veterinária", "Meus agendamentos",
                           "Falar com atendente"]
    # Rasa 3.6's REST channel passes the rows' descriptions through.
    assert chat.buttons[0]["description"] == "Agendar banho, tosa e adicionais"
    assert all(len(t) <= 24 for t in chat.titles)


def test_greeting_known_tutor_names_tutor_and_pets(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 2, history=True)
    chat = chat_with(tutor.whatsapp)
    chat.say("bom dia")
    first = tutor.name.split()[0]
    assert f"Oi, {first}!" in chat.text
    assert all(p.name in chat.text for p in pets)
    assert "Repetir último serviço" in chat.titles


def test_tutor_found_by_bsuid_without_phone(bot, chat_with):
    tutor, _ = tutor_with_pets(bot, 1)
    with bot.session() as s:
        row = s.get(Tutor, tutor.id)
        row.wa_user_id = "BR.1502576394655843"
        s.add(row)
        s.commit()
    chat = chat_with(None, wa_user_id="BR.1502576394655843")
    chat.say("oi")
    assert tutor.name.split()[0] in chat.text


def test_new_tutor_and_new_pet_fluxo_normal(bot, chat_with):
    chat = chat_with("+5511900000002")
    chat.say("quero agendar um banho")
    assert "qual é o seu nome" in chat.text
    chat.say("Mariana Lopes")
    assert "Prazer, Mariana!" in chat.text and "nome do seu pet" in chat.text
    chat.say("Thor")
    assert "Thor é cão ou gato" in chat.text
    chat.say("cachorro")
    assert "raça do Thor" in chat.text
    chat.say("shih")
    assert "Shih Tzu" in chat.titles and "Shiba Inu" in chat.titles
    assert "SRD — sem raça definida" in chat.titles
    chat.tap("Shih Tzu")
    assert "porte do Thor" in chat.text
    chat.tap("Pequeno")
    assert "pelagem do Thor" in chat.text
    chat.say("longa")
    assert "Thor foi cadastrado" in chat.text
    # "um banho" was said in the first message: the service is not asked again.
    assert "Qual serviço" not in chat.text and "adicional" in chat.text, chat.log
    with bot.session() as s:
        tutor = s.exec(select(Tutor).where(Tutor.whatsapp == "+5511900000002")).one()
        pet = s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).one()
        breed = s.get(Breed, pet.breed_id)
    assert tutor.name == "Mariana Lopes"
    assert (pet.name, pet.species, breed.name, pet.porte, pet.pelagem) == (
        "Thor", "cao", "Shih Tzu", "pequeno", "longa")


def test_whatsapp_profile_name_is_offered_in_one_tap(bot, chat_with):
    chat = chat_with("+5511900000012", profile_name="ana paula 🐶")
    chat.say("quero agendar um banho")
    assert "qual é o seu nome" in chat.text and "*Ana Paula*" in chat.text
    chat.tap("Sim, é esse")
    assert "Prazer, Ana!" in chat.text and "nome do seu pet" in chat.text
    other = chat_with("+5511900000013", profile_name="Loja")
    other.say("quero agendar um banho")
    other.say("Bruno Dias")  # typing another name still wins over the profile's
    with bot.session() as s:
        names = {t.whatsapp: t.name for t in s.exec(select(Tutor).where(
            Tutor.whatsapp.in_(["+5511900000012", "+5511900000013"]))).all()}
    assert names == {"+5511900000012": "Ana Paula", "+5511900000013": "Bruno Dias"}


def test_breed_not_accepted_hands_off(bot, chat_with):
    chat = chat_with("+5511900000003")
    chat.tap_index(0) if chat.say("oi") else None  # menu → Banho e tosa
    chat.say("Paulo")
    chat.say("Brutus")
    chat.tap("Cão")
    chat.say("fila brasileiro")
    if "Fila Brasileiro" in chat.titles:
        chat.tap("Fila Brasileiro")
    assert "não atendemos Fila Brasileiro" in chat.text
    assert chat.customs == [{"handoff": {"reason": "raça não aceita: Fila Brasileiro"}}]


def test_registered_pet_booking_with_buttons(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    before = len(_appointments(bot, tutor.id))
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.tap("Banho e tosa")
    assert chat.titles[:1] == [pets[0].name] and "Outro pet" in chat.titles
    chat.tap(pets[0].name)
    words = pet_words(pets[0].name, pets[0].sex)  # "para a Bolinha": the demo knows her sex
    assert f"Qual serviço você quer para {words['o_pet']}" in chat.text
    assert "Banho" in chat.titles
    banho = next(b for b in chat.buttons if b["title"] == "Banho")
    assert "R$" in banho["description"]
    _book_until_slots(chat, "Banho")
    slot_title = chat.titles[0]
    chat.tap_index(0)
    assert "Confira o agendamento" in chat.text
    assert pets[0].name in chat.text and "Banho" in chat.text and "R$" in chat.text
    assert chat.titles == ["Confirmar", "Outro horário", "Cancelar"]
    chat.tap("Confirmar")
    assert "Agendamento confirmado" in chat.text
    after = _appointments(bot, tutor.id)
    assert len(after) == before + 1
    new = after[-1]
    assert new.origin == "bot" and new.status == AppointmentStatus.AGENDADO
    assert new.pet_id == pets[0].id
    assert slot_title.split(" às ")[1] in chat.text


def test_booking_by_free_text_with_typed_date(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("quero marcar um horário pro meu cachorro")
    chat.say(pets[0].name)
    assert "Qual serviço" in chat.text
    chat.say("banho")
    for _ in range(4):
        if "adicional" in chat.text or "Leva e Traz" in chat.text:
            chat.say("não")
        elif "profissional" in chat.text:
            chat.say("tanto faz")
    # Tuesday 01/12 → "sexta" is 04/12.
    chat.say("sexta à tarde")
    assert "04/12" in chat.text, chat.log
    assert all(int(t.split(" às ")[1][:2]) >= 12 for t in chat.titles if " às " in t)
    first = chat.titles[0]
    chat.say(first.split(" às ")[1])  # typing the time picks it
    assert "Confira o agendamento" in chat.text
    chat.say("sim")
    assert "Agendamento confirmado" in chat.text
    new = _appointments(bot, tutor.id)[-1]
    assert new.origin == "bot"


def _tutor_with_leva_e_traz_tomorrow(bot):
    """A demo tutor whose one pet has a Banho time tomorrow far enough ahead for Leva e Traz
    (the demo's agenda decides which pets do; otherwise the bot rightly offers times without
    it, a path other tests cover)."""
    from scheduler_core.scheduling import booking

    with bot.session() as s:
        bath = s.exec(select(Service).where(Service.name == "Banho")).first()
    tomorrow = NOW.date() + timedelta(days=1)
    passed_over = []
    while True:
        tutor, pets = tutor_with_pets(bot, 1)
        offer = booking.find_slots(bot.engine, shop_id=1, pet_id=pets[0].id,
                                   service_ids=[bath.id],
                                   date_from=tomorrow, date_to=tomorrow, channel="bot", now=NOW,
                                   secret="test-secret", leva_e_traz=True)
        if offer.slots:
            _TAKEN.difference_update(passed_over)  # the other tests keep the tutors they had
            return tutor, pets
        passed_over.append(tutor.id)


def test_leva_e_traz_quotes_the_tutor_zone_and_books_its_fee(bot, chat_with):
    tutor, pets = _tutor_with_leva_e_traz_tomorrow(bot)
    with bot.session() as s:
        row = s.get(Tutor, tutor.id)
        row.neighborhood, row.cep = "Perdizes", ""  # Zona 2 of the demo shop: R$ 20,00
        s.add(row)
        s.commit()
    chat = chat_with(tutor.whatsapp)
    chat.bath_for(pets[0].name)
    chat.tap("Banho")
    for _ in range(3):
        if "Não, obrigado" in chat.titles and "Sim, quero" not in chat.titles:
            chat.tap("Não, obrigado")
    assert "Leva e Traz" in chat.text
    assert "Taxa: R$ 20,00 – Zona 2 (até 4 km)." in chat.text, chat.text
    chat.tap("Sim, quero")
    if "Tanto faz" in chat.titles:
        chat.tap("Tanto faz")
    # 24 h of notice: today's and tomorrow's early times are not offered with Leva e Traz.
    if "Outra data" in chat.titles and not any(" às " in t for t in chat.titles):
        chat.tap("Outra data")
    if "Manhã" in chat.titles:
        chat.tap("Tarde")
    chat.tap_index(0)
    assert "Confira o agendamento" in chat.text
    chat.tap("Confirmar")
    assert "Agendamento confirmado" in chat.text, chat.log
    assert "Vamos buscar" in chat.text and "Te esperamos" not in chat.text, chat.log
    new = _appointments(bot, tutor.id)[-1]
    assert new.leva_e_traz and new.leva_e_traz_fee_cents == 2000
    assert new.start - NOW >= timedelta(hours=24)


def test_outra_data_moves_the_window(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.bath_for(pets[0].name)
    _book_until_slots(chat, "Banho")
    chat.tap("Outra data")
    if "Manhã" in chat.titles:
        chat.tap("Manhã")
    days = {t.split()[1] for t in chat.titles if " às " in t}
    assert days and days <= {"03/12", "04/12"}, chat.titles


def test_repeat_last_service_in_one_tap(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1, history=True)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.tap("Repetir último serviço")
    assert "último atendimento" in chat.text
    assert _active_loop(bot, chat.sender) == "repeat_form"  # Passo 01-03 as a Rasa form
    chat.tap("Sim, agendar")
    assert _active_loop(bot, chat.sender) == "booking_form"  # then the booking's own form
    for _ in range(3):
        if "Não, eu levo" in chat.titles:
            chat.tap("Não, eu levo")
        if "Manhã" in chat.titles:
            chat.tap("Tarde")
    assert "Outra data" in chat.titles, chat.text


def _book_one(bot, chat, pet_name: str) -> Appointment:
    chat.say("oi")
    chat.tap("Banho e tosa")
    if pet_name in chat.titles:
        chat.tap(pet_name)
    _book_until_slots(chat, "Banho")
    chat.tap_index(0)
    chat.tap("Confirmar")
    assert "Agendamento confirmado" in chat.text
    with bot.session() as s:
        return s.exec(select(Appointment).order_by(Appointment.id.desc())).first()


def _moved_on(bot, appt_id: int, days: int = 5) -> Appointment:
    """The appointment moved ``days`` later in the database (past the shop's 24 h notice for
    changes, which a booking made today or tomorrow is inside of)."""
    with bot.session() as s:
        row = s.get(Appointment, appt_id)
        row.start += timedelta(days=days)
        row.end += timedelta(days=days)
        s.add(row)
        s.commit()
        s.refresh(row)
        return row


def test_list_and_reschedule(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    appt = _book_one(bot, chat, pets[0].name)
    chat.say("meus agendamentos")
    assert "próximos agendamentos" in chat.text
    row = next(b for b in chat.buttons if b["payload"].endswith(f'appt:{appt.id}"}}'))
    chat.say(row["payload"])
    assert chat.titles == ["Remarcar", "Cancelar", "Voltar"]
    appt = _moved_on(bot, appt.id)
    chat.say("meus agendamentos")
    chat.say(next(b for b in chat.buttons if f"appt:{appt.id}" in b["payload"])["payload"])
    chat.tap("Remarcar")
    if "Manhã" in chat.titles:
        chat.tap("Manhã")
    chat.say("dia 7")
    if "Manhã" in chat.titles:
        chat.tap("Manhã")
    assert "07/12" in chat.text, chat.text
    chat.tap_index(0)
    assert "Confira a remarcação" in chat.text
    chat.tap("Confirmar")
    assert "Remarcado para" in chat.text
    with bot.session() as s:
        moved = s.get(Appointment, appt.id)
    assert moved.status == AppointmentStatus.AGENDADO
    assert moved.start != appt.start and "07/12" in chat.text


def test_cancel(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    appt = _book_one(bot, chat, pets[0].name)
    _moved_on(bot, appt.id)  # the booking is today/tomorrow, inside the 24 h cancel notice
    chat.say("quero cancelar")
    row = next(b for b in chat.buttons if b["payload"].endswith(f'appt:{appt.id}"}}'))
    chat.say(row["payload"])  # "quero cancelar" was said: no "remarcar ou cancelar?" again
    assert "Confirma o cancelamento" in chat.text and "O que deseja fazer" not in chat.text
    chat.say("sim")
    assert "Agendamento cancelado" in chat.text
    with bot.session() as s:
        assert s.get(Appointment, appt.id).status == AppointmentStatus.CANCELADO


def test_cancel_inside_notice_is_refused_and_handed_off(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    appt = _book_one(bot, chat, pets[0].name)
    with bot.session() as s:
        row = s.get(Appointment, appt.id)
        duration = row.end - row.start
        row.start = NOW + timedelta(hours=3)
        row.end = row.start + duration
        s.add(row)
        s.commit()
    chat.say("meus agendamentos")
    chat.say(next(b for b in chat.buttons if f"appt:{appt.id}" in b["payload"])["payload"])
    chat.tap("Cancelar")
    # The core's own refusal (scheduling/notice.py), the words the cancel itself would use.
    assert "pelo menos 24 horas de antecedência" in chat.text, chat.text
    assert chat.customs == [{"handoff": {"reason": "antecedência mínima não atendida"}}]
    with bot.session() as s:
        assert s.get(Appointment, appt.id).status == AppointmentStatus.AGENDADO


def test_paid_appointment_cancel_hands_off(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    appt = _book_one(bot, chat, pets[0].name)
    _moved_on(bot, appt.id)
    with bot.session() as s:
        s.add(Invoice(shop_id=1, number=990000 + appt.id, tutor_id=tutor.id, pet_id=pets[0].id,
                      appointment_id=appt.id, status=InvoiceStatus.PAGA))
        s.commit()
    chat.say("meus agendamentos")
    chat.say(next(b for b in chat.buttons if f"appt:{appt.id}" in b["payload"])["payload"])
    chat.tap("Cancelar")
    chat.tap("Sim, cancelar")
    assert "pago" in chat.text
    assert chat.customs == [{"handoff": {"reason": "cancelamento de agendamento pago"}}]
    with bot.session() as s:
        assert s.get(Appointment, appt.id).status == AppointmentStatus.AGENDADO


def test_handoff_on_request_mid_flow_and_clean_resume(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.tap("Banho e tosa")
    chat.say("quero falar com uma pessoa")
    assert chat.customs == [{"handoff": {"reason": "pedido do tutor"}}]
    # 10:00 on a Tuesday: the shop is open → the in-hours message.
    assert "Um atendente vai falar com você" in chat.text
    # When the attendant hands back, the next message starts clean.
    chat.say("oi")
    assert "Como posso ajudar" in chat.text and "Banho e tosa" in chat.titles
    # The menu row does the same.
    chat.tap("Falar com atendente")
    assert chat.customs == [{"handoff": {"reason": "pedido do tutor"}}]


def test_asking_for_the_vet_is_a_hand_off_and_booking_a_consult_is_not(bot, chat_with):
    """Decision: "falar com o/a veterinário(a)" asks for a person (hand-off); "marcar consulta
    com o veterinário" is a clinic booking."""
    tutor, _pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.say("preciso falar com a veterinária")
    assert chat.customs == [{"handoff": {"reason": "pedido do tutor"}}], chat.log
    other, other_pets = tutor_with_pets(bot, 1)
    booking = chat_with(other.whatsapp)
    booking.say("quero marcar uma consulta com o veterinário")
    assert not booking.customs and "Para qual pet" in booking.text, booking.log
    booking.tap(other_pets[0].name)
    # "uma consulta" was said: Consulta veterinária is taken, not asked; no Leva e Traz for a
    # clinic visit (catalog.leva_e_traz.offered_for).
    assert "Qual serviço" not in booking.text and "Leva e Traz" not in booking.text, booking.log
    for _ in range(3):
        if "Tanto faz" in booking.titles:
            booking.tap("Tanto faz")
        elif "Não, obrigado" in booking.titles:
            booking.tap("Não, obrigado")
        elif "Manhã" in booking.titles:
            booking.tap("Manhã")
    booking.tap_index(0)
    assert "Consulta veterinária" in booking.text and "Confira o agendamento" in booking.text, \
        booking.log


def test_an_emergency_hands_off_at_once_with_the_clinic_address(bot, chat_with):
    """A pet in danger is no booking: the tutor is told to come to the clinic (the shop's own
    address) and a person takes over, with no slots offered."""
    tutor, _pets = tutor_with_pets(bot, 2)
    chat = chat_with(tutor.whatsapp)
    chat.say("socorro, meu cachorro comeu veneno e ta tremendo muito")
    assert "Entendi que é uma urgência" in chat.text, chat.log
    assert "venha direto para a clínica" in chat.text and "CEP" in chat.text, chat.text
    assert "Um atendente vai falar com você" in chat.text
    assert chat.customs == [{"handoff": {"reason": "urgência"}}]
    assert not chat.buttons


def test_an_emergency_in_the_middle_of_a_booking_hands_off(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 2)
    chat = chat_with(tutor.whatsapp)
    chat.bath_for(pets[0].name)
    assert "Qual serviço" in chat.text
    chat.say("minha cachorra foi atropelada agora e nao para de sangrar")
    assert "Entendi que é uma urgência" in chat.text, chat.log
    assert chat.customs == [{"handoff": {"reason": "urgência"}}]
    # When the attendant hands back, the booking does not resume.
    chat.say("oi")
    assert "Como posso ajudar" in chat.text and "Banho e tosa" in chat.titles


def test_an_emergency_out_of_hours_points_to_an_emergency_vet_not_the_closed_clinic(bot):
    from actions.flow import Turn, handle

    late = NOW + timedelta(hours=12)  # 22:00 in São Paulo: the shop is closed
    turn = Turn(intent="urgencia", confidence=1.0, text="meu gato caiu da janela", entities={},
                option=None, sender="+5511900000015", phone="+5511900000015", wa_user_id=None,
                profile_name=None, shop_id=1, now=late)
    reply = handle(bot.engine, turn, {}, "test-secret")
    texts = " ".join(m.get("text", "") for m in reply.messages)
    assert "pronto-atendimento veterinário" in texts and "venha direto" not in texts, texts
    assert "fora do horário" in texts
    assert reply.handoff == "urgência"


def test_a_tutor_named_maria_do_socorro_is_registered_not_handed_off(bot, chat_with):
    """"Socorro" in a name typed at the name step is a name, not an emergency."""
    chat = chat_with("+5511900000014")
    chat.say("quero agendar um banho")
    assert "qual é o seu nome" in chat.text
    chat.say("Maria do Socorro Lima")
    assert "Prazer, Maria!" in chat.text and not chat.customs, chat.log


def test_two_misunderstandings_offer_a_person_and_the_menu_then_the_tap_hands_off(bot,
                                                                                 chat_with):
    """chatbot.md §4.8: after two misunderstandings in a row the bot offers "Falar com
    atendente" and the menu; only the tutor's tap hands the conversation to a person."""
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.tap("Banho e tosa")
    chat.say("xablau zzz")
    assert "não entendi" in chat.text and pets[0].name in chat.titles
    assert not chat.customs
    chat.say("qwerty asdf")
    assert not chat.customs, chat.log
    assert "não consegui entender" in chat.text and "Falar com atendente" in chat.text
    assert chat.titles[0] == "Falar com atendente" and "Banho e tosa" in chat.titles
    chat.tap("Falar com atendente")
    assert chat.customs == [{"handoff": {"reason": "não entendeu duas vezes seguidas"}}]


def test_after_the_offer_of_a_person_the_menu_still_works(bot, chat_with):
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    chat.tap("Banho e tosa")
    chat.say("xablau zzz")
    chat.say("qwerty asdf")
    assert chat.titles[0] == "Falar com atendente", chat.log
    chat.tap("Banho e tosa")
    assert not chat.customs and pets[0].name in chat.titles, chat.log


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("qual o horário de funcionamento?", "Segunda a Sexta"),
        ("qual o endereço de vocês?", "CEP"),
        ("aceita pix?", "Pix"),
        ("vocês buscam o pet em casa?", "Leva e Traz"),
        ("quanto custa o banho?", "Banho: a partir de R$"),
    ],
)
def test_questions_answered_from_shop_data(bot, chat_with, question, expected):
    tutor, _pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say(question)
    assert expected in chat.text, chat.text
    assert said(chat.text, "utter_menu_again"), chat.text


def test_retried_action_call_books_once(bot, chat_with):
    """The engine may call the booking action again with the same tracker (booking_form
    complete, action_book_appointment retried): one appointment only."""
    tutor, pets = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.bath_for(pets[0].name)
    _book_until_slots(chat, "Banho")
    chat.tap_index(0)
    before = len(_appointments(bot, tutor.id))
    # Put the tap on the tracker without running the action, then call the action twice.
    confirm = next(b["payload"] for b in chat.buttons if b["title"] == "Confirmar")
    tracker_url = f"{bot.rasa_url}/conversations/{chat.sender}/tracker"
    with urllib.request.urlopen(tracker_url) as response:
        tracker = json.loads(response.read())
    tracker["latest_message"] = {
        "text": confirm, "intent": {"name": "informar", "confidence": 1.0},
        "entities": [{"entity": "opcao", "value": "confirma:sim"}],
        "metadata": {"phone": tutor.whatsapp, "shop_id": 1},
    }
    # As validate_booking_form leaves it when "Confirmar" completes the form.
    tracker["slots"]["flow"] = {**tracker["slots"]["flow"], "step": "booking_done"}
    body = json.dumps({"next_action": "action_book_appointment", "sender_id": chat.sender,
                       "tracker": tracker, "domain": {}, "version": "3.6.21"}).encode()
    answers = []
    for _ in range(2):
        request = urllib.request.Request(f"{bot.action_url}/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            answers.append(json.loads(response.read()))
    assert all("Agendamento confirmado" in a["responses"][0]["text"] for a in answers)
    assert len(_appointments(bot, tutor.id)) == before + 1


def test_redis_tracker_and_lock_store(bot, chat_with):
    import redis

    from tests.actions.engine import REDIS_URL

    tutor, _ = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    chat.say("oi")
    client = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in client.keys("petbot*")]
    assert any(tutor.whatsapp in k for k in keys), keys
    stored = json.loads(client.get(next(k for k in keys if tutor.whatsapp in k)))
    events = stored["events"] if isinstance(stored, dict) else stored
    assert any(e.get("event") == "bot" for e in events), str(stored)[:500]


def test_redis_lock_store_serialises_a_conversation(bot, chat_with):
    """A ticket held in Redis by another engine makes this engine wait for it."""
    import time

    import redis

    from tests.actions.engine import REDIS_URL

    tutor, _ = tutor_with_pets(bot, 1)
    chat = chat_with(tutor.whatsapp)
    held_for = 3.0
    ticket = json.dumps({"number": 0, "expires": time.time() + held_for})
    redis.Redis.from_url(REDIS_URL).set(
        f"petbot:lock:{chat.sender}",
        json.dumps({"conversation_id": chat.sender, "tickets": [ticket]}),
    )
    started = time.monotonic()
    chat.say("oi")
    waited = time.monotonic() - started
    assert waited >= held_for - 0.5, waited
    assert tutor.name.split()[0] in chat.text


def _tutor_names(bot, phone: str) -> list[str]:
    with bot.session() as s:
        return [t.name for t in s.exec(select(Tutor).where(Tutor.whatsapp == phone)).all()]


_CHATTER = ["obrigado", "ok", "blz", "oi", "sim", "não", "valeu", "👍", "quanto custa o banho?"]


@pytest.mark.parametrize("reply", _CHATTER)
def test_chatter_at_the_name_question_is_not_the_tutor_s_name(bot, chat_with, reply):
    """"obrigado" once became a tutor's name: the bot now answers in kind and asks again."""
    phone = f"+55119000002{_CHATTER.index(reply):02d}"
    chat = chat_with(phone)
    chat.say("quero agendar um banho")
    assert "qual é o seu nome" in chat.text, chat.log
    chat.say(reply)
    assert "Prazer" not in chat.text and not chat.customs, chat.log
    assert "nome" in chat.text.split("\n")[-1], chat.log  # the name question again
    assert _tutor_names(bot, phone) == []
    chat.say("Ana Paula Reis")
    assert "Prazer, Ana!" in chat.text, chat.log
    assert _tutor_names(bot, phone) == ["Ana Paula Reis"]


_WORD_NAMES = ["Glória", "Vitória", "Felicidade", "Ana Paula", "João"]


@pytest.mark.parametrize("name", _WORD_NAMES)
def test_names_that_are_also_words_are_names(bot, chat_with, name):
    phone = f"+55119000003{_WORD_NAMES.index(name):02d}"
    chat = chat_with(phone)
    chat.say("quero agendar um banho")
    chat.say(name)
    assert f"Prazer, {name.split()[0]}!" in chat.text, chat.log
    assert _tutor_names(bot, phone) == [name]


def test_thanks_at_the_pet_name_question_is_not_the_pet_and_beleza_is(bot, chat_with):
    chat = chat_with("+5511900000401")
    chat.say("quero agendar um banho")
    chat.say("Carla Dias")
    assert "nome do seu pet" in chat.text, chat.log
    chat.say("obrigada")
    assert chat.text == "Por nada! 😊\nQual é o nome do seu pet? 🐾", chat.log
    chat.say("Beleza")
    assert "Beleza é cão ou gato" in chat.text, chat.log


def test_a_new_tutor_asking_the_price_gets_the_table_by_porte(bot, chat_with):
    """A tutor with no pet yet once got "Desculpe, tive um problema aqui"."""
    chat = chat_with("+5511900000402")
    chat.say("quanto custa o banho?")
    assert "Nossos valores por porte" in chat.text, chat.log
    assert "*Banho*: Mini R$ 45" in chat.text and "Gigante R$ 130" in chat.text, chat.text
    assert "problema" not in chat.text and said(chat.text, "utter_menu_again")
    chat.tap("Banho e tosa")
    chat.say("quanto custa o banho?")  # at the name question: answered, then asked again
    assert "*Banho*: Mini R$ 45" in chat.text, chat.log
    assert chat.texts[-1] == "Para começar seu cadastro, qual é o seu nome?", chat.log
    chat.say("Rita Moraes")
    chat.say("Nino")
    chat.say("quanto custa o banho?")  # at the species question: the pet is not priced yet
    assert "*Banho*: Mini R$ 45" in chat.text and "Nino é cão ou gato" in chat.text, chat.log
    assert _tutor_names(bot, "+5511900000402") == ["Rita Moraes"]


_FAQ = [
    ("qual o horário de funcionamento?", "Segunda a Sexta"),
    ("qual o endereço de vocês?", "CEP"),
    ("aceita pix?", "Pix"),
    ("vocês buscam o pet em casa?", "Leva e Traz"),
]


@pytest.mark.parametrize(("question", "expected"), _FAQ)
def test_a_new_tutor_s_questions_are_answered_at_the_name_question(bot, chat_with, question,
                                                                     expected):
    phone = f"+55119000005{_FAQ.index((question, expected)):02d}"
    chat = chat_with(phone)
    chat.say(question)
    assert expected in chat.text and said(chat.text, "utter_menu_again"), chat.log
    chat.say("quero agendar um banho")
    chat.say(question)
    assert expected in chat.text, chat.log
    assert chat.texts[-1] == "Para começar seu cadastro, qual é o seu nome?", chat.log
    assert _tutor_names(bot, phone) == []
