"""Survey scores on the Clientes and Funcionários panels (the fixed shop of seed.py, answers
added here), and the score check of ``record_survey_answer``; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.reports import clientes, funcionarios, tables
from scheduler_core.surveys.service import record_survey_answer

from .seed import local, seed
from .test_reports import march


@pytest.fixture
def answered(db_engine):
    sd = seed(db_engine)
    with Session(db_engine) as s:
        at = local(2026, 4, 2, 9)
        record_survey_answer(s, sd.visits["V1"], 5, now=at, comment="Ótimo banho")  # Ana
        record_survey_answer(s, sd.visits["V2"], 3, now=at)  # Ana, answered 3 ...
        record_survey_answer(s, sd.visits["V2"], 4, now=at, comment="Demorou")  # ... then 4
        record_survey_answer(s, sd.visits["V3"], 3, now=at)  # Bruno (31/03 22:30 local)
        record_survey_answer(s, sd.visits["V7"], 1, now=at)  # February: not in March
        s.commit()
    return db_engine, sd


def test_clientes_shows_the_average_score_of_the_periods_visits(answered):
    engine, sd = answered
    with Session(engine) as s:
        r = clientes.clientes(s, march(engine, sd))
    # V1 5, V2 4 (its second answer replaced the first), V3 3; V7 is February's.
    assert (r.survey_answers, r.survey_score) == (3, 4.0)
    survey = next(t for t in tables.clientes_tables(r, str) if t.key == "pesquisa")
    assert survey.rows == [(3, 4.0)]


def test_funcionarios_average_score_per_employee(answered):
    engine, sd = answered
    with Session(engine) as s:
        staff = funcionarios.funcionarios(s, march(engine, sd))
        only_bruno = funcionarios.funcionarios(s, march(engine, sd, employee_id=sd.bruno))
    assert [(e.name, e.survey_score, e.survey_answers) for e in staff] == [
        ("Ana", 4.5, 2), ("Bruno", 3.0, 1)]
    assert [(e.name, e.survey_score) for e in only_bruno] == [("Bruno", 3.0)]


def test_no_answers_shows_no_score(db_engine):
    sd = seed(db_engine)
    with Session(db_engine) as s:
        r = clientes.clientes(s, march(db_engine, sd))
    assert (r.survey_answers, r.survey_score) == (0, None)


@pytest.mark.parametrize("score", [0, 6, -1, True, "5", 4.5])
def test_a_score_outside_one_to_five_is_refused(db_engine, score):
    sd = seed(db_engine)
    with Session(db_engine) as s, pytest.raises(ValidationFailed) as err:
        record_survey_answer(s, sd.visits["V1"], score, now=local(2026, 4, 2, 9))
    assert err.value.message == "A nota deve ser um número de 1 a 5."
