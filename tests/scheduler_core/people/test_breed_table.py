"""Configuração → Raças use cases: search, defaults, nicknames the bot's match accepts,
"não atendemos" per shop, adding a breed."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people import breed_table
from scheduler_core.people.acceptance import pet_refusal
from scheduler_core.people.breeds import load_breeds, match_breeds
from scheduler_core.shop.models import Shop
from tests.scheduler_core.factories import NOW, build_shop


@pytest.fixture
def world(db_engine):
    world = build_shop(db_engine)
    with Session(db_engine) as session:
        load_breeds(session)
        session.commit()
    return world


def _one(world, text, species="cao"):
    [entry] = [e for e in breed_table.search(world.engine, shop_id=world.shop_id, text=text,
                                             species=species) if e.name == text]
    return entry


def _kw(world):
    return {"shop_id": world.shop_id, "actor": "staff:1", "now": NOW}


def test_search_finds_names_and_nicknames_without_accents(world):
    names = {e.name for e in breed_table.search(world.engine, shop_id=world.shop_id,
                                                text="SALSICHA")}
    assert any("Dachshund" in n for n in names)
    assert breed_table.search(world.engine, shop_id=world.shop_id, text="zzzz") == []


def test_an_added_nickname_is_matched_by_the_bot(world):
    shih = _one(world, "Shih Tzu")
    with Session(world.engine) as session:
        assert not any(m.name == "Shih Tzu" and m.score == 100
                       for m in match_breeds(session, "cao", "chuchuzinho"))
    breed_table.add_alias(world.engine, breed_id=shih.id, alias="Chuchuzinho", **_kw(world))
    with Session(world.engine) as session:
        [best, *_] = match_breeds(session, "cao", "chuchuzinho")
    assert (best.name, best.score) == ("Shih Tzu", 100.0)
    with pytest.raises(ValidationFailed, match="já aceita"):
        breed_table.add_alias(world.engine, breed_id=shih.id, alias="chuchuzinho", **_kw(world))
    labrador = _one(world, "Labrador Retriever")
    with pytest.raises(ValidationFailed, match="já é a raça Shih Tzu"):
        breed_table.add_alias(world.engine, breed_id=labrador.id, alias="Chuchuzinho",
                              **_kw(world))
    [(alias_id, _alias)] = _one(world, "Shih Tzu").added_aliases
    breed_table.remove_alias(world.engine, alias_id=alias_id, **_kw(world))
    with Session(world.engine) as session:
        assert not any(m.score == 100 for m in match_breeds(session, "cao", "chuchuzinho"))


def test_defaults_and_a_new_breed(world):
    shih = _one(world, "Shih Tzu")
    breed_table.save_breed(world.engine, breed_id=shih.id, values={
        "default_porte": "mini", "default_pelagem": "media"}, **_kw(world))
    again = _one(world, "Shih Tzu")
    assert (again.default_porte, again.default_pelagem) == ("mini", "media")
    with pytest.raises(ValidationFailed, match="Porte inválido"):
        breed_table.save_breed(world.engine, breed_id=shih.id,
                               values={"default_porte": "enorme"}, **_kw(world))
    with pytest.raises(ValidationFailed, match="já é a raça"):
        breed_table.save_breed(world.engine, values={"species": "cao", "name": "shih-tzu"},
                               **_kw(world))
    added = breed_table.save_breed(world.engine, values={
        "species": "cao", "name": "Cão de Crista Chinês", "default_porte": "pequeno"},
        **_kw(world))
    with Session(world.engine) as session:
        [best, *_] = match_breeds(session, "cao", "cao de crista chines")
    assert best.id == added.id


def test_not_accepted_per_shop_gives_the_refusal(world):
    pit = _one(world, "Pit Bull")
    breed_table.set_not_accepted(world.engine, breed_id=pit.id, refused=True,
                                 message="Não atendemos Pit Bull, desculpe.", **_kw(world))
    with Session(world.engine) as session:
        shop = session.get(Shop, world.shop_id)
        assert pet_refusal(session, shop, breed_id=pit.id) == "Não atendemos Pit Bull, desculpe."
    assert _one(world, "Pit Bull").not_accepted
    breed_table.set_not_accepted(world.engine, breed_id=pit.id, refused=False, message="",
                                 **_kw(world))
    with Session(world.engine) as session:
        assert pet_refusal(session, session.get(Shop, world.shop_id), breed_id=pit.id) is None
