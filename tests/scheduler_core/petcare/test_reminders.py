"""Pet Care's dose reminders through the notifications planner: planned N days before the due
date at the send time, the overdue notice the day after, never twice, dropped when the dose was
applied, moved or switched off. Hand-computed dates on the São Paulo clock (UTC-3, no DST)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from scheduler_core.notifications import screen
from scheduler_core.notifications.models import Notification
from scheduler_core.notifications.planner import check_row, plan_shop
from scheduler_core.notifications.texts import Kind
from scheduler_core.petcare import service as petcare
from tests.scheduler_core.factories import create_pet, create_shop, create_tutor

# 15:00 UTC = 12:00 in São Paulo on 10/03/2026.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def dog_with_v10(db_engine):
    engine = db_engine
    with Session(engine, expire_on_commit=False) as session:
        shop = create_shop(session)
        tutor = create_tutor(session, shop, name="Maria Silva", whatsapp="+5511987654321")
        dog = create_pet(session, tutor, name="Thor")
        session.commit()
    v10 = petcare.save_protocol(engine, shop_id=shop.id, actor="t", now=NOW, values={
        "kind": "vacina", "name": "V10", "species": "cao", "doses": "3", "interval_days": "21",
        "repeat_days": "365"})
    return engine, shop, dog, v10


def _schedule(engine, shop, dog, v10, due: str, reminder: str = "1"):
    return petcare.schedule_dose(engine, shop=shop, pet_id=dog.id, actor="t", now=NOW,
                                 values={"protocol_id": str(v10.id), "due_on": due,
                                         "reminder": reminder})


def _plan(engine, shop, now) -> list[Notification]:
    with Session(engine) as session:
        plan_shop(session, shop.id, now, kinds=[Kind.PET_CARE])
        session.commit()
        return list(session.exec(select(Notification).order_by(Notification.due_at)).all())


def test_the_reminder_goes_three_days_before_at_nine_and_the_late_notice_the_day_after(
        dog_with_v10):
    engine, shop, dog, v10 = dog_with_v10
    dose = _schedule(engine, shop, dog, v10, "20/03/2026")
    [before] = _plan(engine, shop, NOW)
    # 20/03 - 3 days = 17/03 at 09:00 São Paulo = 12:00 UTC.
    assert before.due_at == datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
    assert before.event_key == f"petcare:{dose.id}:2026-03-20:antes"
    assert before.recipient == "+5511987654321" and before.pet_id == dog.id
    assert before.values["NOME_SERVICO"] == "V10"
    assert before.values["DATA_AGENDAMENTO"] == "20/03/2026"
    assert before.values["NOME_PET"] == "Thor" and before.extra_text == ""
    # On 19/03 the late notice (21/03 09:00 = 12:00 UTC) enters the 8-day window; the reminder
    # is not planned a second time.
    rows = _plan(engine, shop, datetime(2026, 3, 19, 15, 0, tzinfo=UTC))
    assert [r.event_key.rsplit(":", 1)[1] for r in rows] == ["antes", "atrasada"]
    late = rows[1]
    assert late.due_at == datetime(2026, 3, 21, 12, 0, tzinfo=UTC)
    assert late.extra_text == "Atenção: essa dose venceu em 20/03/2026 e ainda não foi registrada."


def test_a_dose_scheduled_at_short_notice_is_reminded_at_once(dog_with_v10):
    engine, shop, dog, v10 = dog_with_v10
    _schedule(engine, shop, dog, v10, "11/03/2026")
    rows = _plan(engine, shop, NOW)
    assert [(r.event_key.rsplit(":", 1)[1], r.due_at) for r in rows] == [
        ("antes", NOW), ("atrasada", datetime(2026, 3, 12, 12, 0, tzinfo=UTC))]


def test_no_reminder_when_switched_off_on_the_dose_or_the_kind(dog_with_v10):
    engine, shop, dog, v10 = dog_with_v10
    _schedule(engine, shop, dog, v10, "20/03/2026", reminder="")
    assert _plan(engine, shop, NOW) == []
    _schedule(engine, shop, dog, v10, "20/03/2026", reminder="1")
    screen.set_enabled(engine, shop_id=shop.id, kind="pet_care", enabled=False, actor="t",
                       now=NOW)
    assert _plan(engine, shop, NOW) == []


def test_applied_or_moved_doses_are_dropped_before_sending(dog_with_v10):
    engine, shop, dog, v10 = dog_with_v10
    _schedule(engine, shop, dog, v10, "15/03/2026")
    [before, _late] = _plan(engine, shop, NOW)
    with Session(engine) as session:
        assert check_row(session, before, NOW) is None
    _schedule(engine, shop, dog, v10, "17/03/2026")  # moved
    with Session(engine) as session:
        assert check_row(session, before, NOW) == "dose remarcada"
    rows = _plan(engine, shop, NOW)
    assert {r.event_key.split(":")[2] for r in rows} == {"2026-03-15", "2026-03-17"}
    petcare.record_applied(engine, shop=shop, pet_id=dog.id, actor="t", now=NOW,
                           values={"protocol_id": str(v10.id), "applied_on": "10/03/2026"})
    moved = next(r for r in rows if "2026-03-17:antes" in r.event_key)
    with Session(engine) as session:
        assert check_row(session, moved, NOW) == "dose já aplicada"
    petcare.set_protocol_active(engine, shop_id=shop.id, protocol_id=v10.id, active=False,
                                actor="t", now=NOW)
    # The next dose (31/03) of a switched-off protocol is not planned.
    assert len(_plan(engine, shop, datetime(2026, 3, 27, 15, 0, tzinfo=UTC))) == len(rows)
