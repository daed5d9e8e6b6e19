"""Notificações in the panel (aiohttp test client): the kinds with their switch, the editor
with the variables and the preview on the shop's next visit, an unknown variable refused with
the typed text kept, the sending rules, the planned sends and the history with Meta's error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from scheduler_core.agenda.models import FREEING_STATUSES, Appointment
from scheduler_core.audit.models import AuditLog
from scheduler_core.notifications import outbox
from scheduler_core.notifications.models import (
    Notification,
    NotificationPrefs,
    NotificationSetting,
)
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.petcare import service as petcare
from scheduler_core.shop.models import Shop

from .conftest import logged_in, page_csrf

BASE = "/admin/notificacoes"


def _next_visit(engine) -> tuple[Appointment, Pet, Tutor]:
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(
            Appointment.start >= datetime.now(UTC),
            Appointment.status.not_in([s.value for s in FREEING_STATUSES]))
            .order_by(Appointment.start, Appointment.id)).first()
        return appt, session.get(Pet, appt.pet_id), session.get(Tutor, appt.tutor_id)


def _setting(engine, kind: str) -> NotificationSetting | None:
    with Session(engine) as session:
        return session.exec(select(NotificationSetting).where(
            NotificationSetting.kind == kind)).first()


async def test_the_menu_leads_to_every_kind_and_the_editor_previews_the_next_visit(
        client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    home = await (await client.get("/admin/agenda")).text()
    assert 'href="/admin/notificacoes"' in home
    page = await (await client.get(BASE)).text()
    for label in ("Confirmação de agendamento", "Aniversário do pet", "Pet Care: lembrete de dose",
                  "Pesquisa de satisfação", "24 horas antes do horário"):
        assert label in page
    _appt, pet, _tutor = _next_visit(engine)
    editor = await (await client.get(f"{BASE}?tipo=confirmacao")).text()
    assert "(NOME_PET)" in editor and 'data-insert="(HORARIO_AGENDAMENTO)"' in editor
    assert "Podemos confirmar" in editor and pet.name in editor
    assert 'name="template_name" maxlength="512" value="petbot_confirmacao"' in editor


async def test_an_unknown_variable_is_refused_and_the_typed_text_kept(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, f"{BASE}?tipo=lembrete")
    typed = "Oi (NOME_TUTOR), lembrete do (NOME_CACHORRO) hoje!"
    refused = await client.post(BASE, data={
        "csrf_token": csrf, "action": "save", "kind": "lembrete", "text": typed,
        "enabled": "1", "offset_hours": "3", "template_name": "petbot_lembrete",
        "template_language": "pt_BR", "template_params": "NOME_PET"})
    body = await refused.text()
    assert refused.status == 422
    assert "Variável desconhecida: (NOME_CACHORRO). Use uma das variáveis da lista." in body
    assert typed in body  # still in the textarea
    assert _setting(engine, "lembrete") is None  # nothing saved


async def test_saving_a_text_and_switching_a_kind_off(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, f"{BASE}?tipo=pet_entregue")
    saved = await client.post(BASE, data={
        "csrf_token": csrf, "action": "save", "kind": "pet_entregue",
        "text": "(NOME_PET) já está em casa! Obrigado, (NOME_TUTOR).", "enabled": "1",
        "template_name": "petbot_pet_entregue", "template_language": "pt_BR",
        "template_params": "NOME_PET, NOME_TUTOR"})
    assert "Notificação “Ao entregar o pet” salva." in await saved.text()
    row = _setting(engine, "pet_entregue")
    assert row.text.startswith("(NOME_PET) já está em casa") and row.enabled
    assert row.template_params == ["NOME_PET", "NOME_TUTOR"]
    off = await client.post(BASE, data={"csrf_token": csrf, "action": "off",
                                        "kind": "aniversario_tutor"})
    assert "Notificação “Aniversário do tutor” desligada." in await off.text()
    assert _setting(engine, "aniversario_tutor").enabled is False
    with Session(engine) as session:
        actions = {a.action for a in session.exec(select(AuditLog)).all()}
    assert {"notification.setting_save", "notification.off"} <= actions


async def test_the_live_preview_endpoint_renders_and_reports_errors(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    _appt, pet, _tutor = _next_visit(engine)
    csrf = await page_csrf(client, f"{BASE}?tipo=confirmacao")
    headers = {"X-CSRF-Token": csrf}
    ok = await client.post(f"{BASE}/previa", headers=headers,
                           data={"kind": "confirmacao", "text": "Oi (NOME_PET)!"})
    data = await ok.json()
    assert data["preview"] == f"Oi {pet.name}!" and data["errors"] == []
    bad = await (await client.post(f"{BASE}/previa", headers=headers, data={
        "kind": "confirmacao", "text": "Oi (XPTO)"})).json()
    assert bad["errors"] == ["Variável desconhecida: (XPTO). Use uma das variáveis da lista."]
    odd = await client.post(f"{BASE}/previa", data=b"kind=confirmacao&text=%ED%A0%80+(NOME_PET)",
                            headers={**headers,
                                     "Content-Type": "application/x-www-form-urlencoded"})
    assert odd.status < 500
    huge = await client.post(f"{BASE}/previa", headers=headers,
                             data={"kind": "confirmacao", "text": "a" * 200_000})
    assert huge.status in (200, 413)
    no_csrf = await client.post(f"{BASE}/previa", data={"text": "Oi"})
    assert no_csrf.status == 403


async def test_sending_rules_are_saved_and_refused_in_portuguese(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    csrf = await page_csrf(client, BASE)
    bad = await client.post(BASE, data={"csrf_token": csrf, "action": "rules",
                                        "quiet_start": "25:00", "quiet_end": "08:00",
                                        "late_drop_hours": "6"})
    assert bad.status == 422 and "horário inválido" in await bad.text()
    ok = await client.post(BASE, data={"csrf_token": csrf, "action": "rules",
                                       "quiet_start": "21:30", "quiet_end": "07:00",
                                       "late_drop_hours": "4"})
    assert "Regras de envio salvas." in await ok.text()
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        prefs = session.get(NotificationPrefs, shop.id)
    assert (prefs.quiet_start, prefs.quiet_end, prefs.late_drop_hours) == ("21:30", "07:00", 4)


async def test_planned_sends_and_the_history_with_meta_error(client, panel_db):
    engine = panel_db[0]
    appt, pet, tutor = _next_visit(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        outbox.plan_rows(session, shop.id, [
            outbox.Planned(kind="confirmacao", event_key="t:planned", recipient=tutor.whatsapp,
                           due_at=now + timedelta(days=2), tutor_id=tutor.id, pet_id=pet.id),
            outbox.Planned(kind="lembrete", event_key="t:failed", recipient=tutor.whatsapp,
                           due_at=now - timedelta(hours=1), tutor_id=tutor.id, pet_id=pet.id),
            outbox.Planned(kind="aniversario_pet", event_key="t:far", recipient=tutor.whatsapp,
                           due_at=now + timedelta(days=9), tutor_id=tutor.id, pet_id=pet.id),
        ], now)
        session.commit()
        failed = session.exec(select(Notification).where(
            Notification.event_key == "t:failed")).one()
        outbox.mark_failed(session, failed.id, "131047: fora da janela de 24 horas", now)
        session.commit()
    await logged_in(client, panel_db)
    page = await (await client.get(BASE)).text()
    planned = page[page.index('id="planejadas"'):page.index('id="historico"')]
    history = page[page.index('id="historico"'):]
    assert "Confirmação de agendamento" in planned and pet.name in planned
    assert "Aniversário do pet" not in planned  # 9 days ahead: beyond the 7 days shown
    assert "Falhou" in history and "131047: fora da janela de 24 horas" in history


async def test_an_attendant_cannot_open_the_notifications(client, panel_db):
    await logged_in(client, panel_db, "attendant")
    assert (await client.get(BASE)).status == 403
    page = await (await client.get("/admin/agenda")).text()
    assert 'href="/admin/notificacoes"' not in page


async def test_the_pet_care_text_is_previewed_on_the_next_scheduled_dose(client, panel_db):
    engine = panel_db[0]
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        shop = session.exec(select(Shop)).first()
        dog = session.exec(select(Pet).where(Pet.species == "cao").order_by(Pet.id)).first()
    v10 = petcare.save_protocol(engine, shop_id=shop.id, actor="t", now=now, values={
        "kind": "vacina", "name": "V10", "species": "cao", "doses": "3", "interval_days": "21",
        "repeat_days": "365"})
    petcare.schedule_dose(engine, shop=shop, pet_id=dog.id, actor="t", now=now, values={
        "protocol_id": str(v10.id), "due_on": "20/12/2030", "reminder": "1"})
    await logged_in(client, panel_db)
    page = await (await client.get(f"{BASE}?tipo=pet_care")).text()
    assert f"{dog.name} · V10 (1ª dose de 3) · 20/12/2030" in page
    assert (f"A próxima dose de V10 de {dog.name} está prevista para 20/12/2030."
            in page)
