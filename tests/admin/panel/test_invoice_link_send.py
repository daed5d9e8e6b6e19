"""'Enviar link por WhatsApp' on an invoice queues the shop's "Fatura" notification (issue 13): the
sender delivers it, free text inside the 24-hour window or the approved template outside it."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.billing.models import Invoice
from scheduler_core.notifications.models import Notification
from scheduler_core.people.models import Tutor

from .conftest import logged_in, page_csrf


async def test_sending_the_link_queues_one_invoice_notification(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as s:
        invoice = s.exec(select(Invoice).join(Tutor, Tutor.id == Invoice.tutor_id).where(
            Invoice.status == "pendente", Tutor.whatsapp.is_not(None))).first()
        invoice_id, phone = invoice.id, s.get(Tutor, invoice.tutor_id).whatsapp
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, f"/admin/cobrancas/{invoice_id}")
    sent = await client.post(f"/admin/cobrancas/{invoice_id}", data={
        "csrf_token": csrf, "action": "send"})
    assert "Link da fatura na fila de envio" in await sent.text()
    with Session(engine) as s:
        [row] = s.exec(select(Notification).where(Notification.kind == "fatura")).all()
    assert row.recipient == phone and row.status == "planejada"
    assert "/fatura/" in row.values["LINK_FATURA"]
    missing = await client.post("/admin/cobrancas/99999999", data={
        "csrf_token": csrf, "action": "send"})
    assert missing.status == 404
