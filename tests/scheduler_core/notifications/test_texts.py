"""Notification texts: TecPet variables, rendering, validation at save, per-shop settings."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.notifications.settings import (
    get_prefs,
    get_setting,
    list_settings,
    save_prefs,
    save_setting,
)
from scheduler_core.notifications.texts import (
    DEFAULT_TEXTS,
    VARIABLES,
    Kind,
    render,
    validate_text,
    variables_in,
)
from tests.scheduler_core.factories import build_shop


def test_every_default_text_is_valid_and_every_kind_has_a_label() -> None:
    for kind in Kind:
        assert validate_text(DEFAULT_TEXTS[kind]) == [], kind
        assert kind.label and kind.category


def test_render_fills_variables_and_blanks_missing_ones() -> None:
    text = "Olá, (NOME_TUTOR)! (NOME_PET) às (HORARIO_AGENDAMENTO) (opcional)"
    assert render(text, {"NOME_TUTOR": "Maria", "NOME_PET": "Thor"}) == (
        "Olá, Maria! Thor às  (opcional)")
    assert variables_in(text) == ["NOME_TUTOR", "NOME_PET", "HORARIO_AGENDAMENTO"]


def test_unknown_variable_is_named_in_the_error() -> None:
    errors = validate_text("Oi (NOME_TUTOR), seu (CUPOM) chegou")
    assert errors == ["Variável desconhecida: (CUPOM). Use uma das variáveis da lista."]


@pytest.mark.parametrize("text, fragment", [
    ("", "vazio"),
    ("   ", "vazio"),
    ("a" * 4097, "no máximo 4096"),
    ("oi \ud800", "caracteres inválidos"),
])
def test_bad_texts_are_refused_in_ptbr(text, fragment) -> None:
    assert any(fragment in e for e in validate_text(text))


def test_eleven_tecpet_variables() -> None:
    assert len(VARIABLES) == 11


def test_shop_edits_text_and_switches_a_kind_off(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as session:
        default = get_setting(session, world.shop_id, Kind.CONFIRMACAO)
        assert default.enabled and default.offset_hours == 24
        assert default.text == DEFAULT_TEXTS[Kind.CONFIRMACAO]
        save_setting(session, world.shop_id, "confirmacao", {
            "text": "Confirma (NOME_PET) amanhã?", "enabled": "", "offset_hours": "12",
            "template_name": "confirma_v2", "template_params": "NOME_PET, (DATA_AGENDAMENTO)"})
        session.commit()
    with Session(db_engine) as session:
        row = get_setting(session, world.shop_id, Kind.CONFIRMACAO)
        assert (row.text, row.enabled, row.offset_hours) == ("Confirma (NOME_PET) amanhã?",
                                                            False, 12)
        assert row.template_params == ["NOME_PET", "DATA_AGENDAMENTO"]
        assert len(list_settings(session, world.shop_id)) == len(Kind)


def test_saving_an_unknown_variable_is_refused(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as session, pytest.raises(ValidationFailed) as err:
        save_setting(session, world.shop_id, Kind.NOVO_AGENDAMENTO,
                     {"text": "Oi (FOO) e (BAR)", "enabled": "on"})
    assert "(FOO)" in err.value.details["fields"]["text"]
    assert "(BAR)" in err.value.details["fields"]["text"]


def test_quiet_hours_default_and_saved(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as session:
        prefs = get_prefs(session, world.shop_id)
        assert (prefs.quiet_start, prefs.quiet_end, prefs.late_drop_hours) == ("20:00", "08:00", 6)
        save_prefs(session, world.shop_id, {"quiet_start": "21:30", "quiet_end": "7:00",
                                            "late_drop_hours": 3})
        session.commit()
        assert get_prefs(session, world.shop_id).quiet_end == "07:00"
        with pytest.raises(ValidationFailed):
            save_prefs(session, world.shop_id, {"quiet_start": "25:00", "quiet_end": "x",
                                                "late_drop_hours": "nan"})
