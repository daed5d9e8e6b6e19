"""The Robô panel's busiest hours are counted by the database on the shop's clock
(``robo_rows.load`` with ``local_time.local_hour``): a tutor message at 02:30 UTC is 23h in
São Paulo on the day before, and the month's edges follow the local midnight. SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session

from admin.panel.reports import robo_rows
from bot.models import WaConversation, WaMessage
from scheduler_core.reports import panels

from .seed import seed, utc
from .test_reports import march


def test_tutor_messages_per_local_hour(db_engine):
    sd = seed(db_engine)
    at = [utc(2026, 3, 5, 13, 10), utc(2026, 3, 5, 13, 40),  # 10:10, 10:40 on 05/03
          utc(2026, 3, 6, 2, 30),  # 23:30 on 05/03
          utc(2026, 4, 1, 2, 30),  # 23:30 on 31/03: still March
          utc(2026, 3, 1, 2, 30),  # 23:30 on 28/02: February, out
          utc(2026, 4, 1, 3, 0)]  # 00:00 on 01/04: April, out
    with Session(db_engine) as s:
        conv = WaConversation(shop_id=sd.shop_id, key="+5511900001111", tutor_id=sd.maria,
                              created_at=utc(2026, 3, 1, 12), updated_at=utc(2026, 3, 1, 12))
        s.add(conv)
        s.flush()
        for when in at:
            s.add(WaMessage(conversation_id=conv.id, direction="in", author="tutor", text="oi",
                            created_at=when))
        s.add(WaMessage(conversation_id=conv.id, direction="out", author="bot", text="olá",
                        created_at=utc(2026, 3, 5, 13, 11)))  # the bot's: not counted
        s.commit()
    with Session(db_engine) as s:
        f = march(db_engine, sd)
        rows = robo_rows.load(s, f)
        result = panels.panel(s, "robo", f, today=f.end, mask=str, robo_rows=rows)
    expected = [0] * 24
    expected[10], expected[23] = 2, 2
    assert rows.by_hour == expected
    assert result.figures.by_hour == expected and result.figures.messages_in == 4
    hours = next(t for t in result.tables if t.key == "horas")
    assert hours.rows[10] == ("10h", 2) and hours.rows[23] == ("23h", 2)
