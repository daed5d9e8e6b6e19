"""Pet Care use cases on a real database: protocols, a pet's doses recorded and scheduled,
the chart's statuses, refusals in pt-BR."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from scheduler_core.audit.models import AuditLog
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.petcare import service as petcare
from scheduler_core.petcare.models import PetCareDose
from tests.scheduler_core.factories import create_pet, create_shop, create_tutor

# 14:00 UTC = 11:00 in São Paulo on 10/03/2026.
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
V10 = {"kind": "vacina", "name": "V10", "species": "cao", "doses": "3", "interval_days": "21",
       "repeat_days": "365"}


@pytest.fixture
def shop_pet(db_engine):
    with Session(db_engine, expire_on_commit=False) as session:
        shop = create_shop(session)
        tutor = create_tutor(session, shop)
        dog = create_pet(session, tutor, name="Thor", species="cao")
        cat = create_pet(session, tutor, name="Mia", species="gato")
        session.commit()
    return db_engine, shop, dog, cat


def _protocol(engine, shop, **changes):
    return petcare.save_protocol(engine, shop_id=shop.id, actor="staff:1", now=NOW,
                                 values={**V10, **changes})


def test_recording_doses_schedules_the_next_one_from_the_application_date(shop_pet):
    engine, shop, dog, _ = shop_pet
    v10 = _protocol(engine, shop)
    first = petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                                   values={"protocol_id": str(v10.id), "applied_on": "01/03/2026",
                                           "applied_by": "Dra. Carla", "batch": "L123"})
    assert first.applied.label == "1ª dose de 3" and first.applied.status == "aplicada"
    # 01/03/2026 + 21 days = 22/03/2026.
    assert first.next.due_on == date(2026, 3, 22) and first.next.status == "agendada"
    # Dose 2 applied late, on 25/03 (the clock moved on): dose 3 = 25/03 + 21 = 15/04.
    later = datetime(2026, 3, 25, 14, 0, tzinfo=UTC)
    second = petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=later,
                                    values={"protocol_id": str(v10.id), "applied_on": "25/03/2026"})
    assert second.applied.number == 2 and second.next.due_on == date(2026, 4, 15)
    chart = petcare.pet_chart(engine, shop=shop, pet_id=dog.id, now=later)
    assert [r.label for r in chart.pending] == ["3ª dose de 3"]
    assert [(r.label, r.applied_on, r.applied_by) for r in chart.applied] == [
        ("2ª dose de 3", date(2026, 3, 25), ""), ("1ª dose de 3", date(2026, 3, 1), "Dra. Carla")]
    with Session(engine) as session:
        assert session.exec(select(PetCareDose)).all().__len__() == 3
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
    assert actions.count("petcare.dose_applied") == 2


def test_an_unapplied_dose_past_its_date_is_late(shop_pet):
    engine, shop, dog, _ = shop_pet
    v10 = _protocol(engine, shop)
    petcare.schedule_dose(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                          values={"protocol_id": str(v10.id), "due_on": "09/03/2026",
                                  "reminder": "1"})
    [row] = petcare.pet_chart(engine, shop=shop, pet_id=dog.id, now=NOW).pending
    assert row.status == "atrasada" and row.status_label == "Atrasada"
    # Scheduling again moves the one scheduled dose; it does not add a second.
    petcare.schedule_dose(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                          values={"protocol_id": str(v10.id), "due_on": "2026-03-20"})
    [row] = petcare.pet_chart(engine, shop=shop, pet_id=dog.id, now=NOW).pending
    assert row.due_on == date(2026, 3, 20) and row.status == "agendada" and not row.reminder
    # Applying fills that scheduled dose.
    done = petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                                  values={"protocol_id": str(v10.id), "applied_on": "10/03/2026"})
    assert done.applied.id == row.id and done.next.due_on == date(2026, 3, 31)


def test_the_last_dose_of_a_protocol_without_booster_schedules_nothing(shop_pet):
    engine, shop, dog, _ = shop_pet
    giardia = _protocol(engine, shop, name="Giárdia", doses="1", interval_days="",
                        repeat_days="0")
    done = petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                                  values={"protocol_id": str(giardia.id),
                                          "applied_on": "10/03/2026"})
    assert done.next is None and done.applied.label == "Dose única"


@pytest.mark.parametrize(("typed", "message"), [
    ("11/03/2026", "a aplicação não pode ser numa data futura"),
    ("31/02/2026", "essa data não existe"),
    ("01/01/9999", "a aplicação não pode ser numa data futura"),
    ("ontem", "use o formato dd/mm/aaaa"),
    ("\ud800", "use o formato dd/mm/aaaa"),
])
def test_bad_application_dates_are_refused_in_portuguese(shop_pet, typed, message):
    engine, shop, dog, _ = shop_pet
    v10 = _protocol(engine, shop)
    with pytest.raises(ValidationFailed) as refused:
        petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                               values={"protocol_id": str(v10.id), "applied_on": typed})
    assert message in refused.value.message
    assert refused.value.details["field"] == "applied_on"


def test_doses_are_recorded_in_order_and_for_the_protocol_species(shop_pet):
    engine, shop, dog, cat = shop_pet
    v10 = _protocol(engine, shop)
    petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                           values={"protocol_id": str(v10.id), "applied_on": "05/03/2026"})
    with pytest.raises(ValidationFailed, match="foi aplicada em 05/03/2026"):
        petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                               values={"protocol_id": str(v10.id), "applied_on": "01/03/2026"})
    with pytest.raises(ValidationFailed, match="V10 é para cão; Mia é gato"):
        petcare.record_applied(engine, shop=shop, pet_id=cat.id, actor="staff:1", now=NOW,
                               values={"protocol_id": str(v10.id), "applied_on": "05/03/2026"})
    petcare.set_protocol_active(engine, shop_id=shop.id, protocol_id=v10.id, active=False,
                                actor="staff:1", now=NOW)
    with pytest.raises(ValidationFailed, match="desativado"):
        petcare.schedule_dose(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                              values={"protocol_id": str(v10.id), "due_on": "20/03/2026"})
    assert petcare.pet_chart(engine, shop=shop, pet_id=dog.id, now=NOW).protocols == []


def test_another_shops_pet_or_protocol_is_not_found(shop_pet):
    engine, shop, dog, _ = shop_pet
    with Session(engine, expire_on_commit=False) as session:
        other = create_shop(session, name="Outra")
        session.commit()
    theirs = _protocol(engine, other)
    with pytest.raises(NotFound):
        petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                               values={"protocol_id": str(theirs.id), "applied_on": "05/03/2026"})
    with pytest.raises(NotFound):
        petcare.pet_chart(engine, shop=other, pet_id=dog.id, now=NOW)


def test_protocol_form_refusals(shop_pet):
    engine, shop, _, _ = shop_pet
    with pytest.raises(ValidationFailed) as refused:
        petcare.save_protocol(engine, shop_id=shop.id, actor="staff:1", now=NOW, values={
            "kind": "remedio", "name": "", "species": "peixe", "doses": "3",
            "interval_days": "", "repeat_days": "NaN"})
    fields = refused.value.details["fields"]
    assert set(fields) == {"kind", "name", "species", "interval_days", "repeat_days"}
    assert fields["interval_days"] == (
        "Com mais de uma dose, informe o intervalo em dias entre elas.")
    _protocol(engine, shop)
    with pytest.raises(ValidationFailed, match="Já existe vacina “v10”"):
        _protocol(engine, shop, name="v10")
    with pytest.raises(ValidationFailed, match="o máximo é 3650"):
        _protocol(engine, shop, name="X", repeat_days="99999999")


def test_cancelling_a_scheduled_dose_keeps_the_applied_ones(shop_pet):
    engine, shop, dog, _ = shop_pet
    v10 = _protocol(engine, shop)
    done = petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                                  values={"protocol_id": str(v10.id), "applied_on": "01/03/2026"})
    with pytest.raises(ValidationFailed, match="aplicada não pode ser removida"):
        petcare.cancel_dose(engine, shop=shop, pet_id=dog.id, dose_id=done.applied.id,
                            actor="staff:1", now=NOW)
    assert petcare.cancel_dose(engine, shop=shop, pet_id=dog.id, dose_id=done.next.id,
                               actor="staff:1", now=NOW) == "V10 (2ª dose de 3)"
    chart = petcare.pet_chart(engine, shop=shop, pet_id=dog.id, now=NOW)
    assert chart.pending == [] and len(chart.applied) == 1


def test_due_doses_are_the_planners_input(shop_pet):
    engine, shop, dog, _ = shop_pet
    v10 = _protocol(engine, shop)
    petcare.schedule_dose(engine, shop=shop, pet_id=dog.id, actor="staff:1", now=NOW,
                          values={"protocol_id": str(v10.id), "due_on": "12/03/2026",
                                  "reminder": "1"})
    with Session(engine) as session:
        assert petcare.due_doses(session, shop_id=shop.id, until=date(2026, 3, 11)) == []
        [(dose, protocol)] = petcare.due_doses(session, shop_id=shop.id, until=date(2026, 3, 13))
    assert dose.due_on == date(2026, 3, 12) and protocol.name == "V10"
