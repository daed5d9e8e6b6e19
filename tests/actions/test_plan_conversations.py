"""Conversations about plans and invoices, through the running engine and action server: a pet
with an active plan books a covered service with no price ("incluso no seu plano — restam …"),
and once the cycle's sessions are used up the bot says so at the normal price; "quanto devo?",
"minhas faturas", "meu saldo" list the open invoices with their links and the tutor's credit."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing import credit, invoices
from scheduler_core.billing.invoices import ItemSpec
from scheduler_core.billing.models import BillingCycle
from scheduler_core.catalog.models import Service
from scheduler_core.db.engine import write_session
from scheduler_core.plans import lifecycle
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import Allowance, PlanTemplate, PlanTemplateService
from tests.actions.engine import NOW, _new_tutor
from tests.actions.test_conversations import _book_until_slots

pytestmark = pytest.mark.engine


def _plan_with_banhos(bot, tutor, pet, quantity: int) -> int:
    with bot.session() as s:
        banho = s.exec(select(Service).where(Service.name == "Banho")).first()
        template = PlanTemplate(shop_id=tutor.shop_id, name="Plano Teste Banhos", kind="mensal",
                                species=["cao"], price_cents=12000)
        s.add(template)
        s.flush()
        s.add(PlanTemplateService(template_id=template.id, service_id=banho.id,
                                  quantity=quantity))
        s.commit()
        template_id = template.id
    return plans.sell_plan(bot.engine, pet_id=pet.id, template_id=template_id,
                           start_date=NOW.date(), now=NOW, actor="staff:1").id


def _to_summary(chat, pet_name: str) -> None:
    chat.say("oi")
    chat.tap("Banho e tosa")
    chat.tap(pet_name)
    _book_until_slots(chat, "Banho")
    chat.tap_index(0)
    assert "Confira o agendamento" in chat.text


def test_a_plan_pet_books_banho_included_then_at_the_normal_price(bot, chat_with):
    with bot.session() as s:
        tutor, pets = _new_tutor(s, 1)
    plan_id = _plan_with_banhos(bot, tutor, pets[0], 3)
    chat = chat_with(tutor.whatsapp)
    _to_summary(chat, pets[0].name)
    assert "incluso no seu plano — restam 2 sessões de Banho neste ciclo" in chat.text
    chat.tap("Confirmar")
    assert "Agendamento confirmado" in chat.text
    with bot.session() as s:
        appt = s.exec(select(Appointment).where(Appointment.pet_id == pets[0].id)).one()
        assert (appt.pet_plan_id, appt.total_cents) == (plan_id, 0)
        allowance = s.exec(select(Allowance).join(BillingCycle).where(
            BillingCycle.pet_plan_id == plan_id, BillingCycle.seq == 1)).one()
    # Staff mark the cycle as used up (a manual counter edit): the next banho is charged.
    with write_session(bot.engine) as s:
        lifecycle.edit_counter(s, allowance.id, used=3, reason="Banhos no balcão", now=NOW,
                               actor="staff:1")
    chat.say("menu")
    _to_summary(chat, pets[0].name)
    assert "as sessões de Banho do seu plano já foram usadas" in chat.text
    assert "R$" in chat.text


@pytest.mark.parametrize("question", ["quanto devo?", "minhas faturas", "qual é o meu saldo?"])
def test_the_tutor_asks_what_they_owe(bot, chat_with, question):
    with bot.session() as s:
        tutor, pets = _new_tutor(s, 1)
        shop_id = tutor.shop_id
    with write_session(bot.engine) as s:
        invoice = invoices.create_invoice(
            s, shop_id=shop_id, tutor_id=tutor.id, pet_id=pets[0].id, kind="avulsa",
            items=[ItemSpec("Banho", 7000)], now=NOW, actor="staff:1")
        number = invoices.number_label(invoice.number)
        credit.add_balance(s, tutor_id=tutor.id, amount_cents=1500, reason_text="Cortesia",
                           now=NOW, actor="staff:1")
    chat = chat_with(tutor.whatsapp)
    chat.say(question)
    assert "Suas faturas em aberto" in chat.text, chat.log
    assert number in chat.text and "R$ 70,00" in chat.text and "/fatura/" in chat.text
    assert "Seu crédito na loja: R$ 15,00" in chat.text
