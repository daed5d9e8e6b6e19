"""The engine tests' tutor picker (tests/actions/engine.py) never hands out a tutor another test
registered through the bot: that tutor's conversation stopped wherever its test left it, so a
test given it would pass or fail by which tests ran before (as
test_questions_answered_from_shop_data["quanto custa o banho?"] did once the demo's one-pet
tutors ran out: it got the tutor left at "Qual serviço você quer para o Thor?")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from scheduler_core.people.models import Pet, Tutor
from tests.actions import engine as engine_fixtures

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


class _Bot:
    def __init__(self, engine) -> None:
        self.engine = engine

    def session(self) -> Session:
        return Session(self.engine)


@pytest.fixture
def picker(demo_sqlite, monkeypatch):
    """The picker over a fresh demo copy, with its own taken and demo sets."""
    engine = demo_sqlite(NOW)
    with Session(engine) as s:
        demo = set(s.exec(select(Tutor.id)).all())
    monkeypatch.setattr(engine_fixtures, "_TAKEN", set())
    monkeypatch.setattr(engine_fixtures, "_DEMO_TUTORS", demo)
    return _Bot(engine)


def test_a_tutor_the_bot_registered_is_never_handed_out(picker):
    with picker.session() as s:
        shop_id = s.exec(select(Tutor.shop_id)).first()
        registered = Tutor(shop_id=shop_id, name="Mariana Lopes", whatsapp="+5511900000002")
        s.add(registered)
        s.flush()
        s.add(Pet(tutor_id=registered.id, name="Thor", species="cao", porte="pequeno",
                  pelagem="longa"))
        s.commit()
        registered_id = registered.id
    handed = set()
    for _ in range(60):  # well past the demo's one-pet tutors
        tutor, pets = engine_fixtures.tutor_with_pets(picker, 1)
        assert tutor.id != registered_id and len(pets) == 1
        handed.add(tutor.id)
    assert len(handed) == 60  # each test its own tutor, fresh ones once the demo's run out
