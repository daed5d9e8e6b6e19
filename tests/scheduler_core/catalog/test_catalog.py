"""The catalogue for a pet: prices and durations from the table, bot filtering, combos, add-ons,
"a partir de" prices and Leva e Traz fees."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scheduler_core.catalog import offers as catalog
from scheduler_core.catalog.models import Combo, ComboItem, LevaETrazZone, Service, ServiceCategory
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.money import format_brl
from scheduler_core.people.breeds import load_breeds
from scheduler_core.people.models import Breed, Pet
from scheduler_core.shop.models import Segment, Shop
from tests.scheduler_core.factories import build_shop, create_category, create_service


@pytest.fixture
def world(db_engine):
    w = build_shop(db_engine)
    with w.session() as s:
        banho = s.get(Service, w.services["banho"])
        # Only two cells: a pet of another size cannot have it.
        create_service(
            s,
            s.get(ServiceCategory, w.categories["banho"]),
            "Banho premium",
            price_cents=None,
            cells={("pequeno", "curta"): (6500, 75), ("grande", "longa"): (14000, 120)},
            display_order=2,
        )
        adicionais = create_category(s, s.get(Segment, w.segment_id), "Adicionais",
                                     kind="adicional", display_order=3)  # fmt: skip
        create_service(s, adicionais, "Corte de unhas", price_cents=2000, duration_min=10)
        create_service(
            s, adicionais, "Hidratação", price_cents=3000, duration_min=15, is_addon=True
        )
        tosa = s.get(Service, w.services["tosa"])
        combo = Combo(segment_id=w.segment_id, name="Banho + Tosa", discount_value=10)
        combo_valor = Combo(
            segment_id=w.segment_id, name="Banho e Tosa R$", discount_kind="valor",
            discount_value=1500,
        )  # fmt: skip
        s.add_all([combo, combo_valor])
        s.flush()
        for c in (combo, combo_valor):
            s.add(ComboItem(combo_id=c.id, service_id=banho.id))
            s.add(ComboItem(combo_id=c.id, service_id=tosa.id))
        s.commit()
    return w


def _names(offers) -> list[str]:
    return [o.name for o in offers]


def test_prices_and_durations_come_from_the_pets_cell(world):
    with world.session() as s:
        result = catalog.services_for_pet(s, world.shop_id, world.pet_id)  # pequeno curta
        offers = {o.name: o for o in result.services}
        assert offers["Banho"].price_cents == 5000 and offers["Banho"].duration_min == 60
        assert offers["Banho premium"].price_cents == 6500
        assert offers["Banho premium"].duration_min == 75
        assert offers["Banho premium"].price_label == "R$ 65,00"
        # Catalogue order: category order, then display order.
        assert _names(result.services) == ["Banho", "Banho premium", "Tosa"]
        assert _names(result.addons) == ["Corte de unhas", "Hidratação"]


def test_services_without_a_cell_for_the_pet_are_left_out(world):
    pet_id = world.add_pet(name="Bidu", porte="medio", pelagem="media")
    with world.session() as s:
        result = catalog.services_for_pet(s, world.shop_id, pet_id)
        assert "Banho premium" not in _names(result.services)


def test_a_pet_without_size_sees_a_partir_de_prices(world):
    pet_id = world.add_pet(name="Novo", porte=None, pelagem=None)
    with world.session() as s:
        offers = {o.name: o for o in catalog.services_for_pet(s, world.shop_id, pet_id).services}
        premium = offers["Banho premium"]
        assert premium.price_cents is None and premium.duration_min is None
        assert premium.min_price_cents == 6500
        assert premium.price_label == "a partir de R$ 65,00"


def test_bot_hides_services_off_the_bot_inactive_or_for_other_species(world):
    with world.session() as s:
        rows = {svc.name: svc for svc in s.exec(select(Service)).all()}
        rows["Banho premium"].show_on_bot = False
        rows["Tosa"].species = ["gato"]
        rows["Hidratação"].active = False
        s.commit()
        bot = catalog.services_for_pet(s, world.shop_id, world.pet_id, channel="bot")
        staff = catalog.services_for_pet(s, world.shop_id, world.pet_id, channel="staff")
        assert _names(bot.services) == ["Banho"]
        assert _names(staff.services) == ["Banho", "Banho premium"]
        assert "Hidratação" not in _names(staff.addons)
        # A combo with a component that is not offered disappears too.
        assert bot.combos == ()


def test_combos_are_priced_with_percent_or_reais_discount(world):
    with world.session() as s:
        combos = {
            c.name: c for c in catalog.services_for_pet(s, world.shop_id, world.pet_id).combos
        }
        percent = combos["Banho + Tosa"]
        assert (percent.full_price_cents, percent.discount_cents, percent.price_cents) == (
            9000,
            900,
            8100,
        )
        assert percent.duration_min == 90 and percent.price_label == "R$ 81,00"
        reais = combos["Banho e Tosa R$"]
        assert reais.price_cents == 7500 and reais.discount_cents == 1500


def test_combo_price_never_goes_negative():
    assert catalog.combo_price(1000, "valor", 5000) == (0, 1000)
    assert catalog.combo_price(1000, "percentual", 150) == (0, 1000)


def test_segment_filter_and_inactive_segment(world):
    with world.session() as s:
        assert catalog.services_for_pet(s, world.shop_id, world.pet_id, "clinica").services == ()
        segment = s.get(Segment, world.segment_id)
        segment.active = False
        s.commit()
        assert catalog.list_services(s, world.shop_id).services == ()


def test_whole_catalogue_without_a_pet(world):
    with world.session() as s:
        result = catalog.list_services(s, world.shop_id)
        assert result.pet_id is None
        assert {o.price_label for o in result.services} >= {"a partir de R$ 50,00"}


def test_breed_billing_uses_the_breed_cell(world):
    with world.session() as s:
        load_breeds(s)
        shih = s.exec(select(Breed).where(Breed.species == "cao", Breed.name == "Shih Tzu")).one()
        s.get(Shop, world.shop_id).billing_mode = "raca"
        create_service(
            s,
            s.get(ServiceCategory, world.categories["banho"]),
            "Banho por raça",
            price_cents=None,
            breed_cells={shih.id: (7700, 80)},
        )
        pet = s.get(Pet, world.pet_id)
        pet.breed_id = shih.id
        s.commit()
        result = catalog.services_for_pet(s, world.shop_id, world.pet_id)
        assert [(o.name, o.price_cents, o.duration_min) for o in result.services] == [
            ("Banho por raça", 7700, 80)
        ]


@pytest.mark.parametrize(
    "kwargs, error",
    [({"segment_kind": "spa"}, ValidationFailed), ({"channel": "fax"}, ValidationFailed)],
)
def test_bad_filters_are_validation_errors(world, kwargs, error):
    with world.session() as s, pytest.raises(error):
        catalog.services_for_pet(s, world.shop_id, world.pet_id, **kwargs)


def test_a_pet_of_another_shop_is_not_found(world):
    with world.session() as s, pytest.raises(NotFound):
        catalog.services_for_pet(s, world.shop_id + 1, world.pet_id)


def test_leva_e_traz_fee_by_neighbourhood_cep_or_flat_fee(world):
    with world.session() as s:
        shop = s.get(Shop, world.shop_id)
        assert catalog.leva_e_traz_fee(s, shop.id, neighborhood="Pinheiros") is None  # disabled
        shop.leva_e_traz_enabled = True
        s.add(
            LevaETrazZone(
                shop_id=shop.id, name="Zona 1", neighborhoods=["Vila Madalena", "Pinheiros"],
                cep_prefixes=["05435"], fee_cents=1500,
            )
        )  # fmt: skip
        s.commit()
        fee, zone = catalog.leva_e_traz_fee(s, shop.id, neighborhood="pinheiros")
        assert fee == 1500 and zone.name == "Zona 1"
        assert catalog.leva_e_traz_fee(s, shop.id, cep="05435-020")[0] == 1500
        assert catalog.leva_e_traz_fee(s, shop.id, neighborhood="Mooca") is None
        shop.leva_e_traz_flat_fee_cents = 2500
        s.commit()
        assert catalog.leva_e_traz_fee(s, shop.id, neighborhood="Mooca") == (2500, None)


def test_money_is_formatted_the_brazilian_way():
    assert format_brl(123456) == "R$ 1.234,56"
    assert format_brl(5) == "R$ 0,05"


def test_price_table_by_porte_without_a_pet(world):
    """A new tutor's price question: each service's range per porte (over the pelagens), one
    price when the porte makes no difference, in catalogue order; no table, no row."""
    with world.session() as s:
        tosas = s.get(ServiceCategory, world.categories["tosa"])
        create_service(
            s, tosas, "Tosa completa", price_cents=None, display_order=2,
            cells={("mini", "curta"): (6000, 60), ("mini", "longa"): (7000, 75),
                   ("gigante", "curta"): (14000, 90), ("gigante", "longa"): (18050, 120)},
        )  # fmt: skip
        create_service(s, tosas, "Tosa sem tabela", price_cents=None, display_order=3)
        hidden = create_service(s, tosas, "Tosa da equipe", display_order=4, show_on_bot=False)
        s.commit()
        rows = {r.name: r for r in catalog.price_table_by_porte(s, world.shop_id)}
        assert list(rows) == ["Banho", "Banho premium", "Tosa", "Tosa completa",
                              "Corte de unhas", "Hidratação"]  # fmt: skip
        assert rows["Banho"].label() == "R$ 50"
        assert rows["Banho premium"].label() == "Pequeno R$ 65 · Grande R$ 140"
        assert rows["Tosa completa"].label() == "Mini R$ 60 a 70 · Gigante R$ 140 a 180,50"
        assert rows["Tosa completa"].label(from_only=True) == "Mini R$ 60 · Gigante R$ 140"
        assert rows["Hidratação"].is_addon and not rows["Banho"].is_addon
        staff = catalog.price_table_by_porte(s, world.shop_id, channel="staff")
        assert hidden.name in [r.name for r in staff]


def test_price_table_of_a_shop_billing_by_breed_is_one_range(world):
    with world.session() as s:
        load_breeds(s)
        breeds = s.exec(select(Breed).where(Breed.species == "cao").limit(2)).all()
        s.get(Shop, world.shop_id).billing_mode = "raca"
        create_service(
            s, s.get(ServiceCategory, world.categories["banho"]), "Banho por raça",
            price_cents=None, breed_cells={breeds[0].id: (7700, 80), breeds[1].id: (9900, 90)},
        )  # fmt: skip
        s.commit()
        rows = {r.name: r for r in catalog.price_table_by_porte(s, world.shop_id)}
        assert rows["Banho por raça"].by_porte == ()
        assert rows["Banho por raça"].label() == "R$ 77 a 99"
        assert rows["Banho por raça"].label(from_only=True) == "R$ 77"
