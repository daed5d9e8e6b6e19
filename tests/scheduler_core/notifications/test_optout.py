"""A tutor who answers "parar" receives no notification until they opt back in."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import NotFound
from scheduler_core.notifications.optout import is_opted_out, set_opt_out
from tests.scheduler_core.factories import NOW, build_shop


def test_tutor_opts_out_and_back_in(db_engine) -> None:
    world = build_shop(db_engine)
    with Session(db_engine) as session:
        assert not is_opted_out(session, world.tutor_id)
        set_opt_out(session, world.tutor_id, True, now=NOW)
        set_opt_out(session, world.tutor_id, True, now=NOW)  # idempotent
        session.commit()
    with Session(db_engine) as session:
        assert is_opted_out(session, world.tutor_id)
        set_opt_out(session, world.tutor_id, False, now=NOW)
        session.commit()
    with Session(db_engine) as session:
        assert not is_opted_out(session, world.tutor_id)


def test_opt_out_of_unknown_tutor_is_refused(db_engine) -> None:
    build_shop(db_engine)
    with Session(db_engine) as session, pytest.raises(NotFound):
        set_opt_out(session, 999_999, True, now=NOW)
