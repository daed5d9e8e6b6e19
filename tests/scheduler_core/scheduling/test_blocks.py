"""Which visits a block sits on (scheduling.blocks.block_conflicts): the panel lists them when a
block is created. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from scheduler_core.scheduling.blocks import block_conflicts
from scheduler_core.shop.models import Shop
from tests.scheduler_core.booking_helpers import MONDAY, book_at
from tests.scheduler_core.factories import build_shop, create_block


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def test_a_block_lists_the_visits_under_it_only_for_its_employee_and_hours(world):
    ana_visit = book_at(world, "10:00", employee="ana")
    bruno_visit = book_at(world, "14:00", employee="bruno")
    with world.session() as s:
        shop = s.get(Shop, world.shop_id)
        ana_morning = create_block(s, shop.id, [MONDAY], employee_id=world.employees["ana"],
                                   start="09:00", end="12:00")
        bruno_morning = create_block(s, shop.id, [MONDAY], employee_id=world.employees["bruno"],
                                     start="09:00", end="12:00")
        whole_day = create_block(s, shop.id, [MONDAY])
        assert [a.id for a in block_conflicts(s, shop, ana_morning)] == [ana_visit.id]
        assert block_conflicts(s, shop, bruno_morning) == []
        assert [a.id for a in block_conflicts(s, shop, whole_day)] == [ana_visit.id,
                                                                       bruno_visit.id]
