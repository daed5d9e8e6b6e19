"""A category or a combo cannot take a name already in use (case, accents and spacing ignored),
like a service: the save is refused with a pt-BR message naming the existing one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from scheduler_core.catalog import service as catalog_service
from scheduler_core.catalog.models import Combo, ComboItem, Service, ServiceCategory
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.shop.models import Segment, Shop

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def _shouted(name: str) -> str:
    """The same name as staff might type it again: upper case, spaced, without accents."""
    plain = name.translate(str.maketrans("áàâãéêíóôõúçÁÀÂÃÉÊÍÓÔÕÚÇ", "aaaaeeiooouçAAAAEEIOOOUC"))
    return f"  {plain.upper()} "


def _errors(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.details["fields"]


def test_a_category_named_like_another_of_its_segment_is_refused(demo_sqlite):
    with Session(demo_sqlite(NOW)) as s:
        existing = s.exec(select(ServiceCategory).order_by(ServiceCategory.id)).first()
        segment = s.get(Segment, existing.segment_id)
        count = len(s.exec(select(ServiceCategory)).all())
        with pytest.raises(ValidationFailed) as exc:
            catalog_service.save_category(s, segment, None, {
                "name": _shouted(existing.name), "kind": existing.kind})
        assert _errors(exc)["name"] == (
            f"Já existe uma categoria chamada “{existing.name}” neste segmento: escolha outro "
            "nome ou edite a categoria existente.")
        assert len(s.exec(select(ServiceCategory)).all()) == count
        # Saving the category under its own name, or another segment's same name, is fine.
        catalog_service.save_category(s, segment, existing, {
            "name": existing.name, "kind": existing.kind, "display_order": "3"})
        other = s.exec(select(Segment).where(Segment.id != segment.id)).first()
        again = catalog_service.save_category(s, other, None, {
            "name": existing.name, "kind": existing.kind})
        assert again.segment_id == other.id


def test_a_combo_named_like_another_of_the_shop_is_refused(demo_sqlite):
    with Session(demo_sqlite(NOW)) as s:
        shop = s.exec(select(Shop)).one()
        existing = s.exec(select(Combo).order_by(Combo.id)).first()
        ids = [i.service_id for i in s.exec(select(ComboItem).where(
            ComboItem.combo_id == existing.id)).all()]
        values = {"name": _shouted(existing.name), "segment_id": str(existing.segment_id),
                  "discount_kind": "percentual", "discount_value": "10"}
        with pytest.raises(ValidationFailed) as exc:
            catalog_service.save_combo(s, shop, None, values, service_ids=ids, species=["cao"])
        assert _errors(exc)["name"] == (
            f"Já existe um combo chamado “{existing.name}”: escolha outro nome ou edite o "
            "combo existente.")
        renamed = catalog_service.save_combo(s, shop, existing, {**values, "name": existing.name},
                                             service_ids=ids, species=["cao"])
        assert renamed.id == existing.id


def test_a_service_keeps_its_own_rule(demo_sqlite):
    with Session(demo_sqlite(NOW)) as s:
        shop = s.exec(select(Shop)).one()
        existing = s.exec(select(Service).order_by(Service.id)).first()
        with pytest.raises(ValidationFailed) as exc:
            catalog_service.save_service(s, shop, None, {
                "name": _shouted(existing.name), "category_id": str(existing.category_id)},
                species=["cao"], grid={("pequeno", "curta"): catalog_service.PriceCellInput(
                    "50", "60")})
        assert f"Já existe um serviço chamado “{existing.name}”" in _errors(exc)["name"]
