"""The panel's main screens and writes on PostgreSQL (the scale-out database)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from admin.models import Role
from admin.panel import accounts
from app.server import create_app
from scheduler_core.agenda.models import Appointment, Block
from scheduler_core.catalog.models import Service
from scheduler_core.demo import load_demo
from scheduler_core.kernel import settings as settings_mod
from scheduler_core.people.models import Pet

from .conftest import PIN, csrf_of, make_settings

pytestmark = pytest.mark.postgres


async def test_panel_pages_and_writes_on_postgres(pg_engine, pg_url, aiohttp_client, tmp_path,
                                                  monkeypatch):
    monkeypatch.setattr(settings_mod, "VAR", tmp_path)
    load_demo(pg_engine, datetime.now(UTC))
    login, password = accounts.ensure_owner(pg_engine)
    with Session(pg_engine) as session:
        owner = accounts.authenticate(session, login=login, password=password, ip="t",
                                      now=datetime.now(UTC))
        accounts.set_pin(session, owner, password, PIN)
        accounts.create_user(session, login="beto", password="senha-beto-1", role=Role.TOSADOR)
        session.commit()
        pet = session.exec(select(Pet).where(Pet.species == "cao", col(Pet.porte).is_not(None),
                                             col(Pet.pelagem).is_not(None))).first()
        bath = session.exec(select(Service).where(Service.name == "Banho")).one()
    client = await aiohttp_client(create_app(make_settings(pg_url), pg_engine))
    page = await client.get("/admin/login")
    token = csrf_of(await page.text())
    response = await client.post("/admin/login", data={"login": login, "password": password,
                                                       "csrf_token": token})
    assert response.status == 200
    csrf = csrf_of(await response.text())
    day = date.today() + timedelta(days=4)
    for path in ("/admin/agenda", f"/admin/agenda?visao=quadro&data={day}",
                 f"/admin/agenda?visao=semana&data={day}", "/admin/tutores?q=a",
                 f"/admin/tutores/{pet.tutor_id}", f"/admin/pets/{pet.id}",
                 "/admin/config/funcionarios", "/admin/config/servicos",
                 "/admin/config/bloqueios", "/admin/config/robo", "/admin/auditoria",
                 "/admin/atendimento", f"/admin/encaixe?pet={pet.id}&servico={bath.id}"):
        assert (await client.get(path)).status == 200, path
    token = None
    for offset in range(10):
        body = await (await client.get(
            f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}"
            f"&data={(day + timedelta(days=offset)).isoformat()}")).text()
        match = re.search(r'name="token" value="([^"]+)"', body)
        if match:
            token = match.group(1)
            break
    assert token
    booked = await client.post("/admin/agenda/novo", data={"csrf_token": csrf, "token": token})
    assert booked.status == 200 and "criado" in await booked.text()
    block = await client.post("/admin/config/bloqueios", data={
        "csrf_token": csrf, "action": "create", "dates": day.isoformat(), "all_day": "1",
        "operator_pin": PIN})
    assert block.status == 200 and "Bloqueio criado" in await block.text()
    with Session(pg_engine) as session:
        assert session.exec(select(Block)).first() is not None
        assert session.exec(select(Appointment).where(Appointment.origin == "staff")).first()
