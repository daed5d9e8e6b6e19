"""A tutor and a pet the bot registers are in the audit log like the panel's: "Robô cadastrou
o tutor #12." (scheduler_core.people.registry audits the creation as the bot's)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from scheduler_core.audit.log import recent
from scheduler_core.audit_trail import describe
from scheduler_core.people.models import Pet, Tutor
from tests.actions.chat import NOW, Driver, new_tutor_at

PHONE = "+5511900000091"


@pytest.fixture
def shop(demo_sqlite):
    return demo_sqlite(NOW)


def test_the_bot_s_new_tutor_and_pet_are_in_the_audit_log(shop):
    bot = Driver(shop, PHONE)
    new_tutor_at(bot, "pelagem")
    bot.tap("Curta")
    with Session(shop) as s:
        tutor = s.exec(select(Tutor).where(Tutor.whatsapp == PHONE)).one()
        pet = s.exec(select(Pet).where(Pet.tutor_id == tutor.id)).one()
        rows = [r for r in recent(s, tutor.shop_id)
                if (r.entity, r.entity_id) in {("tutor", tutor.id), ("pet", pet.id)}]
        sentences = sorted(describe(r, {}, "America/Sao_Paulo").sentence for r in rows)
    assert sentences == [f"Robô cadastrou o pet #{pet.id}.", f"Robô cadastrou o tutor #{tutor.id}."]
    assert {r.actor for r in rows} == {"bot"}
