"""The REST API while another writer holds the database (issue 8, finding 1): a write that
cannot get the database within the app's lock wait is a 503 JSON error in pt-BR with
Retry-After (never a 500), with nothing saved."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlmodel import Session, func, select

from scheduler_core.db.engine import make_engine, write_session
from scheduler_core.people.models import Tutor

from .conftest import Api, make_app


def _tutors(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Tutor)).one()


async def test_a_write_while_the_database_stays_locked_is_503_with_retry_after(
        aiohttp_client, world, clock):
    short = make_engine(world.engine.url.render_as_string(hide_password=False), lock_wait_s=0.3)
    api = Api(await aiohttp_client(make_app(short, clock)), clock)
    before = _tutors(world.engine)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_session(world.engine) as s:
            s.execute(text("UPDATE shop SET name = name"))
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        reply = await api.post("/api/tutors", {"name": "Sem Vez", "whatsapp": "11981009999"})
    finally:
        release.set()
        holder.join()
    assert reply.status == 503, reply.body
    assert reply.body["error"]["code"] == "busy"
    assert reply.body["error"]["message"] == (
        "O sistema está ocupado agora. Tente de novo em alguns segundos.")
    assert int(reply.headers["Retry-After"]) > 0
    assert _tutors(world.engine) == before
    again = await api.post("/api/tutors", {"name": "Sem Vez", "whatsapp": "11981009999"})
    assert again.status == 201
    short.dispose()
