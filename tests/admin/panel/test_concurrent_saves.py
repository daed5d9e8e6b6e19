"""Panel saves while other writers are busy on the same database (issue 8, finding 1).

Real threads keep writing (tutors registered, as the bot does) while staff send the Leva e
Traz, employee and encaixe forms at the same time: no 500; each form is either saved (303) or
answered with the pt-BR "sistema ocupado" page (503, Retry-After) and nothing of it saved. With
the database held by another writer longer than the app's lock wait, the form gets that 503.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.server import create_app
from scheduler_core.agenda.models import Appointment
from scheduler_core.catalog.models import LevaETrazZone, Service
from scheduler_core.db.engine import make_engine, transaction, write_session
from scheduler_core.people import registry as people
from scheduler_core.people.models import Pet
from scheduler_core.shop.models import Employee, EmployeeCategory, Shop

from .conftest import PIN, logged_in, make_settings, page_csrf

BUSY_TITLE = "Sistema ocupado"
BUSY_TEXT = "O sistema está ocupado agora. Tente de novo em alguns segundos."


class Writers:
    """Threads registering tutors back to back (each one short write transaction)."""

    def __init__(self, engine, count: int = 3) -> None:
        self.engine, self.stop, self.done, self.errors = engine, threading.Event(), [0], []
        with Session(engine) as s:
            self.shop_id = s.exec(select(Shop.id)).first()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(count)]

    def _run(self, i: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1

            def unit(session, n=n):
                people.find_tutor_by_phone(session, self.shop_id, f"+5511977{i:02d}{n:04d}")
                people.create_tutor(session, self.shop_id, {"name": f"Escritor {i} {n}"})

            try:
                transaction(self.engine, unit)
                self.done[0] += 1
            except Exception as exc:  # reported by the test
                self.errors.append(repr(exc))
            time.sleep(0.001)

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)


def _encaixe_form(engine) -> tuple[dict, int]:
    with Session(engine) as s:
        pet = s.exec(select(Pet).where(Pet.species == "cao", col(Pet.porte).is_not(None),
                                       col(Pet.pelagem).is_not(None)).order_by(Pet.id)).first()
        bath = s.exec(select(Service).where(Service.name == "Banho")).one()
        link = s.exec(select(EmployeeCategory)
                      .where(EmployeeCategory.category_id == bath.category_id)).first()
        tz = ZoneInfo(s.exec(select(Shop)).first().timezone)
    day = (datetime.now(UTC) + timedelta(days=3)).astimezone(tz).date()
    return {"pet": str(pet.id), "servico": str(bath.id), "data": day.isoformat(),
            "hora": "07:00", f"emp_{bath.id}": str(link.employee_id), "confirm": "1",
            "operator_pin": PIN}, pet.id


def _employee_form(engine, name: str) -> tuple[str, list[tuple[str, str]]]:
    with Session(engine) as s:
        emp = s.exec(select(Employee).where(Employee.active.is_(True),
                                            Employee.has_calendar.is_(True))
                     .order_by(Employee.id)).first()
        cats = s.exec(select(EmployeeCategory.category_id)
                      .where(EmployeeCategory.employee_id == emp.id)).all()
    return f"/admin/config/funcionarios/{emp.id}", [
        ("name", name), ("has_calendar", "1"), ("active", "1"), ("species", "cao"),
        *[("categories", str(c)) for c in cats],
        ("works", "1"), ("d1_start_0", "08:00"), ("d1_end_0", "17:00"), ("operator_pin", PIN)]


def _zone_form(name: str) -> dict:
    return {"action": "zone", "name": name, "neighborhoods": f"Bairro {name}", "fee": "12,00"}


def _assert_busy_page(response, body: str) -> None:
    assert response.status == 503, body
    assert BUSY_TITLE in body and BUSY_TEXT in body and "Nada foi salvo" in body
    assert int(response.headers["Retry-After"]) > 0


async def test_panel_saves_while_other_writers_are_active_never_fail(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    csrf = await page_csrf(client)
    encaixe, pet_id = _encaixe_form(engine)
    emp_path, _ = _employee_form(engine, "x")
    with Session(engine) as s:
        encaixes_before = len(s.exec(select(Appointment).where(
            Appointment.pet_id == pet_id, col(Appointment.is_encaixe).is_(True))).all())

    async def post(path, data):
        if isinstance(data, list):
            data = [("csrf_token", csrf), *data]
        else:
            data = {"csrf_token": csrf, **data}
        response = await client.post(path, data=data, allow_redirects=False)
        return path, data, response, await response.text()

    calls = []
    for round_ in range(3):
        calls += [post("/admin/config/leva-e-traz", _zone_form(f"Zona {round_}{k}"))
                  for k in range(3)]
        calls += [post(emp_path, _employee_form(engine, f"Ana Rodada {round_}{k}")[1])
                  for k in range(2)]
        calls += [post("/admin/encaixe", encaixe)]
    with Writers(engine) as writers:
        time.sleep(0.05)
        outcomes = await asyncio.gather(*calls)
    assert writers.errors == []
    assert writers.done[0] > 0
    statuses = [r.status for _, _, r, _ in outcomes]
    assert all(s in (303, 503) for s in statuses), [
        (p, r.status, body[:300]) for p, _, r, body in outcomes if r.status not in (303, 503)]
    with Session(engine) as s:
        zones = {z.name for z in s.exec(select(LevaETrazZone)).all()}
        employee = s.get(Employee, int(emp_path.rsplit("/", 1)[1]))
        encaixes = len(s.exec(select(Appointment).where(
            Appointment.pet_id == pet_id, col(Appointment.is_encaixe).is_(True))).all())
    saved_employee_names = []
    saved_encaixes = 0
    for path, data, response, body in outcomes:
        if response.status == 503:
            _assert_busy_page(response, body)
        fields = dict(data) if isinstance(data, list) else data
        if path.endswith("leva-e-traz"):
            assert (fields["name"] in zones) == (response.status == 303), fields["name"]
        elif path == emp_path and response.status == 303:
            saved_employee_names.append(fields["name"])
        elif path == "/admin/encaixe" and response.status == 303:
            saved_encaixes += 1
    if saved_employee_names:
        assert employee.name in saved_employee_names
    assert encaixes - encaixes_before == saved_encaixes


async def test_a_form_sent_while_the_database_stays_locked_gets_503_and_saves_nothing(
        panel_db, aiohttp_client):
    engine, url, _ = panel_db
    short = make_engine(url, lock_wait_s=0.3)
    client = await aiohttp_client(create_app(make_settings(url), short))
    await logged_in(client, panel_db)
    csrf = await page_csrf(client)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_session(engine) as s:
            s.execute(text("UPDATE shop SET name = name"))
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        response = await client.post("/admin/config/leva-e-traz",
                                     data={"csrf_token": csrf, **_zone_form("Zona Travada")},
                                     allow_redirects=False)
        body = await response.text()
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    _assert_busy_page(response, body)
    assert "Erro inesperado" not in body
    assert waited < 3
    with Session(engine) as s:
        assert s.exec(select(LevaETrazZone).where(LevaETrazZone.name == "Zona Travada")
                      ).first() is None
    again = await client.post("/admin/config/leva-e-traz",
                              data={"csrf_token": csrf, **_zone_form("Zona Travada")},
                              allow_redirects=False)
    assert again.status == 303
    with Session(engine) as s:
        assert s.exec(select(LevaETrazZone).where(LevaETrazZone.name == "Zona Travada")
                      ).first() is not None
    short.dispose()

