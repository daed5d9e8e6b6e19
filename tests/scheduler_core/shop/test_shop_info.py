"""Answers from the shop's own data (demo shop), never hard-coded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from scheduler_core.agenda.models import Block
from scheduler_core.catalog import leva_e_traz
from scheduler_core.catalog.models import LevaETrazZone
from scheduler_core.kernel.money import format_brl
from scheduler_core.scheduling import open_now
from scheduler_core.shop import info as shop_info
from scheduler_core.shop.models import Employee, OpeningRange, Segment, Shop

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # Tuesday 10:00 in São Paulo


def test_format_brl():
    assert format_brl(123456789) == "R$ 1.234.567,89"
    assert format_brl(5500) == "R$ 55,00"
    assert format_brl(5) == "R$ 0,05"


def test_hours_address_payments_zones_from_the_database(demo_sqlite):
    sqlite_engine = demo_sqlite(NOW)
    with Session(sqlite_engine) as s:
        shop = s.exec(select(Shop)).one()
        hours = shop_info.opening_hours_text(s, shop.id)
        segment = s.exec(select(Segment).where(Segment.shop_id == shop.id)).first()
        ranges = s.exec(select(OpeningRange).where(OpeningRange.segment_id == segment.id,
                                                   OpeningRange.weekday == 0)).all()
        assert all(r.start in hours and r.end in hours for r in ranges)
        address = shop_info.address_text(shop)
        assert shop.street in address and shop.cep in address
        shop.payment_methods = ["pix", "cartao_credito"]
        assert shop_info.payment_methods_text(shop) == "Pix e Cartão de crédito"
        zones = s.exec(select(LevaETrazZone).where(LevaETrazZone.shop_id == shop.id)).all()
        text = leva_e_traz.leva_e_traz_text(s, shop)
        assert all(z.name in text for z in zones)
        assert f"{shop.leva_e_traz_min_notice_hours} h de antecedência" in text
        shop.leva_e_traz_enabled = False
        assert leva_e_traz.leva_e_traz_text(s, shop) is None


def test_open_now_follows_the_timetable(demo_sqlite):
    sqlite_engine = demo_sqlite(NOW)
    with Session(sqlite_engine) as s:
        shop = s.exec(select(Shop)).one()
        assert open_now.is_shop_open_now(s, shop.id, NOW) is True
        # 03:00 in São Paulo.
        assert open_now.is_shop_open_now(s, shop.id, datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) \
            is False


def test_a_holiday_block_closes_the_shop_for_the_bot(demo_sqlite):
    """The bot's "open now" (greeting, hand-off message) follows the core's rule: a whole-day
    shop block is a holiday; a partial block or an employee's day off leaves the shop open."""
    sqlite_engine = demo_sqlite(NOW)
    with Session(sqlite_engine) as s:
        shop = s.exec(select(Shop)).one()
        employee = s.exec(select(Employee).where(Employee.shop_id == shop.id)).first()
        s.add(Block(shop_id=shop.id, employee_id=employee.id, dates=["2026-12-01"]))
        s.add(Block(shop_id=shop.id, dates=["2026-12-01"], all_day=False,
                    start="09:00", end="11:00", reason="Dedetização"))
        s.commit()
        assert open_now.is_shop_open_now(s, shop.id, NOW) is True
        s.add(Block(shop_id=shop.id, dates=["2026-11-30", "2026-12-01"], reason="Feriado"))
        s.commit()
        assert open_now.is_shop_open_now(s, shop.id, NOW) is False
        # The next day is not blocked: open again at 10:00.
        assert open_now.is_shop_open_now(s, shop.id, datetime(2026, 12, 2, 13, 0, tzinfo=UTC))


def test_collapsed_week_text():
    days = [shop_info.DayHours(d, (("08:00", "12:00"), ("13:00", "18:00"))) for d in range(5)]
    days += [shop_info.DayHours(5, (("08:00", "12:00"),)), shop_info.DayHours(6, ())]
    assert shop_info.format_hours(days) == (
        "Segunda a Sexta: 08:00–12:00 e 13:00–18:00\nSábado: 08:00–12:00\nDomingo: fechado"
    )
    assert shop_info.format_hours(days, open_24h=True) == "Aberto 24 horas, todos os dias"
