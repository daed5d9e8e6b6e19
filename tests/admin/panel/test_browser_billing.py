"""Planos & Pacotes and Cobranças in Chromium against the live app: selling a package, seeing
its cycles, paying one invoice partially then fully, batch-paying two invoices, cancelling the
plan, and the public Pix page. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from scheduler_core.billing.models import BillingCycle, Invoice
from scheduler_core.people.models import Pet
from scheduler_core.plans.models import PetPlan, PlanTemplate
from scheduler_core.shop.models import Shop

from .conftest import browser_login, shot

pytestmark = pytest.mark.browser


def _cycle_invoices(engine, plan_id):
    with Session(engine) as s:
        return [c.invoice_id for c in s.exec(select(BillingCycle).where(
            BillingCycle.pet_plan_id == plan_id).order_by(BillingCycle.seq)).all()]


def test_sell_a_package_pay_partially_then_fully_batch_pay_and_cancel(desk, panel_db):
    engine, _, accs = panel_db
    with Session(engine) as s:
        pet = s.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()
        s.expunge(pet)
        shop = s.exec(select(Shop)).first()
        shop.pix_key = "petshop@example.com"
        s.add(shop)
        s.commit()
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + f"/admin/tutores/{pet.tutor_id}")
    desk.click(".tabs >> text=Planos & Pacotes")
    section = desk.locator(f"#pet-{pet.id}")
    section.locator("details.sell summary").click()
    with Session(engine) as s:
        package = s.exec(select(PlanTemplate).where(PlanTemplate.kind == "pacote")).first()
    section.locator("select[name=template_id]").select_option(str(package.id))
    section.locator("button:has-text('Vender')").click()
    expect(desk.locator(".flash-ok")).to_contain_text("Plano vendido")
    with Session(engine) as s:
        plan = s.exec(select(PetPlan).where(PetPlan.pet_id == pet.id)).first()
    card = desk.locator(f"#plano-{plan.id}")
    expect(card.locator("tr.cycle")).to_have_count(2)
    card.locator("details.ver-ciclo summary").first.click()
    expect(card.locator("details.ver-ciclo").first).to_contain_text("Incluídas")
    shot(desk, "desk-plano-ciclos")

    first, second = _cycle_invoices(engine, plan.id)
    card.locator("tr.cycle").first.locator("a:has-text('Ver')").click()
    desk.fill("#pay-form input[name=amount]", "50,00")
    desk.select_option("#pay-form select[name=method]", "dinheiro")
    desk.click("#pay-form button")
    expect(desk.locator("#receipt")).to_contain_text("R$")
    desk.goto(desk.base + f"/admin/cobrancas/{first}")
    expect(desk.locator("#inv-status")).to_have_text("Parcial")
    desk.select_option("#pay-form select[name=method]", "pix")
    desk.click("#pay-form button")  # the amount field holds the open rest
    desk.goto(desk.base + f"/admin/cobrancas/{first}")
    expect(desk.locator("#inv-status")).to_have_text("Paga")
    shot(desk, "desk-fatura-paga")

    # A second package for the same pet: batch-pay its two cycle invoices with one payment.
    desk.goto(desk.base + f"/admin/tutores/{pet.tutor_id}/planos")
    section.locator("details.sell summary").click()
    section.locator("select[name=template_id]").select_option(str(package.id))
    section.locator("button:has-text('Vender')").click()
    with Session(engine) as s:
        plan2 = s.exec(select(PetPlan).where(PetPlan.pet_id == pet.id)
                       .order_by(PetPlan.id.desc())).first()
        ids = _cycle_invoices(engine, plan2.id)
        labels = [f"#{s.get(Invoice, i).number:05d}" for i in ids]
    desk.goto(desk.base + f"/admin/cobrancas?tutor={pet.tutor_id}&status=pendente")
    for label in labels:
        desk.check(f"tr[data-number='{label}'] input[type=checkbox]")
    desk.fill("#batch input[name=amount]", "9999,00")
    desk.click("#batch button[value=pagar]")
    expect(desk.locator("#receipt")).to_contain_text("Troco como crédito")
    expect(desk.locator("#receipt tbody tr")).to_have_count(2)
    shot(desk, "desk-recibo-lote")
    with Session(engine) as s:
        assert [s.get(Invoice, i).status for i in ids] == ["paga", "paga"]

    # Cancel the first plan, cancelling its future visits.
    desk.goto(desk.base + f"/admin/tutores/{pet.tutor_id}/planos")
    form = desk.locator(f"#plano-{plan.id} form.cancel-plan")
    form.locator("input[value=cancelar]").check()
    form.locator("button").click()
    expect(desk.locator(".flash-ok")).to_contain_text("Plano cancelado")
    expect(desk.locator(f"#plano-{plan.id} .plan-status")).to_have_text("Cancelado")
    with Session(engine) as s:
        assert s.get(PetPlan, plan.id).status == "cancelado"
        assert s.get(Invoice, first).status == "paga"  # a paid invoice is never rewritten
        assert s.get(Invoice, second).status == "cancelada"
    with Session(engine) as s:
        cancelled = len(s.exec(select(PetPlan).where(PetPlan.status == "cancelado")).all())
    desk.goto(desk.base + "/admin/planos?filtro=cancelado")
    # The demo shop has a cancelled plan of its own: this one is listed beside it, no other.
    expect(desk.locator("#plans tbody tr")).to_have_count(cancelled)
    expect(desk.locator("#plans tbody tr", has_text=pet.name)).to_have_count(1)
    shot(desk, "desk-planos-cancelado")


def test_public_invoice_page_copies_the_pix_code(desk, phone, panel_db):
    engine, _, accs = panel_db
    with Session(engine) as s:
        pet = s.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()
        s.expunge(pet)
        shop = s.exec(select(Shop)).first()
        shop.pix_key = "petshop@example.com"
        s.add(shop)
        s.commit()
    browser_login(desk, accs.owner_login, accs.owner_password)
    desk.goto(desk.base + f"/admin/tutores/{pet.tutor_id}/planos")
    section = desk.locator(f"#pet-{pet.id}")
    section.locator("details.sell summary").click()
    section.locator("button:has-text('Vender')").click()
    desk.locator("tr.cycle a:has-text('Ver')").first.click()
    link = desk.input_value("#public-link")
    desk.context.clear_cookies()
    desk.goto(link)
    expect(desk.locator(".qr svg")).to_be_visible()
    code = desk.input_value("#pix-code")
    assert code.startswith("000201") and "br.gov.bcb.pix" in code.lower()
    desk.click("button[data-copy]")
    expect(desk.locator("button[data-copy]")).to_have_text("Copiado!")
    shot(desk, "desk-fatura-publica")
    phone.goto(link)  # the tutor opens it on a phone
    expect(phone.locator(".qr svg")).to_be_in_viewport(ratio=0.5)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(phone, "phone-fatura-publica")
    response = desk.goto(link[:-4] + "AAAA")
    assert response.status == 404
    expect(desk.locator("h1")).to_have_text("Fatura indisponível")
