"""Configuration screens as the owner uses them: a refused form keeps what was typed, the menu
arrows save nothing, dates typed dd/mm/aaaa and ranges, duplicate names, zones edited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from admin.models import Role, StaffUser
from admin.panel import accounts
from scheduler_core.agenda.models import Block
from scheduler_core.audit import log as audit
from scheduler_core.catalog.models import LevaETrazZone, Service, ServiceCategory
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.forms import FieldError, parse_form_date, parse_money
from scheduler_core.shop.models import OpeningRange, Segment, Shop

from .conftest import PIN, logged_in, login, page_csrf
from .test_config_forms import _bot_form, _post


def _bot(engine) -> BotSettings:
    with Session(engine) as session:
        return session.exec(select(BotSettings)).first()


async def test_a_refused_bot_form_shows_every_typed_value_again(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    before = _bot(engine)
    keys = [m["key"] for m in before.menu]
    typed = _bot_form(keys[::-1], greeting_known="Oi de novo, {tutor}!", min_notice_hours="7",
                      horizon_days="abc", mode="auto_reply")
    typed = [(k, v) for k, v in typed if not (k == "menu_enabled" and v == keys[0])]
    response = await _post(client, "/admin/config/robo",
                           typed + [("greeting_new", "Bem-vindo ao banho!"), ("ask_sex", "1"),
                                    ("trigger_text", "vacina"), ("trigger_match", "contem"),
                                    ("trigger_action", "agendar_clinica")])
    html = await response.text()
    assert response.status == 422
    assert "use um número inteiro" in html
    assert 'value="abc"' in html and 'value="7"' in html
    assert "Oi de novo, {tutor}!" in html and "Bem-vindo ao banho!" in html
    assert 'value="auto_reply" selected' in html
    assert 'name="ask_sex" value="1" checked' in html
    assert 'value="vacina"' in html
    # the menu in the typed order, the unticked option still unticked
    assert html.index(f'value="{keys[-1]}"') < html.index(f'value="{keys[0]}"')
    assert f'name="menu_enabled" value="{keys[0]}" >' in html
    after = _bot(engine)
    assert after.min_notice_hours == before.min_notice_hours
    assert after.greeting_new == before.greeting_new


async def test_menu_arrows_reorder_the_page_and_save_nothing(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    before = _bot(engine)
    keys = [m["key"] for m in before.menu]
    response = await _post(client, "/admin/config/robo",
                           _bot_form(keys, greeting_known="Mudei isto")
                           + [("greeting_new", "Oi!"), ("move", f"{keys[1]}:up")])
    html = await response.text()
    assert response.status == 200
    assert "Clique em Salvar para gravar" in html
    assert html.index(f'name="menu_order" value="{keys[1]}"') < html.index(
        f'name="menu_order" value="{keys[0]}"')
    assert "Mudei isto" in html  # the other edits are still on the page
    after = _bot(engine)
    assert after.menu == before.menu and after.greeting_known == before.greeting_known


async def test_a_block_takes_dates_typed_dd_mm_aaaa_and_a_range(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/bloqueios", {
        "action": "create", "date_from": "29/12/2030", "date_to": "02/01/2031",
        "more_dates": "15/11/2030, 2030-11-20", "all_day": "1", "reason": "Recesso",
        "operator_pin": PIN})
    assert response.status == 200, await response.text()
    with Session(engine) as session:
        block = session.exec(select(Block).where(Block.reason == "Recesso")).one()
    assert block.dates == ["2030-11-15", "2030-11-20", "2030-12-29", "2030-12-30",
                           "2030-12-31", "2031-01-01", "2031-01-02"]
    html = await response.text()
    assert "15/11/2030, 20/11/2030, 29/12/2030 a 02/01/2031" in html


async def test_a_block_refuses_an_impossible_date_and_a_reversed_range(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    with Session(engine) as session:
        count = len(session.exec(select(Block)).all())
    bad_day = await _post(client, "/admin/config/bloqueios", {
        "action": "create", "date_from": "31/02/2030", "all_day": "1", "operator_pin": PIN})
    assert bad_day.status == 422 and "essa data não existe" in await bad_day.text()
    reversed_range = await _post(client, "/admin/config/bloqueios", {
        "action": "create", "date_from": "10/01/2031", "date_to": "05/01/2031",
        "all_day": "1", "operator_pin": PIN})
    html = await reversed_range.text()
    assert reversed_range.status == 422 and "deve ser igual ou depois da inicial" in html
    assert 'value="10/01/2031"' in html  # what was typed stays in the form
    with Session(engine) as session:
        assert len(session.exec(select(Block)).all()) == count


async def test_a_second_service_with_the_same_name_is_refused(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        existing = session.exec(select(Service)).first()
        category = session.exec(select(ServiceCategory)).first()
        count = len(session.exec(select(Service)).all())
    await logged_in(client, panel_db)
    typed = f"  {existing.name.upper()} "
    response = await _post(client, "/admin/config/servicos/novo", [
        ("name", typed), ("category_id", str(category.id)), ("species", "cao"),
        ("active", "1"), ("price_pequeno_curta", "50"), ("dur_pequeno_curta", "60")])
    html = await response.text()
    assert response.status == 422
    assert f"Já existe um serviço chamado “{existing.name}”" in html
    with Session(engine) as session:
        assert len(session.exec(select(Service)).all()) == count


async def test_a_zone_is_edited_in_place(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    added = await _post(client, "/admin/config/leva-e-traz", {
        "action": "zone", "name": "Centro", "fee": "12,00", "neighborhoods": "Sé, Liberdade"})
    assert added.status == 200
    with Session(engine) as session:
        zone = session.exec(select(LevaETrazZone).where(LevaETrazZone.name == "Centro")).one()
        zones = len(session.exec(select(LevaETrazZone)).all())
    page = await (await client.get(f"/admin/config/leva-e-traz?editar={zone.id}")).text()
    assert "Editar zona" in page and 'value="12,00"' in page and "Sé, Liberdade" in page
    assert 'data-confirm="Remover a zona “Centro”?' in page
    saved = await _post(client, "/admin/config/leva-e-traz", {
        "action": "zone", "zone_id": str(zone.id), "name": "Centro expandido", "fee": "15",
        "neighborhoods": "Sé, Liberdade, Bela Vista"})
    assert saved.status == 200 and "Zona “Centro expandido” salva." in await saved.text()
    with Session(engine) as session:
        edited = session.get(LevaETrazZone, zone.id)
        assert (edited.name, edited.fee_cents) == ("Centro expandido", 1500)
        assert edited.neighborhoods == ["Sé", "Liberdade", "Bela Vista"]
        assert len(session.exec(select(LevaETrazZone)).all()) == zones
    again = await _post(client, "/admin/config/leva-e-traz", {
        "action": "zone", "name": "centro expandido", "fee": "9", "neighborhoods": "Brás"})
    assert again.status == 422 and "Já existe uma zona chamada" in await again.text()


async def test_copying_a_day_fills_the_other_days_without_saving(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    with Session(engine) as session:
        segment = session.exec(select(Segment).order_by(Segment.id)).first()
        before = sorted((r.weekday, r.start, r.end) for r in session.exec(
            select(OpeningRange).where(OpeningRange.segment_id == segment.id)).all())
    response = await _post(client, f"/admin/config/horarios?segmento={segment.id}", [
        ("segment_id", str(segment.id)), ("slot_step_min", "15"), ("open", "0"), ("open", "2"),
        ("d0_start_0", "07:30"), ("d0_end_0", "11:30"), ("d0_start_1", "13:00"),
        ("d0_end_1", "19:00"), ("copy_from", "0")])
    html = await response.text()
    assert response.status == 200 and "copiado para os outros dias" in html
    for d in range(7):
        assert f'name="d{d}_start_1" value="13:00"' in html
        assert f'name="d{d}_end_0" value="11:30"' in html
    assert 'name="open" value="2" checked' in html and 'name="open" value="6" >' in html
    with Session(engine) as session:
        assert sorted((r.weekday, r.start, r.end) for r in session.exec(
            select(OpeningRange).where(OpeningRange.segment_id == segment.id)).all()) == before


async def test_the_audit_log_reads_as_pt_br_sentences(client, panel_db):
    engine, _, accs = panel_db
    with write_session(engine) as s:
        shop = s.exec(select(Shop)).first()
        owner = s.exec(select(StaffUser).where(StaffUser.login == accs.owner_login)).one()
        owner_id, who = owner.id, f"{owner.name} ({owner.login})"
        audit.record(s, actor=f"staff:{owner_id}", action="appointment.book",
                     entity="appointment", entity_id=35, shop_id=shop.id, details={
                         "origin": "staff", "pet_id": 60, "start": "2030-11-24T12:00:00+00:00",
                         "items": [{"service_id": 1, "price_cents": 4590, "in_plan": False}],
                         "combo_id": None, "idempotency_key": None})
        audit.record(s, actor="bot", action="appointment.status", entity="appointment",
                     entity_id=35, shop_id=shop.id,
                     details={"from": "agendado", "to": "entregue", "revert": False})
        audit.record(s, actor="system:overdue", action="invoice.overdue", shop_id=shop.id,
                     details={"today": "2030-12-03", "invoice_ids": [10, 11]})
        audit.record(s, actor="staff:1", action="something.new_in_a_later_release",
                     entity="tutor", entity_id=4, shop_id=shop.id, details={"allow_bot": True})
    await logged_in(client, panel_db, "owner")
    html = await (await client.get("/admin/auditoria")).text()
    assert f"{who} agendou o atendimento #35." in html
    assert "Início: 24/11/2030 09:00" in html  # São Paulo wall clock
    assert "Serviços: Serviço: #1, Preço: R$ 45,90, No plano: Não" in html
    assert "Combo: —" in html and "Origem: Equipe" in html
    assert "Robô mudou o status do atendimento #35." in html
    assert "Status: Agendado → Entregue" in html and "Voltou etapa: Não" in html
    assert "Sistema marcou faturas como vencidas." in html
    assert "Faturas: #10, #11" in html and "Dia: 03/12/2030" in html
    assert "alterou o tutor #4." in html and "Atendido pelo robô: Sim" in html
    table = html[html.index("<table"):html.index("</table>")]
    for raw in ("None", "False", "True", "appointment.book", "staff:", "idempotency",
                "new_in_a_later_release", "{'", "staff.login"):
        assert raw not in table, raw
    assert "entrou no painel" in table


async def test_an_account_without_a_pin_is_told_where_to_set_it(client, panel_db):
    engine = panel_db[0]
    with write_session(engine) as s:
        shop = s.exec(select(Shop)).first()
        accounts.create_user(s, login="dona.nova", password="senha-da-dona-1", role=Role.DONO,
                             name="Dona Nova", shop_id=shop.id)
    response = await login(client, "dona.nova", "senha-da-dona-1")
    assert response.status == 303
    html = await (await client.get("/admin/agenda")).text()
    assert 'id="pin-aviso"' in html and 'href="/admin/conta#pin"' in html
    token = await page_csrf(client, "/admin/conta")
    saved = await client.post("/admin/conta", data={
        "csrf_token": token, "action": "pin", "password": "senha-da-dona-1", "pin": "135790"})
    assert saved.status == 200
    assert 'id="pin-aviso"' not in await (await client.get("/admin/agenda")).text()


def test_typed_dates_and_money_messages_read_right():
    assert parse_form_date("24/12/2026") == date(2026, 12, 24)
    assert parse_form_date("2026-12-24") == date(2026, 12, 24)
    assert parse_form_date("24-12-26") == date(2026, 12, 24)
    assert parse_form_date("24122026") == date(2026, 12, 24)  # a phone's number pad
    for bad, message in (("31/02/2026", "essa data não existe"), ("amanhã", "dd/mm/aaaa")):
        with pytest.raises(FieldError, match=message):
            parse_form_date(bad)
    with pytest.raises(FieldError, match="A taxa é inválida"):
        parse_money("abc", label="A taxa")
    with pytest.raises(FieldError, match="A taxa fixa não pode ser negativa"):
        parse_money("-5", label="A taxa fixa")
    with pytest.raises(FieldError, match="O valor é obrigatório"):
        parse_money("", label="O valor")


async def test_the_cpf_switch_is_saved_and_shown_ticked(client, panel_db):
    """"CPF do tutor" (Configuração → Robô): the bot then asks a new tutor's CPF after the
    name (tests/actions/test_tutor_form_unit.py); unticked again, it stops asking."""
    engine = panel_db[0]
    await logged_in(client, panel_db)
    keys = [m["key"] for m in _bot(engine).menu]
    assert _bot(engine).ask_cpf is False  # off until the owner turns it on
    page = await client.get("/admin/config/robo")
    assert 'name="ask_cpf" value="1" >' in await page.text()
    saved = await _post(client, "/admin/config/robo",
                        _bot_form(keys) + [("greeting_new", "Oi!"), ("ask_cpf", "1")])
    assert saved.status == 200, await saved.text()
    assert _bot(engine).ask_cpf is True
    page = await client.get("/admin/config/robo")
    assert 'name="ask_cpf" value="1" checked' in await page.text()
    await _post(client, "/admin/config/robo", _bot_form(keys) + [("greeting_new", "Oi!")])
    assert _bot(engine).ask_cpf is False
