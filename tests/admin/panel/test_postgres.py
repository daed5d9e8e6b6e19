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


async def test_plans_and_billing_core_path_on_postgres(pg_engine, pg_url, aiohttp_client,
                                                       tmp_path, monkeypatch):
    """Sell a package, pay one cycle partially then fully, batch-pay two, cancel the plan."""
    from scheduler_core.billing.invoices import invoice_view
    from scheduler_core.billing.models import BillingCycle, Invoice
    from scheduler_core.plans.models import PetPlan, PlanTemplate

    monkeypatch.setattr(settings_mod, "VAR", tmp_path)
    load_demo(pg_engine, datetime.now(UTC))
    login, password = accounts.ensure_owner(pg_engine)
    with Session(pg_engine) as session:
        pet = session.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()
        package = session.exec(select(PlanTemplate).where(PlanTemplate.kind == "pacote")).first()
        pet_id, tutor_id, package_id = pet.id, pet.tutor_id, package.id
    client = await aiohttp_client(create_app(make_settings(pg_url), pg_engine))
    token = csrf_of(await (await client.get("/admin/login")).text())
    response = await client.post("/admin/login", data={"login": login, "password": password,
                                                       "csrf_token": token})
    csrf = csrf_of(await response.text())
    page = f"/admin/tutores/{tutor_id}/planos"

    async def sell() -> tuple[int, list[int]]:
        sold = await client.post(page + "/vender", data={
            "csrf_token": csrf, "pet_id": str(pet_id), "template_id": str(package_id),
            "start_date": date.today().isoformat()})
        assert sold.status == 200 and "Plano vendido" in await sold.text()
        with Session(pg_engine) as session:
            plan = session.exec(select(PetPlan).where(PetPlan.pet_id == pet_id)
                                .order_by(PetPlan.id.desc())).first()
            return plan.id, [c.invoice_id for c in session.exec(select(BillingCycle).where(
                BillingCycle.pet_plan_id == plan.id).order_by(BillingCycle.seq)).all()]

    plan_id, (first, second) = await sell()
    for path in (page, "/admin/planos", "/admin/cobrancas?vencidas=1", f"/admin/cobrancas/{first}",
                 "/admin/config/planos", "/admin/config/planos/novo"):
        assert (await client.get(path)).status == 200, path
    paid = await client.post(f"/admin/cobrancas/{first}", data={
        "csrf_token": csrf, "action": "pay", "method": "dinheiro", "amount": "10,00"})
    assert paid.status == 200 and "Recibo de pagamento" in await paid.text()
    with Session(pg_engine) as session:
        assert session.get(Invoice, first).status == "parcial"
        rest = invoice_view(session, first).totals.open_cents
    await client.post(f"/admin/cobrancas/{first}", data={
        "csrf_token": csrf, "action": "pay", "method": "pix",
        "amount": f"{rest // 100},{rest % 100:02d}"})
    _, (third, fourth) = await sell()
    batch = await client.post("/admin/cobrancas/pagar", data=[
        ("csrf_token", csrf), ("id", str(third)), ("id", str(fourth)), ("method", "pix"),
        ("amount", "9999,00"), ("action", "pagar")])
    assert batch.status == 200 and "Troco como crédito" in await batch.text()
    cancelled = await client.post(f"/admin/planos/{plan_id}/cancelar", data={
        "csrf_token": csrf, "visits": "cancelar"})
    assert cancelled.status == 200 and "Plano cancelado" in await cancelled.text()
    with Session(pg_engine) as session:
        assert [session.get(Invoice, i).status for i in (first, second, third, fourth)] == [
            "paga", "cancelada", "paga", "paga"]
        assert session.get(PetPlan, plan_id).status == "cancelado"
