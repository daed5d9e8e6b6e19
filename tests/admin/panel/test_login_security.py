"""Login throttling per (login, address) with a growing wait, and no timing hint of which logins
exist. Addresses come from X-Forwarded-For only behind a trusted proxy (TRUSTED_PROXIES)."""

from __future__ import annotations

import dataclasses
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from admin.models import LoginAttempt, Role, StaffSession
from admin.panel import accounts
from app.server import create_app
from scheduler_core.db.engine import write_session

from .conftest import csrf_of, make_settings


async def _login(client, login: str, password: str, address: str | None = None):
    headers = {"X-Forwarded-For": address} if address else {}
    page = await client.get("/admin/login", headers=headers)
    token = csrf_of(await page.text())
    return await client.post("/admin/login", headers=headers, allow_redirects=False,
                             data={"login": login, "password": password, "csrf_token": token})


@pytest.fixture
async def proxied_client(panel_db, aiohttp_client):
    """The app behind a reverse proxy on this machine, declared in TRUSTED_PROXIES."""
    engine, url, _ = panel_db
    settings = dataclasses.replace(make_settings(url), trusted_proxies=("127.0.0.1",))
    return await aiohttp_client(create_app(settings, engine))


async def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(proxied_client,
                                                                            panel_db):
    engine, _, accs = panel_db
    attacker, owner_home = "203.0.113.66", "198.51.100.7"
    for _ in range(5):
        assert (await _login(proxied_client, accs.owner_login, "chute", attacker)).status == 401
    refused = await _login(proxied_client, accs.owner_login, accs.owner_password, attacker)
    assert refused.status == 429
    assert "Aguarde 1 minuto" in await refused.text()
    response = await _login(proxied_client, accs.owner_login, accs.owner_password, owner_home)
    assert response.status == 303
    with Session(engine) as session:
        ips = {a.ip for a in session.exec(select(LoginAttempt)).all()}
        assert ips >= {attacker, owner_home}
        assert session.exec(select(StaffSession)).first().ip == owner_home


async def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(client, panel_db):
    """Without TRUSTED_PROXIES, a made-up X-Forwarded-For does not buy new tries."""
    _, _, accs = panel_db
    for i in range(5):
        await _login(client, accs.owner_login, "chute", f"203.0.113.{i}")
    response = await _login(client, accs.owner_login, accs.owner_password, "203.0.113.99")
    assert response.status == 429


async def test_many_logins_from_one_address_are_stopped(proxied_client, panel_db, monkeypatch):
    _, _, accs = panel_db
    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_IP", 6)  # the rule, with fewer argon2 runs
    sprayer = "203.0.113.80"
    for i in range(accounts.MAX_FAILURES_PER_IP):
        await _login(proxied_client, f"login{i}", "Senha123!", sprayer)
    response = await _login(proxied_client, accs.owner_login, accs.owner_password, sprayer)
    assert response.status == 429
    assert (await _login(proxied_client, accs.owner_login, accs.owner_password,
                         "198.51.100.7")).status == 303


def test_the_wait_grows_with_each_failure_and_a_success_clears_it(db_engine):
    with Session(db_engine) as session:
        accounts.create_user(session, login="rita", password="senha-da-rita", role=Role.ATENDENTE)
        session.commit()
    t0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def attempt(at: datetime, password: str = "errada", ip: str = "198.51.100.1") -> str:
        with Session(db_engine) as session:
            try:
                accounts.authenticate(session, login="rita", password=password, ip=ip, now=at)
            except accounts.TooManyAttempts:
                return "wait"
            except accounts.AccountError:
                return "wrong"
            session.commit()
            return "in"

    at = t0
    for _ in range(5):
        assert attempt(at) == "wrong"
        at += timedelta(seconds=2)
    last = at - timedelta(seconds=2)
    assert attempt(last + timedelta(seconds=50), "senha-da-rita") == "wait"
    assert attempt(last + timedelta(seconds=50), ip="198.51.100.2") == "wrong"  # other address
    # Each further failure doubles the wait: 1, 2, 4, 8 minutes, then at most 15.
    for minutes in (1, 2, 4, 8, 15, 15):
        at = last + timedelta(minutes=minutes, seconds=1)
        assert attempt(at) == "wrong"
        last = at
        next_minutes = min(minutes * 2, 15)
        assert attempt(last + timedelta(minutes=next_minutes) - timedelta(seconds=5)) == "wait"
    assert attempt(last + timedelta(minutes=15, seconds=1), "senha-da-rita") == "in"
    # After a success the pair starts afresh: five more tries before any wait.
    at = last + timedelta(minutes=16)
    for _ in range(5):
        assert attempt(at) == "wrong"
    assert attempt(at + timedelta(seconds=1)) == "wait"


async def test_an_unknown_login_answers_as_slowly_as_a_wrong_password(proxied_client, panel_db):
    """Timing must not tell which logins exist: both verify one argon2 hash."""
    _, _, accs = panel_db
    known, unknown = [], []
    for i in range(3):
        for login, into in ((accs.owner_login, known), (f"ninguem{i}", unknown)):
            started = time.perf_counter()
            response = await _login(proxied_client, login, "chute-errado", f"203.0.113.{i}")
            into.append(time.perf_counter() - started)
            assert response.status == 401
            assert "Login ou senha incorretos" in await response.text()
    # Before: ~400 ms against ~10 ms. Now the same work; allow for a busy machine.
    assert statistics.median(unknown) > 0.5 * statistics.median(known), (known, unknown)


async def test_a_disabled_account_cannot_log_in_and_looks_like_a_wrong_password(client,
                                                                              panel_db):
    engine, _, accs = panel_db
    login, password = accs.groomer
    # The app's start-up jobs may be writing: take the write lock up front, as the product does.
    with write_session(engine) as session:
        user = session.exec(select(accounts.StaffUser).where(
            accounts.StaffUser.login == login)).one()
        user.active = False
        session.add(user)
        session.commit()
    response = await _login(client, login, password)
    assert response.status == 401 and "Login ou senha incorretos" in await response.text()
