"""Fixtures of the admin panel tests: a migrated SQLite database with the demo shop, staff
accounts with known passwords and PINs, the app (aiohttp test client or a live server in a
thread) and, for browser tests, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from sqlmodel import Session

from admin.models import Role
from admin.panel import accounts
from app.server import create_app
from scheduler_core.db.engine import make_engine
from scheduler_core.db.migrate import upgrade
from scheduler_core.demo import load_demo
from scheduler_core.kernel import settings as settings_mod
from scheduler_core.kernel.settings import Settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PIN = "246810"


@dataclass
class Accounts:
    owner_login: str
    owner_password: str
    attendant: tuple[str, str] = ("ana.atendente", "senha-atendente-1")
    groomer: tuple[str, str] = ("beto.tosador", "senha-tosador-1")
    vet: tuple[str, str] = ("carla.vet", "senha-veterinaria-1")


def _build_template(folder: Path) -> tuple[str, Accounts]:
    """Migrate, load the demo shop and create the staff accounts once (argon2 is slow)."""
    saved_var = settings_mod.VAR
    settings_mod.VAR = folder / "var"
    try:
        url = f"sqlite:///{folder / 'panel.db'}"
        upgrade(url)
        engine = make_engine(url)
        load_demo(engine, datetime.now(UTC))
        login, password = accounts.ensure_owner(engine)
        accs = Accounts(login, password)
        with Session(engine) as session:
            owner = accounts.authenticate(session, login=login, password=password,
                                          ip="setup", now=datetime.now(UTC))
            accounts.set_pin(session, owner, password, PIN)
            for (user, pw), role in ((accs.attendant, Role.ATENDENTE),
                                     (accs.groomer, Role.TOSADOR), (accs.vet, Role.VETERINARIO)):
                accounts.create_user(session, login=user, password=pw, role=role, name=user,
                                     shop_id=owner.shop_id, pin=PIN)
            session.commit()
        engine.dispose()
    finally:
        settings_mod.VAR = saved_var
    return url, accs


@pytest.fixture(scope="session")
def panel_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("panel_template")
    _url, accs = _build_template(folder)
    return folder, accs


@pytest.fixture
def panel_db(panel_template, tmp_path, monkeypatch):
    """(engine, url, accounts): a fresh copy of the demo shop with the owner (PIN set) and an
    attendant, a groomer and a vet, all with known passwords and the PIN ``PIN``."""
    folder, accs = panel_template
    for name in ("panel.db", "panel.db-wal", "panel.db-shm"):
        if (folder / name).exists():
            shutil.copy(folder / name, tmp_path / name)
    shutil.copytree(folder / "var", tmp_path / "var")
    monkeypatch.setattr(settings_mod, "VAR", tmp_path / "var")
    url = f"sqlite:///{tmp_path / 'panel.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine, url, accs
    engine.dispose()


def make_settings(url: str, port: int = 0) -> Settings:
    """The panel tests' app: no back-office jobs (tests/app/test_jobs.py covers them), so a
    test's own set-up writes never race the jobs' start-up run for SQLite's write lock."""
    return Settings(database_url=url, redis_url=None, secret_key="test-secret-key",
                    app_host="127.0.0.1", app_port=port, api_tokens=("t",),
                    rasa_url="http://127.0.0.1:9", action_port=0, jobs_interval_s=0)


@pytest.fixture
async def client(panel_db, aiohttp_client):
    engine, url, _ = panel_db
    return await aiohttp_client(create_app(make_settings(url), engine))


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def login(client, login_name: str, password: str):
    page = await client.get("/admin/login")
    token = csrf_of(await page.text())
    return await client.post("/admin/login", data={"login": login_name, "password": password,
                                                   "csrf_token": token},
                             allow_redirects=False)


async def logged_in(client, panel_db, who: str = "owner"):
    _, _, accs = panel_db
    user, password = {
        "owner": (accs.owner_login, accs.owner_password), "attendant": accs.attendant,
        "groomer": accs.groomer, "vet": accs.vet,
    }[who]
    response = await login(client, user, password)
    assert response.status == 303, await response.text()
    return client


async def page_csrf(client, path: str = "/admin/conta") -> str:
    response = await client.get(path)
    return csrf_of(await response.text())


# --------------------------------------------------------------------------- live server


class LiveServer:
    """The whole app process on 127.0.0.1 (port chosen by the OS) in a background thread."""

    def __init__(self, url: str, engine) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._db_url, self._engine = url, engine
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.app: web.Application | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.app = create_app(make_settings(self._db_url, self.port), self._engine)
            self.runner = web.AppRunner(self.app)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.SockSite(self.runner, self.sock).start())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    def start(self) -> LiveServer:
        self._thread.start()
        self._started.wait(30)
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        if self.loop and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


@pytest.fixture
def live_server(panel_db):
    engine, url, _ = panel_db
    server = LiveServer(url, engine).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium_browser():
    """One Chromium per test module: Playwright's sync API runs its own event loop, which must
    be gone before the asyncio tests of other modules run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def desk(chromium_browser, live_server):
    context = chromium_browser.new_context(viewport={"width": 1366, "height": 900}, locale="pt-BR")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base = live_server.url
    yield pg
    context.close()


@pytest.fixture
def phone(chromium_browser, live_server):
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2, locale="pt-BR")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base = live_server.url
    yield pg
    context.close()


def browser_login(pg, login_name: str, password: str) -> None:
    pg.goto(pg.base + "/admin/login")
    pg.fill("input[name=login]", login_name)
    pg.fill("input[name=password]", password)
    pg.click("button[type=submit]")
    pg.wait_for_url(re.compile(r".*/admin/agenda.*"))


def shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
