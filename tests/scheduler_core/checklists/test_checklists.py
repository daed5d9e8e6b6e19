"""Checklists per segment and stage: configuration, answers per visit, the required-item rule
on status moves, photos and the text lines for the tutor's messages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler_core.checklists import answers, photos, service
from scheduler_core.checklists.answers import ChecklistIncomplete
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.scheduling import visit_status
from scheduler_core.scheduling.checklist_move import answer_and_set_status
from tests.scheduler_core.booking_helpers import NOW, book_at
from tests.scheduler_core.factories import build_shop

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
LATER = NOW + timedelta(days=5)


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _item(world, stage, label, kind="sim_nao", required=False, options=""):
    return service.save_item(world.engine, shop_id=world.shop_id, segment_id=world.segment_id,
                             stage=stage, values={"label": label, "kind": kind,
                                                  "required": "1" if required else "",
                                                  "options": options})


def test_a_pet_shop_segment_starts_with_the_wizard_checklist(world):
    items = service.segment_items(world.engine, shop_id=world.shop_id,
                                  segment_id=world.segment_id, stage="agendado")
    assert [i.label for i in items] == list(service.DEFAULT_PET_SHOP)
    assert all(i.kind == "sim_nao" and not i.required for i in items)
    # Seeded once: removing an item does not bring it back.
    service.remove_item(world.engine, shop_id=world.shop_id, item_id=items[0].id)
    again = service.segment_items(world.engine, shop_id=world.shop_id,
                                  segment_id=world.segment_id, stage="agendado")
    assert [i.label for i in again] == list(service.DEFAULT_PET_SHOP[1:])


def test_items_are_validated_and_ordered(world):
    with pytest.raises(ValidationFailed, match="duas opções"):
        _item(world, "recebido", "Humor", kind="escolha", options="calmo")
    with pytest.raises(ValidationFailed, match="Tipo de item inválido"):
        _item(world, "recebido", "Humor", kind="<script>")
    with pytest.raises(ValidationFailed, match="texto do item"):
        _item(world, "recebido", "   ")
    first = _item(world, "recebido", "Peso", kind="numero")
    second = _item(world, "recebido", "Humor", kind="escolha", options="calmo\nagitado\ncalmo")
    assert second.options == ["calmo", "agitado"]
    service.move_item(world.engine, shop_id=world.shop_id, item_id=second.id, up=True)
    items = service.segment_items(world.engine, shop_id=world.shop_id,
                                  segment_id=world.segment_id, stage="recebido")
    assert [i.id for i in items] == [second.id, first.id]


def test_a_required_item_blocks_the_move_until_answered(world):
    temp = _item(world, "recebido", "Temperatura", kind="numero", required=True)
    _item(world, "recebido", "Observação", kind="texto")
    appt = book_at(world, "09:00")
    with pytest.raises(ChecklistIncomplete, match="Checklist de Recebido incompleta.*Temperatura"):
        visit_status.set_status(world.engine, appointment_id=appt.id, status="recebido",
                                now=LATER, actor="staff:1")
    # Skipping Recebido does not skip its checklist.
    with pytest.raises(ChecklistIncomplete):
        visit_status.set_status(world.engine, appointment_id=appt.id, status="finalizado",
                                now=LATER, actor="staff:1")
    with pytest.raises(ValidationFailed, match="informe um número"):
        answer_and_set_status(world.engine, appointment_id=appt.id, status="recebido",
                              raw={str(temp.id): "quente"}, now=LATER, actor="staff:1")
    moved = answer_and_set_status(world.engine, appointment_id=appt.id, status="recebido",
                                  raw={str(temp.id): "38.5"}, now=LATER, actor="staff:7")
    assert moved.status == "recebido"
    [answer] = answers.visit_answers(world.engine, appt.id)
    assert (answer.label, answer.value, answer.answered_by) == ("Temperatura", "38,5", "staff:7")
    assert answers.answer_lines(world.engine, appt.id) == ["Temperatura: 38,5"]


def test_choice_and_yes_no_answers_become_text_lines(world):
    mood = _item(world, "finalizado", "Humor", kind="escolha", options="calmo\nagitado")
    bow = _item(world, "finalizado", "Laço", kind="sim_nao")
    appt = book_at(world, "10:00")
    with pytest.raises(ValidationFailed, match="escolha uma das opções"):
        answers.record_answers(world.engine, appointment_id=appt.id, stage="finalizado",
                               raw={str(mood.id): "bravo"}, now=LATER, actor="staff:1")
    answers.record_answers(world.engine, appointment_id=appt.id, stage="finalizado",
                           raw={str(mood.id): "agitado", str(bow.id): "sim"}, now=LATER,
                           actor="staff:1")
    assert answers.answer_lines(world.engine, appt.id, "finalizado") == [
        "Humor: agitado", "Laço: Sim"]
    assert answers.answer_lines(world.engine, appt.id, "recebido") == []


def test_photos_are_checked_and_stored(world, tmp_path):
    photo = _item(world, "entregue", "Foto do pet pronto", kind="foto", required=True)
    appt = book_at(world, "11:00")
    with pytest.raises(ValidationFailed, match="JPEG, PNG ou WebP"):
        answers.record_answers(world.engine, appointment_id=appt.id, stage="entregue", raw={},
                               photos={photo.id: b"GIF89a..."}, photo_folder=tmp_path,
                               now=LATER, actor="staff:1")
    with pytest.raises(ValidationFailed, match="o limite é 3 MB"):
        photos.photo_type(b"\xff\xd8\xff" + b"0" * photos.MAX_PHOTO_BYTES)
    assert photos.photo_type(b"RIFF\0\0\0\0WEBPVP8 ") == "webp"
    moved = answer_and_set_status(world.engine, appointment_id=appt.id, status="entregue",
                                  raw={}, photos={photo.id: PNG}, photo_folder=tmp_path,
                                  now=LATER, actor="staff:1")
    assert moved.status == "entregue"
    [answer] = answers.visit_answers(world.engine, appt.id)
    stored = photos.photo_file(tmp_path, answer.value)
    assert stored is not None and stored.read_bytes() == PNG
    assert photos.photo_file(tmp_path, "../../etc/passwd") is None
    assert answers.answer_lines(world.engine, appt.id) == []
