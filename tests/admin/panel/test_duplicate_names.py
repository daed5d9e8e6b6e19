"""The panel refuses a second category or combo of the same name (as it does services): a 422
with the pt-BR message, the form keeping what was typed, nothing saved."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.catalog.models import Combo, ComboItem, ServiceCategory

from .conftest import logged_in
from .test_config_forms import _post


async def test_a_second_category_with_the_same_name_is_refused(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        existing = session.exec(select(ServiceCategory).order_by(ServiceCategory.id)).first()
        count = len(session.exec(select(ServiceCategory)).all())
    await logged_in(client, panel_db)
    typed = f"  {existing.name.upper()} "
    response = await _post(client, "/admin/config/categorias", {
        "segment_id": str(existing.segment_id), "name": typed, "kind": existing.kind,
        "display_order": "7"})
    html = await response.text()
    assert response.status == 422
    assert f"Já existe uma categoria chamada “{existing.name}” neste segmento" in html
    assert f'<input name="name" value="{typed}">' in html and 'value="7"' in html
    with Session(engine) as session:
        assert len(session.exec(select(ServiceCategory)).all()) == count


async def test_renaming_a_category_to_a_taken_name_keeps_the_typed_name_in_its_row(
        client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        first, second = session.exec(select(ServiceCategory).where(
            ServiceCategory.segment_id == select(ServiceCategory.segment_id)
            .order_by(ServiceCategory.id).limit(1).scalar_subquery())
            .order_by(ServiceCategory.id)).all()[:2]
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/categorias", {
        "category_id": str(second.id), "segment_id": str(second.segment_id),
        "name": first.name.lower(), "kind": second.kind, "display_order": "4"})
    html = await response.text()
    assert response.status == 422 and f"Já existe uma categoria chamada “{first.name}”" in html
    assert f'value="{first.name.lower()}" aria-label="Nome"' in html
    with Session(engine) as session:
        assert session.get(ServiceCategory, second.id).name == second.name


async def test_a_second_combo_with_the_same_name_is_refused(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        existing = session.exec(select(Combo).order_by(Combo.id)).first()
        ids = [i.service_id for i in session.exec(select(ComboItem).where(
            ComboItem.combo_id == existing.id)).all()]
        count = len(session.exec(select(Combo)).all())
    await logged_in(client, panel_db)
    typed = existing.name.upper()
    response = await _post(client, "/admin/config/combos/novo", [
        ("name", typed), ("segment_id", str(existing.segment_id)),
        ("discount_kind", "valor"), ("discount_value", "12,50"), ("species", "gato"),
        *[("services", str(i)) for i in ids]])
    html = await response.text()
    assert response.status == 422
    assert f"Já existe um combo chamado “{existing.name}”" in html
    assert f'value="{typed}"' in html and 'value="12,50"' in html
    with Session(engine) as session:
        assert len(session.exec(select(Combo)).all()) == count
