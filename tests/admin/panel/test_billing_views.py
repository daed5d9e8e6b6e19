"""Planos & Pacotes and Cobranças through the real app (aiohttp test client): the template form,
the sale on the tutor page, the cycles with their invoices, partial and full payment, batch
payment, receipt, cancel, renew, counter edit, the plans list's buckets, the public invoice page
and its hostile tokens."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from scheduler_core.billing import links
from scheduler_core.billing.invoices import invoice_view
from scheduler_core.billing.models import BillingCycle, Invoice
from scheduler_core.catalog.models import Service
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.plans.models import Allowance, PetPlan, PlanTemplate
from scheduler_core.shop.models import Shop

from .conftest import logged_in, page_csrf

SECRET = "test-secret-key"


def _dog(engine) -> Pet:
    with Session(engine) as s:
        return s.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()


def _package(engine) -> PlanTemplate:
    with Session(engine) as s:
        return s.exec(select(PlanTemplate).where(PlanTemplate.kind == "pacote")).first()


async def _post(client, path, data, csrf_path):
    token = await page_csrf(client, csrf_path)
    if isinstance(data, list):
        return await client.post(path, data=[("csrf_token", token), *data],
                                 allow_redirects=False)
    return await client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)


async def _sell(client, engine, pet: Pet) -> PetPlan:
    template = _package(engine)
    page = f"/admin/tutores/{pet.tutor_id}/planos"
    response = await _post(client, page + "/vender", {
        "pet_id": str(pet.id), "template_id": str(template.id), "start_date": "2026-12-01"},
        page)
    assert response.status == 303, await response.text()
    with Session(engine) as s:
        return s.exec(select(PetPlan).where(PetPlan.pet_id == pet.id)
                      .order_by(PetPlan.id.desc())).first()


def _cycle_invoices(engine, plan_id) -> list[int]:
    with Session(engine) as s:
        return [c.invoice_id for c in s.exec(select(BillingCycle).where(
            BillingCycle.pet_plan_id == plan_id).order_by(BillingCycle.seq)).all()]


async def test_template_form_keeps_what_was_typed_and_answers_in_portuguese(client, panel_db):
    await logged_in(client, panel_db)
    bad = [("name", "Pacote Gato Feliz"), ("kind", "pacote"), ("price", "abc"),
           ("months", "40"), ("service_id_0", ""), ("discount_pct", "5")]
    response = await _post(client, "/admin/config/planos/novo", bad, "/admin/config/planos/novo")
    html = await response.text()
    assert response.status == 422
    assert 'value="Pacote Gato Feliz"' in html and "Escolha pelo menos uma espécie." in html
    assert "O preço é inválido" in html and "Validade (meses): o máximo é 24." in html
    assert "Inclua pelo menos um serviço" in html
    with Session(panel_db[0]) as s:
        banho = s.exec(select(Service).where(Service.name == "Banho")).first()
    good = [("name", "Pacote Gato Feliz"), ("kind", "pacote"), ("price", "200,00"),
            ("months", "3"), ("charge_every_n", "2"), ("species", "gato"),
            ("service_id_0", str(banho.id)), ("quantity_0", "4")]
    response = await _post(client, "/admin/config/planos/novo", good, "/admin/config/planos/novo")
    assert response.status == 303
    listing = await (await client.get("/admin/config/planos")).text()
    assert "Pacote Gato Feliz" in listing and "4 × Banho" in listing
    with Session(panel_db[0]) as s:
        saved = s.exec(select(PlanTemplate).where(PlanTemplate.name == "Pacote Gato Feliz")).one()
    edit = await (await client.get(f"/admin/config/planos/{saved.id}")).text()
    assert 'value="200,00"' in edit and 'name="charge_every_n" value="2"' in edit


async def test_sell_a_package_see_cycles_pay_partially_then_fully(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    plan = await _sell(client, engine, pet)
    page = await (await client.get(f"/admin/tutores/{pet.tutor_id}/planos")).text()
    assert f'id="plano-{plan.id}"' in page and "Ver ciclo 2" in page
    assert "Pacote 10 banhos" in page and "Venda" in page
    first, second = _cycle_invoices(engine, plan.id)
    inv_page = f"/admin/cobrancas/{first}"
    html = await (await client.get(inv_page)).text()
    open_cents = int(re.search(r'name="expected_open" value="(\d+)"', html).group(1))
    assert page.count('class="session"') == 10 and "Banho — sessão 5/5" in page
    assert "Pacote 10 banhos — ciclo 1/2" in html
    # One line per session of the cycle on the invoice page and on the tutor's tab.
    assert html.count("Banho — sessão") == 5 and "Banho — sessão 5 de 5" in html
    assert page.count('class="invoice-line"') == 10
    response = await _post(client, inv_page, {"action": "pay", "method": "dinheiro",
                                              "amount": "10,00"}, inv_page)
    assert response.status == 303 and "/recibo/" in response.headers["Location"]
    receipt = await (await client.get(response.headers["Location"])).text()
    assert "Recibo de pagamento" in receipt and "10,00" in receipt
    html = await (await client.get(inv_page)).text()
    assert "Parcial" in html
    rest = open_cents - 1000
    response = await _post(client, inv_page, {
        "action": "pay", "method": "pix", "amount": f"{rest // 100},{rest % 100:02d}"}, inv_page)
    assert response.status == 303
    html = await (await client.get(inv_page)).text()
    assert 'id="inv-status">Paga' in html and "Registrar pagamento" not in html
    records = await (await client.get(f"/admin/tutores/{pet.tutor_id}/planos")).text()
    assert records.count("Pagamento") >= 2
    with Session(engine) as s:
        assert s.get(Invoice, second).status == "pendente"


async def test_batch_pay_two_invoices_with_one_payment(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    plan = await _sell(client, engine, _dog(engine))
    ids = _cycle_invoices(engine, plan.id)
    with Session(engine) as s:
        total = sum(invoice_view(s, i).totals.open_cents for i in ids)
    listing = await (await client.get(f"/admin/cobrancas?tutor={plan.tutor_id}")).text()
    assert all(f'value="{i}"' in listing for i in ids)
    response = await _post(client, "/admin/cobrancas/pagar", [
        ("id", str(ids[0])), ("id", str(ids[1])), ("method", "cartao_debito"),
        ("amount", f"{total // 100},{total % 100:02d}"), ("action", "pagar")], "/admin/cobrancas")
    assert response.status == 303, await response.text()
    with Session(engine) as s:
        assert [s.get(Invoice, i).status for i in ids] == ["paga", "paga"]
    receipt = await (await client.get(response.headers["Location"])).text()
    assert receipt.count("/admin/cobrancas/") >= 2
    printed = await (await client.get(f"/admin/cobrancas/imprimir?id={ids[0]}&id={ids[1]}")).text()
    assert printed.count('class="sheet"') == 2
    paid = await (await client.get("/admin/cobrancas?status=paga")).text()
    assert "A receber:</strong> R$" in paid


async def test_cancel_plan_keeps_or_cancels_and_the_list_buckets_follow(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    plan = await _sell(client, engine, pet)
    page = f"/admin/tutores/{pet.tutor_id}/planos"
    response = await _post(client, f"/admin/planos/{plan.id}/cancelar", {}, page)
    assert "visitas futuras" in response.cookies["petbot_flash"].value or response.status == 303
    with Session(engine) as s:
        assert s.get(PetPlan, plan.id).status == "ativo"
    response = await _post(client, f"/admin/planos/{plan.id}/cancelar", {"visits": "cancelar"},
                           page)
    assert response.status == 303
    with Session(engine) as s:
        assert s.get(PetPlan, plan.id).status == "cancelado"
        assert {s.get(Invoice, i).status for i in _cycle_invoices(engine, plan.id)} == {
            "cancelada"}
    cancelled = await (await client.get("/admin/planos?filtro=cancelado")).text()
    assert pet.name in cancelled and "Cancelado (" in cancelled


async def test_counter_edit_needs_a_reason_and_renew_makes_a_new_period(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    plan = await _sell(client, engine, pet)
    page = f"/admin/tutores/{pet.tutor_id}/planos"
    with Session(engine) as s:
        cycle = s.exec(select(BillingCycle).where(BillingCycle.pet_plan_id == plan.id)).first()
        allowance = s.exec(select(Allowance).where(Allowance.cycle_id == cycle.id)).first()
    url = f"/admin/planos/contadores/{allowance.id}"
    response = await _post(client, url, {"used": "2", "reason": "", "next": page}, page)
    assert response.status == 303
    with Session(engine) as s:
        assert s.get(Allowance, allowance.id).used_qty == 0
    await _post(client, url, {"used": "2", "reason": "Banho feito sem agenda", "next": page},
                page)
    with Session(engine) as s:
        assert s.get(Allowance, allowance.id).used_qty == 2
    html = await (await client.get(page)).text()
    assert "Edição manual" in html
    response = await _post(client, f"/admin/planos/{plan.id}/renovar", {"next": page}, page)
    assert response.status == 303
    with Session(engine) as s:
        plans = s.exec(select(PetPlan).where(PetPlan.pet_id == pet.id)).all()
    assert len([p for p in plans if p.template_id == plan.template_id]) >= 2


async def test_public_invoice_page_shows_pix_and_refuses_hostile_tokens(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    plan = await _sell(client, engine, _dog(engine))
    with Session(engine) as s:
        shop = s.exec(select(Shop)).first()
        shop.pix_key = "petshop@example.com"
        s.add(shop)
        s.commit()
        shop_id = shop.id
    invoice_id = _cycle_invoices(engine, plan.id)[0]
    token = links.invoice_token(invoice_id, shop_id, SECRET)
    client.session.cookie_jar.clear()
    response = await client.get(f"/fatura/{token}")
    html = await response.text()
    assert response.status == 200 and "Pague com Pix" in html and "<svg" in html
    assert "Copiar código Pix" in html and "000201" in html
    for bad in (token[:-3] + "abc", "x", "a.b", "%00.%ff", "é" * 30, "a" * 900,
                links.invoice_token(invoice_id, shop_id, "other-secret")):
        response = await client.get("/fatura/" + bad)
        assert response.status == 404, bad
        assert "Fatura" in await response.text()
    with Session(engine) as s:
        assert s.get(Tutor, plan.tutor_id) is not None


async def test_the_wizard_offers_the_pets_plan_and_the_booking_takes_a_session(client, panel_db):
    from datetime import date, timedelta

    from scheduler_core.agenda.models import Appointment

    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    plan = await _sell(client, engine, pet)
    with Session(engine) as s:
        bath = s.exec(select(Service).where(Service.name == "Banho")).first()
    html, day = "", date(2026, 12, 3)
    for offset in range(10):
        day = date(2026, 12, 3) + timedelta(days=offset)
        html = await (await client.get(
            f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}"
            f"&data={day.isoformat()}")).text()
        if 'name="token"' in html:
            break
    assert "incluso no plano — restam 10" in html
    assert f'name="pet_plan_id" value="{plan.id}" checked' in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = await _post(client, "/admin/agenda/novo",
                           {"token": token, "pet_plan_id": str(plan.id)}, "/admin/conta")
    assert response.status == 303, await response.text()
    with Session(engine) as s:
        appt = s.exec(select(Appointment).where(Appointment.pet_plan_id == plan.id)).one()
        assert appt.pet_id == pet.id
    page = await (await client.get(f"/admin/tutores/{pet.tutor_id}/planos")).text()
    assert "Reservada" in page and "Agendamento" in page


async def test_a_repeated_series_uses_the_plan_until_its_sessions_run_out(client, panel_db):
    from datetime import UTC, date, datetime, timedelta

    from scheduler_core.agenda.models import Appointment
    from scheduler_core.db.engine import write_session
    from scheduler_core.plans import lifecycle

    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    plan = await _sell(client, engine, pet)
    cycles = _cycle_invoices(engine, plan.id)
    assert len(cycles) == 2
    with write_session(engine) as s:  # 10 sessions, 8 already used: 2 left
        rows = s.exec(select(Allowance, BillingCycle).join(
            BillingCycle, BillingCycle.id == Allowance.cycle_id).where(
            BillingCycle.pet_plan_id == plan.id).order_by(BillingCycle.seq)).all()
        for (allowance, _cycle), used in zip(rows, (5, 3), strict=True):
            lifecycle.edit_counter(s, allowance.id, used=used, reason="migração",
                                   now=datetime.now(UTC), actor="staff:1")
    with Session(engine) as s:
        bath = s.exec(select(Service).where(Service.name == "Banho")).first()
    html = ""
    for offset in range(10):
        day = date(2026, 12, 3) + timedelta(days=offset)
        html = await (await client.get(
            f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}"
            f"&data={day.isoformat()}")).text()
        if 'name="token"' in html:
            break
    assert "incluso no plano — restam 2" in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = await _post(client, "/admin/agenda/novo", {
        "token": token, "pet_plan_id": str(plan.id), "repetir": "1", "vezes": "5",
        "idempotency_key": "serie-plano"}, "/admin/conta")
    assert response.status == 303, await response.text()
    message = (await (await client.get(response.headers["Location"])).text())
    with Session(engine) as s:
        first = s.exec(select(Appointment).where(
            Appointment.idempotency_key == "serie-plano")).one()
        series = s.exec(select(Appointment).where(
            Appointment.series_id == first.series_id).order_by(Appointment.start)).all()
    assert len(series) >= 3
    # The first two occurrences took the plan's last two sessions; the rest the normal price.
    assert [a.total_cents == 0 for a in series] == [True, True] + [False] * (len(series) - 2)
    assert all(a.pet_plan_id == plan.id for a in series)
    assert "Pelo plano: " in message and "Com o preço normal: " in message
    assert "Franquia deste pacote esgotada para Banho" in message
    with Session(engine) as s:
        left = sum(a.included_qty - a.used_qty for a in s.exec(select(Allowance).join(
            BillingCycle, BillingCycle.id == Allowance.cycle_id).where(
            BillingCycle.pet_plan_id == plan.id)).all())
    assert left == 0


async def test_hostile_input_answers_in_portuguese_and_never_500(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    plan = await _sell(client, engine, pet)
    first = _cycle_invoices(engine, plan.id)[0]
    inv = f"/admin/cobrancas/{first}"
    for data in ({"action": "pay", "method": "boleto", "amount": "10"},
                 {"action": "pay", "method": "pix", "amount": "abc"},
                 {"action": "pay", "method": "pix", "amount": "0"},
                 {"action": "pay", "method": "credito_tutor", "amount": "10"},
                 {"action": "pay", "method": "pix", "amount": "10", "expected_open": "1"},
                 {"action": "due", "due_date": "31/02"},
                 {"action": "add_item", "kind": "x", "name": "a", "unit": "1"},
                 {"action": "add_item", "kind": "produto", "name": "", "unit": "-1"},
                 {"action": "remove_item", "item_id": "999999"},
                 {"action": "zzz"}):
        response = await _post(client, inv, data, inv)
        assert response.status == 303, data
        assert response.headers["Location"] == inv
        flash = response.cookies["petbot_flash"].value
        assert flash.startswith("erro"), (data, flash)
    with Session(engine) as s:
        assert s.get(Invoice, first).status == "pendente"
    page = f"/admin/tutores/{pet.tutor_id}/planos"
    for data in ({"pet_id": "abc", "template_id": "1", "start_date": "2026-12-01"},
                 {"pet_id": str(pet.id), "template_id": "999", "start_date": "2026-12-01"},
                 {"pet_id": str(pet.id), "template_id": "1", "start_date": "ontem"}):
        response = await _post(client, page + "/vender", data, page)
        assert response.status == 303 and response.cookies["petbot_flash"].value.startswith(
            "erro"), data
    for path in ("/admin/cobrancas/999999", "/admin/planos/999999/cancelar",
                 "/admin/cobrancas/recibo/0123456789abcdef", "/admin/tutores/999999/planos"):
        response = await client.get(path)
        assert response.status in (404, 405), path
    odd = await client.get("/admin/cobrancas?status=x&de=ontem&ate=2026-99-01&tutor=abc&tipo=%00")
    assert odd.status == 200
    batch = await _post(client, "/admin/cobrancas/pagar", {"method": "pix", "amount": "1",
                                                           "action": "pagar"}, "/admin/cobrancas")
    assert batch.cookies["petbot_flash"].value.startswith("erro")


async def test_roles_see_only_what_they_may(client, panel_db):
    await logged_in(client, panel_db, "groomer")
    for path in ("/admin/cobrancas", "/admin/config/planos"):
        assert (await client.get(path)).status == 403, path
    assert (await client.get("/admin/planos")).status == 200


async def test_selling_a_plan_with_a_fixed_slot_books_its_visits(client, panel_db):
    from urllib.parse import unquote

    from scheduler_core.agenda.models import Appointment

    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    with Session(engine) as s:
        weekly = s.exec(select(PlanTemplate).where(PlanTemplate.name == "Plano Banho Semanal")
                        ).one()
    page = f"/admin/tutores/{pet.tutor_id}/planos"
    html = await (await client.get(page)).text()
    assert "Reservar horário fixo" in html
    base = {"pet_id": str(pet.id), "template_id": str(weekly.id), "start_date": "2026-12-07",
            "fixed": "1"}
    response = await _post(client, page + "/vender", {**base, "slot_day_0": "9"}, page)
    assert unquote(response.cookies["petbot_flash"].value).startswith("erro|Dia do horário")
    response = await _post(client, page + "/vender",
                           {**base, "slot_day_0": "1", "slot_time_0": "10:00"}, page)
    flash = unquote(response.cookies["petbot_flash"].value)
    assert response.status == 303 and "no horário fixo" in flash, flash
    assert "(s)" not in flash
    with Session(engine) as s:
        plan = s.exec(select(PetPlan).where(PetPlan.pet_id == pet.id)).one()
        booked = s.exec(select(Appointment).where(Appointment.pet_plan_id == plan.id)).all()
    assert booked and all(a.start.weekday() == 1 for a in booked)


async def test_send_link_without_a_recent_conversation_is_queued_for_the_template(client,
                                                                                panel_db):
    """Outside the 24-hour window the link still goes: it is queued as the Fatura notification,
    which the sender delivers as the approved template (tests/bot/test_notifications.py)."""
    from urllib.parse import unquote

    from scheduler_core.notifications.models import Notification

    engine = panel_db[0]
    await logged_in(client, panel_db)
    plan = await _sell(client, engine, _dog(engine))
    invoice_id = _cycle_invoices(engine, plan.id)[0]
    inv = f"/admin/cobrancas/{invoice_id}"
    html = await (await client.get(inv)).text()
    assert 'id="public-link"' in html and "/fatura/" in html
    response = await _post(client, inv, {"action": "send"}, inv)
    flash = unquote(response.cookies["petbot_flash"].value)
    assert flash.startswith("ok|") and "fila de envio" in flash
    with Session(engine) as s:
        rows = s.exec(select(Notification).where(Notification.kind == "fatura")).all()
    assert [r.status for r in rows] == ["planejada"] and "/fatura/" in rows[0].values[
        "LINK_FATURA"]


async def test_send_link_does_not_take_the_conversation_as_an_attendant(client, panel_db):
    """The link is no attendant message: the tutor's conversation gets no staff message and
    stays with the bot (the sender, not the inbox, delivers it)."""
    from datetime import UTC, datetime, timedelta

    from bot.config import SIM_PHONE_ID
    from bot.models import WaConversation, WaMessage

    engine = panel_db[0]
    await logged_in(client, panel_db)
    pet = _dog(engine)
    plan = await _sell(client, engine, pet)
    inv = f"/admin/cobrancas/{_cycle_invoices(engine, plan.id)[0]}"
    with Session(engine) as s:
        tutor = s.get(Tutor, pet.tutor_id)
        conv = WaConversation(shop_id=tutor.shop_id, key=tutor.whatsapp, phone=tutor.whatsapp,
                              profile_name=tutor.name, business_phone_id=SIM_PHONE_ID,
                              tutor_id=tutor.id,
                              last_inbound_at=datetime.now(UTC) - timedelta(days=2))
        s.add(conv)
        s.commit()
        conv_id = conv.id
    await _post(client, inv, {"action": "send"}, inv)
    with Session(engine) as s:
        assert s.exec(select(WaMessage).where(WaMessage.conversation_id == conv_id)).all() == []
        assert s.get(WaConversation, conv_id).owner == "bot"
