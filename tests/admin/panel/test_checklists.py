"""Configuração → Checklists and a visit's checklist in the panel (aiohttp test client)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp import FormData
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.checklists.answers import visit_answers
from scheduler_core.checklists.models import ChecklistItem
from scheduler_core.shop.models import Segment

from .conftest import logged_in, page_csrf

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _petshop_and_visit(engine) -> tuple[int, Appointment]:
    with Session(engine) as session:
        seg = session.exec(select(Segment).where(Segment.kind == "pet_shop")).first()
        appt = session.exec(select(Appointment).where(
            Appointment.segment_id == seg.id, Appointment.status == AppointmentStatus.AGENDADO,
            Appointment.start > datetime.now(UTC))).first()
        return seg.id, appt


def _upload(csrf, field, name, content, ctype) -> FormData:
    data = FormData()
    data.add_field("csrf_token", csrf)
    data.add_field("stage", "recebido")
    data.add_field(field, content, filename=name, content_type=ctype)
    return data


async def _add(client, csrf, segment_id, stage, **fields):
    return await client.post("/admin/config/checklists", data={
        "csrf_token": csrf, "segment_id": str(segment_id), "stage": stage, **fields})


async def test_owner_edits_a_stage_checklist(client, panel_db):
    engine = panel_db[0]
    segment_id, _ = _petshop_and_visit(engine)
    await logged_in(client, panel_db)
    page = await client.get(f"/admin/config/checklists?segmento={segment_id}&etapa=agendado")
    body = await page.text()
    assert "Pulgas/carrapatos verificados" in body and "Nós na pelagem" in body
    csrf = await page_csrf(client, "/admin/config/checklists")
    refused = await _add(client, csrf, segment_id, "finalizado", label="Humor",
                         kind="escolha", options="calmo")
    assert refused.status == 422
    assert "pelo menos duas opções" in await refused.text()
    assert 'value="Humor"' in await refused.text()  # what was typed stays
    saved = await _add(client, csrf, segment_id, "finalizado", label="Humor", kind="escolha",
                       options="calmo\nagitado", required="1")
    assert "Item “Humor” salvo" in await saved.text()
    with Session(engine) as session:
        item = session.exec(select(ChecklistItem).where(ChecklistItem.label == "Humor")).one()
    assert item.options == ["calmo", "agitado"] and item.required and item.stage == "finalizado"
    removed = await _add(client, csrf, segment_id, "finalizado", item_id=str(item.id),
                         action="remove")
    assert "removido" in await removed.text()
    page = await client.get(f"/admin/config/checklists?segmento={segment_id}&etapa=finalizado")
    assert "Nenhum item nesta etapa" in await page.text()


async def test_a_groomer_cannot_edit_checklists(client, panel_db):
    await logged_in(client, panel_db, "groomer")
    response = await client.get("/admin/config/checklists")
    assert response.status == 403


async def test_visit_page_answers_with_a_photo(client, panel_db):
    engine = panel_db[0]
    segment_id, appt = _petshop_and_visit(engine)
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, "/admin/config/checklists")
    await _add(client, csrf, segment_id, "recebido", label="Foto na chegada", kind="foto",
               required="1")
    page = await (await client.get(f"/admin/agendamentos/{appt.id}")).text()
    field = re.search(r'type="file" name="(ck_\d+)"', page).group(1)
    bad = await client.post(f"/admin/agendamentos/{appt.id}/checklist",
                            data=_upload(csrf, field, "a.gif", b"GIF89a", "image/gif"))
    assert "JPEG, PNG ou WebP" in await bad.text()
    blocked = await client.post(f"/admin/agendamentos/{appt.id}/mover",
                                data={"csrf_token": csrf, "status": "recebido"})
    assert "Checklist de Recebido incompleta" in await blocked.text()
    ok = await client.post(f"/admin/agendamentos/{appt.id}/checklist",
                           data=_upload(csrf, field, "a.png", PNG, "image/png"))
    assert "1 resposta salva" in await ok.text()
    item_id = int(field[3:])
    photo = await client.get(f"/admin/agendamentos/{appt.id}/checklist/foto/{item_id}")
    assert photo.status == 200 and photo.content_type == "image/png"
    assert await photo.read() == PNG
    moved = await client.post(f"/admin/agendamentos/{appt.id}/mover",
                              data={"csrf_token": csrf, "status": "recebido"})
    assert f"#{appt.id}: Recebido" in await moved.text()
    [answer] = visit_answers(engine, appt.id)
    assert answer.label == "Foto na chegada"
    missing = await client.get(f"/admin/agendamentos/{appt.id}/checklist/foto/999999")
    assert missing.status == 404
