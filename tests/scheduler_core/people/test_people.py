"""Tutors and pets: CPF, phone numbers, breed matching, registration, look-ups and search."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlmodel import Session, select

from scheduler_core.kernel.cpf import (
    InvalidCPF,
    format_cpf,
    generate_cpf,
    is_valid_cpf,
    normalize_cpf,
)
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.phones import (
    InvalidPhone,
    format_phone_br,
    parse_phone,
    phone_variants,
    wa_id_to_e164,
)
from scheduler_core.kernel.text import normalize
from scheduler_core.people import registry as people
from scheduler_core.people.breeds import load_breeds, match_breeds, shipped_breeds
from scheduler_core.people.models import Breed, Tutor
from tests.scheduler_core.factories import build_shop

# --------------------------------------------------------------------------- CPF


@pytest.mark.parametrize("cpf", ["529.982.247-25", "52998224725", " 111.444.777-35 "])
def test_valid_cpfs_are_accepted_and_normalised_to_digits(cpf):
    assert is_valid_cpf(cpf)
    assert len(normalize_cpf(cpf)) == 11


@pytest.mark.parametrize(
    "cpf, message",
    [
        ("529.982.247-26", "CPF inválido"),
        ("111.111.111-11", "CPF inválido"),
        ("1234567890", "11 dígitos"),
        ("", "11 dígitos"),
        ("52998224725a", "CPF inválido"),
    ],
)
def test_invalid_cpfs_are_refused_with_a_portuguese_message(cpf, message):
    assert not is_valid_cpf(cpf)
    with pytest.raises(InvalidCPF, match=message):
        normalize_cpf(cpf)


def test_cpf_is_formatted_with_dots_and_dash():
    assert format_cpf("52998224725") == "529.982.247-25"


def test_generated_cpfs_are_valid():
    rng = random.Random(7)
    assert all(is_valid_cpf(generate_cpf(rng)) for _ in range(200))


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "typed",
    [
        "(11) 98765-4321",
        "11987654321",
        "+55 11 98765-4321",
        "5511987654321",
        "55 (11) 98765-4321",
        "011 98765-4321",
        "551187654321",  # wa_id without the 9th digit
        "(11) 8765-4321",  # old 8-digit mobile form
    ],
)
def test_brazilian_whatsapp_numbers_become_e164(typed):
    assert parse_phone(typed) == "+5511987654321"


def test_landlines_keep_their_eight_digits():
    assert parse_phone("(21) 2345-6789") == "+552123456789"
    assert phone_variants("+552123456789") == ["+552123456789"]


def test_phone_variants_cover_the_missing_ninth_digit():
    assert phone_variants("+5511987654321") == ["+5511987654321", "+551187654321"]
    assert phone_variants("+551187654321") == ["+5511987654321", "+551187654321"]
    assert wa_id_to_e164("551187654321") == "+5511987654321"


@pytest.mark.parametrize(
    "typed, message",
    [
        ("98765-4321", "Faltou o DDD"),
        ("abc", "apenas números"),
        ("", "Informe um número"),
        ("(11) 1234-5678", "inválido"),
    ],
)
def test_bad_phone_numbers_get_a_clear_portuguese_message(typed, message):
    with pytest.raises(InvalidPhone, match=message) as info:
        parse_phone(typed)
    assert "(11) 98765-4321" in str(info.value)


def test_phone_display_format():
    assert format_phone_br("+5511987654321") == "(11) 98765-4321"


# --------------------------------------------------------------------------- breeds


def test_shipped_breed_list_is_realistic():
    rows = shipped_breeds()
    dogs = [r for r in rows if r.species == "cao"]
    cats = [r for r in rows if r.species == "gato"]
    assert len(dogs) >= 55 and len(cats) >= 18
    for species in ("cao", "gato", "roedor"):
        assert any(r.name == "SRD (sem raça definida)" for r in rows if r.species == species)
    assert all(r.default_porte in {"mini", "pequeno", "medio", "grande", "gigante"} for r in rows)
    assert all(r.default_pelagem in {"curta", "media", "longa"} for r in rows)
    assert all(r.default_porte in {"pequeno", "medio"} for r in cats)
    assert len({(r.species, r.name) for r in rows}) == len(rows)


def test_load_breeds_is_idempotent(db_engine):
    with Session(db_engine) as s:
        first = load_breeds(s)
        s.commit()
    with Session(db_engine) as s:
        assert load_breeds(s) == 0
        s.commit()
        assert len(s.exec(select(Breed)).all()) == first == len(shipped_breeds())


@pytest.fixture
def breeds_session(sqlite_engine):
    with Session(sqlite_engine) as s:
        load_breeds(s)
        s.commit()
        yield s


@pytest.mark.parametrize(
    "species, typed, expected",
    [
        ("cao", "lulu", "Spitz Alemão (Lulu da Pomerânia)"),
        ("cao", "Lulu da Pomerania", "Spitz Alemão (Lulu da Pomerânia)"),
        ("cao", "salsicha", "Dachshund (Salsicha)"),
        ("cao", "vira-lata", "SRD (sem raça definida)"),
        ("cao", "VIRA LATA", "SRD (sem raça definida)"),
        ("cao", "shitzu", "Shih Tzu"),
        ("cao", "shih-tzu", "Shih Tzu"),
        ("cao", "golden retriver", "Golden Retriever"),
        ("cao", "bulldog frances", "Bulldog Francês"),
        ("cao", "pastor alemao", "Pastor Alemão"),
        ("cao", "yorkshire", "Yorkshire Terrier"),
        ("cao", "labrador", "Labrador Retriever"),
        ("gato", "siames", "Siamês"),
        ("gato", "vira-lata", "SRD (sem raça definida)"),
        ("gato", "persa", "Persa"),
        ("gato", "maine coon", "Maine Coon"),
    ],
)
def test_breed_matching_understands_nicknames_typos_and_accents(
    breeds_session, species, typed, expected
):
    matches = match_breeds(breeds_session, species, typed)
    assert matches, typed
    assert matches[0].name == expected
    assert all(m.species == species for m in matches)


def test_breed_matching_returns_at_most_limit_and_nothing_for_nonsense(breeds_session):
    assert len(match_breeds(breeds_session, "cao", "terrier", limit=3)) == 3
    assert match_breeds(breeds_session, "cao", "xqzwv") == []
    assert match_breeds(breeds_session, "cao", "  ") == []


def test_normalize_strips_accents_and_punctuation():
    assert normalize("Lulu-da-Pomerânia!") == "lulu da pomerania"


# --------------------------------------------------------------------------- tutors


@pytest.fixture
def world(db_engine):
    w = build_shop(db_engine)
    with Session(db_engine) as s:
        load_breeds(s)
        s.commit()
    return w


def test_create_tutor_normalises_cpf_and_whatsapp(world):
    with world.session() as s:
        tutor = people.create_tutor(
            s,
            world.shop_id,
            {
                "name": "  João   da Silva ",
                "cpf": "529.982.247-25",
                "whatsapp": "(11) 91234-5678",
                "cep": "04543011",
                "state": "sp",
                "email": "Joao@Exemplo.com.br",
            },
        )
        s.commit()
        assert tutor.name == "João da Silva"
        assert tutor.cpf == "52998224725"
        assert tutor.whatsapp == "+5511912345678"
        assert tutor.cep == "04543-011" and tutor.state == "SP"
        assert tutor.email == "joao@exemplo.com.br"
        assert tutor.allow_bot is True


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"name": ""}, "name", "Informe o nome do tutor"),
        ({"name": "Ana", "cpf": "123.456.789-00"}, "cpf", "CPF inválido"),
        ({"name": "Ana", "whatsapp": "9999"}, "whatsapp", "telefone"),
        ({"name": "Ana", "email": "ana@"}, "email", "E-mail inválido"),
        ({"name": "Ana", "cep": "123"}, "cep", "CEP inválido"),
        ({"name": "Ana", "allow_bot": "sim"}, "allow_bot", "verdadeiro ou falso"),
        ({"name": "Ana", "apelido": "x"}, "apelido", "Campo desconhecido"),
        ({"name": "Ana", "birth_date": "31/02/1990"}, "birth_date", "dd/mm/aaaa"),
    ],
)
def test_bad_tutor_data_is_a_validation_error_naming_the_field(world, values, field, message):
    with world.session() as s, pytest.raises(ValidationFailed, match=message) as info:
        people.create_tutor(s, world.shop_id, values)
    assert info.value.code == "validation"
    assert info.value.details["field"] == field


def test_the_same_whatsapp_or_cpf_cannot_belong_to_two_tutors(world):
    with world.session() as s:
        people.create_tutor(s, world.shop_id, {"name": "Ana", "cpf": "52998224725"})
        s.commit()
        with pytest.raises(ValidationFailed, match="WhatsApp"):
            # The factory tutor Maria has +5511987654321; the wa_id form is the same number.
            people.create_tutor(s, world.shop_id, {"name": "Bia", "whatsapp": "551187654321"})
        with pytest.raises(ValidationFailed, match="CPF"):
            people.create_tutor(s, world.shop_id, {"name": "Bia", "cpf": "529.982.247-25"})


def test_find_tutor_by_phone_finds_every_form_of_the_number(world):
    with world.session() as s:
        for typed in ("+5511987654321", "551187654321", "(11) 98765-4321", "11 8765-4321"):
            tutor = people.find_tutor_by_phone(s, world.shop_id, typed)
            assert tutor is not None and tutor.id == world.tutor_id, typed
        assert people.find_tutor_by_phone(s, world.shop_id, "(11) 90000-0001") is None
        assert people.find_tutor_by_phone(s, world.shop_id, "lixo") is None


def test_a_tutor_stored_in_the_old_form_is_found_by_the_new_one(world):
    with world.session() as s:
        s.add(Tutor(shop_id=world.shop_id, name="Antigo", whatsapp="+552187654321"))
        s.commit()
        found = people.find_tutor_by_phone(s, world.shop_id, "(21) 98765-4321")
        assert found is not None and found.name == "Antigo"


def test_find_tutor_by_wa_user_id(world):
    with world.session() as s:
        people.update_tutor(s, world.tutor_id, {"wa_user_id": "BR.1502576394655843"})
        s.commit()
        assert people.find_tutor_by_wa_user_id(s, world.shop_id, "BR.1502576394655843").id == (
            world.tutor_id
        )
        assert people.find_tutor_by_wa_user_id(s, world.shop_id, "BR.0") is None


def test_update_tutor_changes_only_given_fields(world):
    with world.session() as s:
        tutor = people.update_tutor(s, world.tutor_id, {"allow_bot": False, "cpf": ""})
        s.commit()
        assert tutor.allow_bot is False and tutor.name == "Maria Silva"
        with pytest.raises(NotFound):
            people.update_tutor(s, 999_999, {"name": "X"})
        with pytest.raises(NotFound):
            people.update_tutor(s, world.tutor_id, {"name": "X"}, shop_id=world.shop_id + 1)


def test_search_tutors_by_name_phone_cpf_and_pet_name(world):
    with world.session() as s:
        ana = people.create_tutor(
            s,
            world.shop_id,
            {"name": "Ana Luíza Conceição", "cpf": "52998224725", "whatsapp": "21987001122"},
        )
        people.create_pet(s, ana.id, {"name": "Paçoca", "species": "cao"})
        s.commit()

        def names(q):
            return [t.name for t in people.search_tutors(s, world.shop_id, q)]

        assert names("conceicao") == ["Ana Luíza Conceição"]
        assert names("LUIZA") == ["Ana Luíza Conceição"]
        assert names("pacoca") == ["Ana Luíza Conceição"]
        assert names("thor") == ["Maria Silva"]  # the factory pet
        assert names("529.982.247-25") == ["Ana Luíza Conceição"]
        assert names("(21) 98700-1122") == ["Ana Luíza Conceição"]
        assert names("2187001122") == ["Ana Luíza Conceição"]  # without the 9th digit
        assert names("98765") == ["Maria Silva"]
        assert names("ninguém") == []
        assert names("") == []


# --------------------------------------------------------------------------- pets


def test_pet_breed_from_free_text_fills_porte_and_pelagem(world):
    with world.session() as s:
        pet = people.create_pet(s, world.tutor_id, {"name": "Mel", "breed": "lulu"})
        s.commit()
        breed = s.get(Breed, pet.breed_id)
        assert breed.name == "Spitz Alemão (Lulu da Pomerânia)"
        assert (pet.species, pet.porte, pet.pelagem) == ("cao", "mini", "longa")


def test_explicit_porte_and_pelagem_win_over_the_breed_defaults(world):
    with world.session() as s:
        pet = people.create_pet(
            s,
            world.tutor_id,
            {"name": "Bolt", "breed": "shih tzu", "porte": "medio", "pelagem": "curta"},
        )
        assert (pet.porte, pet.pelagem) == ("medio", "curta")


def test_weight_decides_a_dogs_porte_through_the_shop_bands(world):
    with world.session() as s:
        pet = people.create_pet(
            s, world.tutor_id, {"name": "Rex", "breed": "labrador", "weight_kg": "12,5"}
        )
        assert pet.porte == "pequeno" and pet.weight_grams == 12_500  # bands: pequeno 3–15 kg
        pet = people.update_pet(s, pet.id, {"weight_kg": 32})
        assert pet.porte == "grande"


def test_weight_also_places_cats_in_a_porte(world):
    with world.session() as s:
        pet = people.create_pet(
            s, world.tutor_id, {"name": "Mingau", "species": "gato", "breed": "siames",
                                "weight_kg": 2.5},
        )  # fmt: skip
        assert (pet.porte, pet.pelagem) == ("mini", "curta")


def test_pet_by_breed_id_checks_the_species(world):
    with world.session() as s:
        persa = s.exec(select(Breed).where(Breed.species == "gato", Breed.name == "Persa")).one()
        pet = people.create_pet(
            s,
            world.tutor_id,
            {"name": "Nina", "species": "gata", "breed_id": persa.id, "sex": "Fêmea"},
        )
        assert (pet.species, pet.porte, pet.pelagem, pet.sex) == ("gato", "medio", "longa", "femea")
        with pytest.raises(ValidationFailed, match="não é de cão") as info:
            people.create_pet(s, world.tutor_id, {"name": "Tom", "breed_id": persa.id})
        assert info.value.details["field"] == "breed_id"


def test_unknown_breed_text_suggests_close_breeds(world):
    with world.session() as s, pytest.raises(ValidationFailed, match="Não encontrei") as info:
        people.create_pet(s, world.tutor_id, {"name": "Zé", "breed": "dragão chinês"})
    assert info.value.details["field"] == "breed"


def test_an_ambiguous_breed_text_asks_which_one(world):
    with world.session() as s, pytest.raises(ValidationFailed, match="Você quis dizer") as info:
        people.create_pet(s, world.tutor_id, {"name": "Zé", "breed": "terrier"})
    assert len(info.value.details["suggestions"]) == 3


def test_a_long_description_of_a_known_breed_is_accepted(world):
    with world.session() as s:
        pet = people.create_pet(s, world.tutor_id, {"name": "Zé", "breed": "pinscher preto"})
        assert s.get(Breed, pet.breed_id).name == "Pinscher"


@pytest.mark.parametrize(
    "values, field",
    [
        ({"name": ""}, "name"),
        ({"name": "Rex", "species": "peixe"}, "species"),
        ({"name": "Rex", "porte": "enorme"}, "porte"),
        ({"name": "Rex", "pelagem": "crespa"}, "pelagem"),
        ({"name": "Rex", "sex": "x"}, "sex"),
        ({"name": "Rex", "weight_kg": "muito"}, "weight_kg"),
        ({"name": "Rex", "weight_kg": -3}, "weight_kg"),
        ({"name": "Rex", "status": "sumido"}, "status"),
        ({"name": "Rex", "birth_date": "2999-01-01"}, "birth_date"),
    ],
)
def test_bad_pet_data_is_a_validation_error(world, values, field):
    with world.session() as s, pytest.raises(ValidationFailed) as info:
        people.create_pet(s, world.tutor_id, values, today=date(2026, 3, 4))
    assert info.value.details["field"] == field


def test_pets_belong_to_a_tutor_of_the_shop(world):
    with world.session() as s:
        with pytest.raises(NotFound, match="Tutor"):
            people.create_pet(s, 999_999, {"name": "Rex"})
        with pytest.raises(NotFound, match="Pet"):
            people.get_pet(s, world.pet_id, shop_id=world.shop_id + 1)
        assert people.get_pet(s, world.pet_id, shop_id=world.shop_id).name == "Thor"
        assert [p.name for p in people.pets_of(s, world.tutor_id)] == ["Thor"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("cep", "٠١٣١٠١٠٠"), ("cep", "０１３１０-１００"), ("weight_kg", "١٢"),
     ("weight_kg", "１２,５")],
)
def test_digits_of_another_script_are_refused_not_read_or_dropped(world, field, value):
    """A CEP or a weight typed in Arabic-Indic or full-width digits gets a pt-BR message: it is
    neither read as the number (١٢ = 12) nor silently saved blank."""
    with world.session() as s, pytest.raises(ValidationFailed) as err:
        if field == "cep":
            people.create_tutor(s, world.shop_id, {"name": "Ana", "cep": value})
        else:
            people.create_pet(s, world.tutor_id, {"name": "Rex", "species": "cao", field: value})
    assert err.value.details["field"] == field and "inválido" in err.value.message


def test_a_birth_date_typed_dd_mm_aaaa_is_saved(world):
    with world.session() as s:
        tutor = people.create_tutor(s, world.shop_id, {"name": "Bia",
                                                        "birth_date": "31/12/1990"})
        assert tutor.birth_date == date(1990, 12, 31)
