"""Configuration forms with a hand-edited id: a field that is not a number answers a pt-BR field
error (422, nothing saved), and a combo or restriction id that does not exist is a 404, never a
"new" form. Driven through the real app with aiohttp's test client."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.agenda.models import Block, Restriction
from scheduler_core.catalog.models import Combo, Service
from scheduler_core.shop.models import Segment

from .conftest import PIN, logged_in, page_csrf


async def _post(client, path: str, data, csrf_path: str | None = None):
    token = await page_csrf(client, csrf_path or path)
    return await client.post(path, data=[("csrf_token", token), *data])


def _count(engine, model) -> int:
    with Session(engine) as session:
        return len(session.exec(select(model)).all())


async def test_service_with_a_category_that_is_not_a_number_is_a_field_error(client, panel_db):
    engine = panel_db[0]
    before = _count(engine, Service)
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/servicos/novo", [
        ("name", "Banho"), ("category_id", "banho"), ("species", "cao"),
        ("price_pequeno_curta", "50"), ("dur_pequeno_curta", "60")])
    assert response.status == 422
    assert "Escolha a categoria do serviço." in await response.text()
    assert _count(engine, Service) == before


async def test_combo_with_a_segment_that_is_not_a_number_is_a_field_error(client, panel_db):
    engine = panel_db[0]
    before = _count(engine, Combo)
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/combos/novo", [
        ("name", "Combo"), ("segment_id", "x1"), ("discount_kind", "percentual"),
        ("discount_value", "10"), ("species", "cao")])
    assert response.status == 422
    assert "Escolha o segmento." in await response.text()
    assert _count(engine, Combo) == before


async def test_block_for_an_employee_that_is_not_a_number_is_a_field_error(client, panel_db):
    engine = panel_db[0]
    before = _count(engine, Block)
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/bloqueios", [
        ("action", "create"), ("dates", "2030-01-10"), ("all_day", "1"),
        ("employee_id", "Ana"), ("operator_pin", PIN)])
    assert response.status == 422
    assert "Profissional desconhecido." in await response.text()
    assert _count(engine, Block) == before


async def test_superscript_digits_in_a_multi_select_are_ignored_not_a_crash(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        segment = session.exec(select(Segment).order_by(Segment.id)).first()
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/combos/novo", [
        ("name", "Combo"), ("segment_id", str(segment.id)), ("services", "²"),
        ("discount_kind", "percentual"), ("discount_value", "10"), ("species", "cao")])
    assert response.status == 422
    assert "pelo menos 2 serviços" in await response.text()


async def test_a_combo_that_does_not_exist_is_not_found(client, panel_db):
    engine = panel_db[0]
    before = _count(engine, Combo)
    await logged_in(client, panel_db)
    response = await client.get("/admin/config/combos/987654")
    assert response.status == 404
    assert "Combo não encontrado." in await response.text()
    response = await _post(client, "/admin/config/combos/987654", [
        ("name", "Fantasma"), ("discount_kind", "percentual"), ("discount_value", "0")],
        csrf_path="/admin/config/combos/novo")
    assert response.status == 404
    assert _count(engine, Combo) == before


async def test_a_restriction_that_does_not_exist_is_not_found(client, panel_db):
    engine = panel_db[0]
    before = _count(engine, Restriction)
    await logged_in(client, panel_db)
    response = await client.get("/admin/config/restricoes/987654")
    assert response.status == 404
    assert "Restrição não encontrada." in await response.text()
    response = await _post(client, "/admin/config/restricoes/987654", [
        ("name", "Fantasma"), ("scope", "ambos"), ("weekdays", "1"), ("description", "x")],
        csrf_path="/admin/config/restricoes/novo")
    assert response.status == 404
    assert _count(engine, Restriction) == before
