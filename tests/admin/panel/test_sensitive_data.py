"""Sensitive tutor data: masked for whoever may not see it, on every page that shows it; the
shop grants or refuses it per role and each employee per person; an optional operator PIN
before a tutor's page, each opening audited."""

from __future__ import annotations

from sqlmodel import Session, select

from admin.models import StaffUser
from scheduler_core.audit.models import AuditLog
from scheduler_core.kernel.phones import format_phone_br
from scheduler_core.people.masking import mask_address, mask_cpf, mask_email, mask_phone
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Employee, Shop

from .conftest import PIN, logged_in, page_csrf


def test_masks_keep_just_enough_to_tell_tutors_apart():
    assert mask_phone("+5511987654321") == "(11) 9••••-4321"
    assert mask_phone("+551133334444") == "(11) 3•••-4444"
    assert mask_phone("+14155550123") == "+•••••••0123"
    assert mask_phone("") == ""
    assert mask_cpf("12345678909") == "•••.456.789-••"
    assert mask_cpf("123.456.789-09") == "•••.456.789-••"
    assert mask_email("maria.silva@gmail.com") == "m•••@gmail.com"
    assert mask_address(street="Rua Harmonia", number="120", neighborhood="Vila Madalena",
                        city="São Paulo", state="SP", cep="05435000") == (
        "•••, Vila Madalena, São Paulo/SP")


def _tutor(engine) -> Tutor:
    with Session(engine) as session:
        return session.exec(select(Tutor).where(Tutor.cpf != "", Tutor.whatsapp != "")
                            .order_by(Tutor.id)).first()


def _full_phone(tutor: Tutor) -> str:
    return format_phone_br(tutor.whatsapp)


async def _switch(client, panel_db, who: str):
    client.session.cookie_jar.clear()
    return await logged_in(client, panel_db, who)


async def test_the_shop_revokes_a_role_and_grants_one_employee(client, panel_db):
    engine, _, accs = panel_db
    tutor = _tutor(engine)
    await logged_in(client, panel_db, "attendant")
    page = await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    assert _full_phone(tutor) in page  # attendants see it by default
    # the owner takes it away from the role
    await _switch(client, panel_db, "owner")
    token = await page_csrf(client, "/admin/config/equipe")
    saved = await client.post("/admin/config/equipe", data=[
        ("csrf_token", token), ("action", "sensitive"), ("sensitive_roles", "veterinario"),
        ("operator_pin", PIN)])
    assert saved.status == 200 and "Acesso aos dados sensíveis salvo." in await saved.text()
    await _switch(client, panel_db, "attendant")
    page = await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    assert _full_phone(tutor) not in page and mask_phone(tutor.whatsapp) in page
    search = await (await client.get("/admin/tutores", params={"q": tutor.name})).text()
    assert _full_phone(tutor) not in search and mask_phone(tutor.whatsapp) in search
    edit = await (await client.get(f"/admin/tutores/{tutor.id}/editar")).text()
    assert tutor.cpf not in edit and _full_phone(tutor) not in edit
    # ... and gives it back to one attendant, through her employee record
    with Session(engine) as session:
        user = session.exec(select(StaffUser).where(
            StaffUser.login == accs.attendant[0])).one()
        employee = session.exec(select(Employee).order_by(Employee.id)).first()
        user.employee_id = employee.id
        session.add(user)
        session.commit()
        employee_id = employee.id
    await _switch(client, panel_db, "owner")
    form = await (await client.get(f"/admin/config/funcionarios/{employee_id}")).text()
    assert 'name="sensitive"' in form
    with Session(engine) as session:
        employee = session.get(Employee, employee_id)
        employee.can_see_sensitive, employee.deny_sensitive = True, False
        session.add(employee)
        session.commit()
    await _switch(client, panel_db, "attendant")
    page = await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    assert _full_phone(tutor) in page


async def test_an_employee_refused_sees_masks_although_the_role_may_see(client, panel_db):
    engine, _, accs = panel_db
    tutor = _tutor(engine)
    with Session(engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.login == accs.vet[0])).one()
        employee = session.exec(select(Employee).order_by(Employee.id.desc())).first()
        user.employee_id = employee.id
        session.add(user)
        session.commit()
        employee_id = employee.id
    await logged_in(client, panel_db, "vet")
    assert _full_phone(tutor) in await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    # the owner refuses it to this person in the employee form
    await _switch(client, panel_db, "owner")
    page = await (await client.get(f"/admin/config/funcionarios/{employee_id}")).text()
    token = await page_csrf(client, f"/admin/config/funcionarios/{employee_id}")
    with Session(engine) as session:
        employee = session.get(Employee, employee_id)
    assert "Nunca ver" in page
    data = _employee_form(employee) + [("csrf_token", token), ("sensitive", "nao"),
                                       ("operator_pin", PIN)]
    saved = await client.post(f"/admin/config/funcionarios/{employee_id}", data=data)
    assert saved.status == 200, await saved.text()
    with Session(engine) as session:
        assert session.get(Employee, employee_id).deny_sensitive is True
    log = await (await client.get("/admin/auditoria")).text()
    assert "Dados sensíveis: Nunca vê" in log
    await _switch(client, panel_db, "vet")
    page = await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    assert _full_phone(tutor) not in page and mask_cpf(tutor.cpf) in page


def _employee_form(employee: Employee) -> list[tuple[str, str]]:
    """The employee's current record as its form posts it (no calendar: no hours needed)."""
    data = [("name", employee.name), ("active", "1")]
    data += [("species", s) for s in employee.species]
    return data


async def test_opening_a_tutor_asks_for_the_pin_when_the_shop_wants_it(client, panel_db):
    engine = panel_db[0]
    tutor = _tutor(engine)
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        shop.pin_to_open_tutor = True
        session.add(shop)
        session.commit()
    await logged_in(client, panel_db, "attendant")
    prompt = await client.get(f"/admin/tutores/{tutor.id}?aba=faturas")
    html = await prompt.text()
    assert "PIN de operador antes de abrir a ficha" in html and tutor.cpf not in html
    assert _full_phone(tutor) not in html
    token = await page_csrf(client, "/admin/agenda")
    wrong = await client.post(f"/admin/tutores/{tutor.id}/abrir", data={
        "csrf_token": token, "operator_pin": "000000",
        "back": f"/admin/tutores/{tutor.id}?aba=faturas"})
    assert wrong.status == 422 and "PIN de operador incorreto" in await wrong.text()
    opened = await client.post(f"/admin/tutores/{tutor.id}/abrir", data={
        "csrf_token": token, "operator_pin": PIN,
        "back": f"/admin/tutores/{tutor.id}?aba=faturas"})
    assert opened.status == 200
    assert str(opened.url).endswith(f"/admin/tutores/{tutor.id}?aba=faturas")
    assert 'id="tutor-name"' in await opened.text()
    # the other tabs do not ask again
    geral = await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    assert 'id="tutor-name"' in geral
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "tutor.open",
                                                   AuditLog.entity_id == tutor.id)).all()
    assert len(rows) == 1 and rows[0].actor.startswith("staff:")
    await _switch(client, panel_db, "owner")
    log = await (await client.get("/admin/auditoria")).text()
    assert "abriu a ficha do tutor" in log
