"""Access to the panel: owner account, login, sessions, throttling, CSRF, roles, PIN, audit."""

from __future__ import annotations

from sqlmodel import Session, select

from admin.models import StaffUser
from admin.panel import accounts
from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.audit.models import AuditLog
from scheduler_core.kernel import settings as settings_mod

from .conftest import PIN, csrf_of, logged_in, login, page_csrf


def test_first_run_creates_the_owner_once_and_keeps_the_password_in_var(panel_db):
    engine, _, accs = panel_db
    assert accs.owner_login == "dono" and len(accs.owner_password) >= 10
    saved = (settings_mod.VAR / "owner_password").read_text()
    assert accs.owner_password in saved
    assert accounts.ensure_owner(engine) == ("dono", None)
    with Session(engine) as session:
        owner = session.exec(select(StaffUser).where(StaffUser.login == "dono")).one()
        assert owner.password_hash.startswith("$argon2")
        assert accs.owner_password not in owner.password_hash


async def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = await client.get("/admin/agenda", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/admin/login?next=")
    root = await client.get("/", allow_redirects=False)
    assert root.headers["Location"] == "/admin"


async def test_wrong_password_is_refused_in_portuguese(client):
    response = await login(client, "dono", "errada")
    assert response.status == 401
    assert "Login ou senha incorretos" in await response.text()


async def test_login_is_throttled_after_repeated_failures(client, panel_db):
    _, _, accs = panel_db
    for _ in range(5):
        await login(client, "dono", "errada")
    response = await login(client, "dono", accs.owner_password)
    assert response.status == 429
    assert "Muitas tentativas" in await response.text()


async def test_session_cookie_is_httponly_and_samesite(client, panel_db):
    _, _, accs = panel_db
    response = await login(client, accs.owner_login, accs.owner_password)
    cookie = response.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("petbot_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie


async def test_session_cookie_is_secure_behind_https_proxy(client, panel_db):
    _, _, accs = panel_db
    page = await client.get("/admin/login")
    token = csrf_of(await page.text())
    response = await client.post(
        "/admin/login", data={"login": accs.owner_login, "password": accs.owner_password,
                              "csrf_token": token},
        headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
    session_cookie = next(c for c in response.headers.getall("Set-Cookie")
                          if c.startswith("petbot_session="))
    assert "Secure" in session_cookie


async def test_logout_ends_the_session(client, panel_db):
    await logged_in(client, panel_db)
    token = await page_csrf(client)
    await client.post("/admin/logout", data={"csrf_token": token})
    response = await client.get("/admin/agenda", allow_redirects=False)
    assert response.status == 303 and "/admin/login" in response.headers["Location"]


async def test_post_without_csrf_token_is_refused_with_403(client, panel_db):
    await logged_in(client, panel_db)
    response = await client.post("/admin/config/loja", data={"name": "Loja Hackeada"})
    assert response.status == 403
    body = await response.text()
    assert "Formulário recusado" in body and "CSRF" in body
    login_page = await client.get("/admin/login")
    assert login_page.status in (200, 303)


async def test_login_form_without_csrf_is_refused(client, panel_db):
    _, _, accs = panel_db
    response = await client.post("/admin/login", data={"login": accs.owner_login,
                                                       "password": accs.owner_password})
    assert response.status == 403


async def test_groomer_cannot_open_employee_settings(client, panel_db):
    await logged_in(client, panel_db, "groomer")
    response = await client.get("/admin/config/funcionarios")
    assert response.status == 403
    assert "Sem permissão" in await response.text()
    agenda = await client.get("/admin/agenda")
    assert agenda.status == 200


async def test_attendant_cannot_see_the_audit_log_but_the_owner_can(client, panel_db):
    await logged_in(client, panel_db, "attendant")
    assert (await client.get("/admin/auditoria")).status == 403
    client.session.cookie_jar.clear()
    await logged_in(client, panel_db, "owner")
    response = await client.get("/admin/auditoria")
    assert response.status == 200
    assert "entrou no painel" in await response.text()


async def test_the_audit_log_shows_only_this_shops_rows(client, panel_db):
    from scheduler_core.audit import log as audit
    from scheduler_core.db.engine import write_session
    from scheduler_core.shop.models import Shop

    engine, _, _ = panel_db
    with write_session(engine) as s:
        other = Shop(name="Outra Loja")
        s.add(other)
        s.flush()
        audit.record(s, actor="staff:999", action="tutor.update", entity="tutor",
                     shop_id=other.id, details={"name": "Segredo da outra loja"})
    await logged_in(client, panel_db, "owner")
    html = await (await client.get("/admin/auditoria")).text()
    assert "entrou no painel" in html and "Segredo da outra loja" not in html


def _future_open_appointment(engine) -> int:
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(
            Appointment.status == AppointmentStatus.AGENDADO).order_by(Appointment.start.desc())
        ).first()
        return appt.id


async def test_cancelling_needs_the_operator_pin_and_is_audited(client, panel_db):
    engine = panel_db[0]
    appt_id = _future_open_appointment(engine)
    await logged_in(client, panel_db, "attendant")
    token = await page_csrf(client, f"/admin/agendamentos/{appt_id}")
    wrong = await client.post(f"/admin/agendamentos/{appt_id}/cancelar",
                              data={"csrf_token": token, "operator_pin": "000000",
                                    "reason": "Chuva forte"})
    html = await wrong.text()
    # the visit's page again, the cancel form open with the error and the typed reason
    assert wrong.status == 422 and "PIN de operador incorreto" in html
    assert '<details class="card" id="cancelar" open>' in html
    assert 'value="Chuva forte"' in html and "Cancelar agendamento" in html
    assert 'aria-invalid="true"' in html
    with Session(engine) as session:
        assert session.get(Appointment, appt_id).status != AppointmentStatus.CANCELADO
    ok = await client.post(f"/admin/agendamentos/{appt_id}/cancelar",
                           data={"csrf_token": token, "operator_pin": PIN, "reason": "Tutor pediu"})
    assert ok.status == 200 and "cancelado" in await ok.text()
    with Session(engine) as session:
        assert session.get(Appointment, appt_id).status == AppointmentStatus.CANCELADO
        log = session.exec(select(AuditLog).where(AuditLog.entity_id == appt_id,
                                                  AuditLog.action.contains("cancel"))).first()
        assert log is not None and log.actor.startswith("staff:")


async def test_groomer_cannot_cancel_but_can_move_a_card(client, panel_db):
    engine = panel_db[0]
    appt_id = _future_open_appointment(engine)
    await logged_in(client, panel_db, "groomer")
    token = await page_csrf(client, f"/admin/agendamentos/{appt_id}")
    refused = await client.post(f"/admin/agendamentos/{appt_id}/cancelar",
                                data={"csrf_token": token, "operator_pin": PIN})
    assert refused.status == 403
    moved = await client.post(f"/admin/agendamentos/{appt_id}/status",
                              data={"csrf_token": token, "status": "confirmado"})
    assert moved.status == 200
    with Session(engine) as session:
        assert session.get(Appointment, appt_id).status == AppointmentStatus.CONFIRMADO


async def test_sensitive_tutor_data_is_masked_for_a_groomer(client, panel_db):
    from scheduler_core.people.models import Tutor

    engine = panel_db[0]
    with Session(engine) as session:
        tutor = session.exec(select(Tutor).where(Tutor.cpf != "")).first()
    await logged_in(client, panel_db, "groomer")
    body = await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    assert tutor.cpf[:3] + "." not in body and f"•••.{tutor.cpf[3:6]}.{tutor.cpf[6:9]}-••" in body
    client.session.cookie_jar.clear()
    await logged_in(client, panel_db, "owner")
    body = await (await client.get(f"/admin/tutores/{tutor.id}")).text()
    assert f"{tutor.cpf[:3]}.{tutor.cpf[3:6]}" in body


async def test_owner_creates_a_staff_account_that_can_log_in(client, panel_db):
    await logged_in(client, panel_db)
    token = await page_csrf(client, "/admin/config/equipe")
    response = await client.post("/admin/config/equipe", data={
        "csrf_token": token, "action": "create", "name": "Duda", "login": "duda",
        "password": "senha-da-duda", "role": "atendente", "operator_pin": PIN})
    assert response.status == 200 and "criada" in await response.text()
    client.session.cookie_jar.clear()
    assert (await login(client, "duda", "senha-da-duda")).status == 303


async def test_changing_password_and_pin_from_my_account(client, panel_db):
    _, _, accs = panel_db
    await logged_in(client, panel_db, "vet")
    token = await page_csrf(client)
    bad = await client.post("/admin/conta", data={
        "csrf_token": token, "action": "pin", "password": accs.vet[1], "pin": "12ab"})
    assert bad.status == 422 and "6 dígitos" in await bad.text()
    good = await client.post("/admin/conta", data={
        "csrf_token": token, "action": "password", "password": accs.vet[1],
        "new_password": "nova-senha-123", "confirm": "nova-senha-123"})
    assert good.status == 200 and "Senha alterada" in await good.text()
    client.session.cookie_jar.clear()
    assert (await login(client, accs.vet[0], "nova-senha-123")).status == 303
