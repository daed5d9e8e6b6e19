"""Plan templates (create, update, refusals, sale filter) and the plans read side (indicator
buckets, the tutor page's card). SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler_core.db.engine import write_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.plans import lifecycle, queries, templates
from scheduler_core.plans import service as plans
from scheduler_core.plans.models import PetPlan
from tests.scheduler_core.factories import NOW, build_shop

TODAY = NOW.date()


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, bot_settings={"min_notice_hours": 0})


def _save(world, values, species=("cao",), rows=None, template_id=None, breed_ids=()):
    rows = rows if rows is not None else [
        {"service_id": str(world.services["banho"]), "quantity": "4"}]
    with write_session(world.engine, expire_on_commit=False) as s:
        return templates.save_template(s, world.shop_id, template_id, values, species, rows,
                                       breed_ids, now=NOW, actor="staff:1")


PACKAGE = {"name": "Pacote 8 banhos", "kind": "pacote", "price": "320,00", "months": "3",
           "charge_every_n": "4", "discount_pct": "10", "payment_method": "pix",
           "price_grande": "400", "allow_rollover": "1"}


def test_a_package_template_is_saved_with_its_services_and_prices(world):
    t = _save(world, PACKAGE, rows=[
        {"service_id": str(world.services["banho"]), "quantity": "8", "reserve": "semanal",
         "per_week": "1"}, {"service_id": ""}])
    with Session(world.engine) as s:
        row = templates.get_template(s, world.shop_id, t.id)
    assert (row.template.kind, row.template.charge_every_n, row.template.months) == (
        "pacote", 4, 3)
    assert row.template.price_cents == 32000 and row.template.price_by_porte == {"grande": 40000}
    assert row.template.allow_rollover and not row.template.show_on_bot
    assert row.summary == "8 × Banho" and row.services[0].reserve == "semanal"


def test_a_plan_takes_its_period_from_the_kind_and_updates_replace_the_services(world):
    t = _save(world, {"name": "Trimestral", "kind": "trimestral", "price": "100"})
    assert t.months == 3 and t.charge_every_n is None
    _save(world, {"name": "Trimestral", "kind": "trimestral", "price": "100"}, rows=[
        {"service_id": str(world.services["tosa"]), "quantity": "1"}], template_id=t.id)
    with Session(world.engine) as s:
        assert templates.get_template(s, world.shop_id, t.id).summary == "1 × Tosa"


def test_an_invalid_template_answers_each_field_in_portuguese_and_saves_nothing(world):
    bad = {"name": "", "kind": "semanal", "price": "-5", "discount_pct": "150",
           "payment_method": "boleto"}
    with pytest.raises(ValidationFailed) as info:
        _save(world, bad, species=(), rows=[{"service_id": "999999", "quantity": "0"}])
    fields = info.value.details["fields"]
    assert fields["name"] == "Dê um nome ao plano."
    assert "tipo" in fields["kind"] and "espécie" in fields["species"]
    assert "negativo" in fields["price"] and "100" in fields["discount_pct"]
    assert fields["service_0"] == "Serviço inválido." and "pagamento" in fields["payment_method"]
    with pytest.raises(ValidationFailed) as info:
        _save(world, {**PACKAGE, "charge_every_n": "9"}, rows=[
            {"service_id": str(world.services["banho"]), "quantity": "8"}])
    assert "máximo é 8" in info.value.details["fields"]["charge_every_n"]
    with pytest.raises(ValidationFailed) as info:
        _save(world, PACKAGE, rows=[])
    assert "pelo menos um serviço" in info.value.details["fields"]["services"]
    with Session(world.engine) as s:
        assert templates.list_templates(s, world.shop_id) == []


def test_the_sale_offers_only_active_templates_of_the_pets_species(world):
    dogs = _save(world, PACKAGE)
    _save(world, {**PACKAGE, "name": "Gatos"}, species=("gato",))
    hidden = _save(world, {**PACKAGE, "name": "Antigo"})
    with write_session(world.engine) as s:
        templates.set_active(s, world.shop_id, hidden.id, False)
    with Session(world.engine) as s:
        assert [r.template.id for r in templates.templates_for_pet(s, world.pet_id)] == [dogs.id]


def _sold(world, days_left, **kwargs):
    """A monthly plan ending ``days_left`` days after today."""
    tid = world.add_plan_template(name=f"Plano {days_left}")
    pet = kwargs.pop("pet_id", None) or world.add_pet(name=f"Pet {days_left}")
    plan = plans.sell_plan(world.engine, pet_id=pet, template_id=tid, start_date=TODAY,
                           now=NOW, actor="staff:1")
    with write_session(world.engine) as s:
        row = s.get(PetPlan, plan.id)
        row.end_date = TODAY + timedelta(days=days_left)
        row.start_date = min(row.start_date, row.end_date)
        s.add(row)
    return plan.id


def test_the_indicator_buckets_sort_plans_by_their_end_date(world):
    week, two, month, later = (_sold(world, d) for d in (6, 7, 30, 31))
    ended = _sold(world, -2)
    renewed_pet = world.add_pet(name="Renovou")
    old = _sold(world, -3, pet_id=renewed_pet)
    _sold(world, 40, pet_id=renewed_pet)
    cancelled = _sold(world, 20)
    with write_session(world.engine) as s:
        lifecycle.cancel_plan(s, cancelled, cancel_future_visits=True, now=NOW, actor="t")
    with Session(world.engine) as s:
        counts = queries.bucket_counts(s, world.shop_id, today=TODAY)
        listed = {b: [r.id for r in queries.plan_list(s, world.shop_id, today=TODAY, bucket=b)]
                  for b in queries.BUCKET_LABELS}
        every = queries.plan_list(s, world.shop_id, today=TODAY, bucket=None)
    assert listed["semana"] == [week] and listed["duas_semanas"] == [two]
    assert listed["mes"] == [month] and set(listed["mais_mes"]) == {later, every[-1].id}
    assert listed["nao_renovado"] == [ended] and listed["cancelado"] == [cancelled]
    assert old not in sum(listed.values(), [])
    assert counts == {b: len(ids) for b, ids in listed.items()} and len(every) == 8
    assert next(r for r in every if r.id == ended).renewable


def test_the_tutor_card_shows_cycles_invoices_counters_and_records(world):
    tid = _save(world, PACKAGE, rows=[
        {"service_id": str(world.services["banho"]), "quantity": "8"}]).id
    plan = plans.sell_plan(world.engine, pet_id=world.pet_id, template_id=tid,
                           start_date=TODAY, now=NOW, actor="staff:1")
    with Session(world.engine) as s:
        cards = queries.tutor_plans(s, world.tutor_id, today=TODAY)
    card = cards[world.pet_id][0]
    assert card.status.pet_plan_id == plan.id and card.status_label == "Ativo"
    assert [c.seq for c in card.status.cycles] == [1, 2]
    first = card.status.cycles[0]
    assert card.invoices[first.id].totals.total_cents == first.amount_cents
    assert (first.id, world.services["banho"]) in card.allowance_ids
    assert [r.label for r in card.records] == ["Venda"] and card.usage == ()


def test_breeds_finer_prices_and_the_fixed_slot_are_stored_and_used(world):
    from scheduler_core.people.models import Breed, Pet

    with write_session(world.engine, expire_on_commit=False) as s:
        dog_breed, cat_breed = Breed(species="cao", name="Poodle"), Breed(species="gato",
                                                                           name="Persa")
        s.add_all([dog_breed, cat_breed, Breed(species="cao", name="Pug")])
        s.flush()
        pet = s.get(Pet, world.pet_id)
        porte, pelagem = pet.porte, pet.pelagem
    values = {**PACKAGE, "discount_pct": "10", f"price_{porte}_{pelagem}": "300",
              "breed_price_id_0": str(dog_breed.id), "breed_price_0": "250"}
    rows = [{"service_id": str(world.services["banho"]), "quantity": "8", "reserve": "semanal",
             "per_week": "1", "weekday": "2", "start_time": "9:30"}]
    with pytest.raises(ValidationFailed) as info:
        _save(world, values, rows=rows, breed_ids=[str(cat_breed.id)])
    assert "espécies do plano" in info.value.details["fields"]["breed_ids"]
    with pytest.raises(ValidationFailed) as info:
        _save(world, {**values, "breed_price_0": ""}, rows=[{**rows[0], "start_time": "25:00"}])
    fields = info.value.details["fields"]
    assert "preço desta raça" in fields["breed_price_0"] and "inválido" in fields["start_time_0"]
    t = _save(world, values, rows=rows)
    with Session(world.engine) as s:
        row = templates.get_template(s, world.shop_id, t.id)
        pet = s.get(Pet, world.pet_id)
        assert (row.services[0].weekday, row.services[0].start_time) == (2, "09:30")
        # Porte × pelagem beats the base price; the discount comes off (R$ 300 − 10 %).
        pet.breed_id = None
        assert templates.price_for_pet(row.template, pet) == 27000
        pet.breed_id = dog_breed.id
        assert templates.price_for_pet(row.template, pet) == 22500
    # A sale without a price (the API's) takes the same price as the panel's form.
    with write_session(world.engine) as s:
        s.get(Pet, world.pet_id).breed_id = dog_breed.id
    sold = plans.sell_plan(world.engine, pet_id=world.pet_id, template_id=t.id,
                           start_date=TODAY, now=NOW, actor="staff:1")
    assert sold.price_cents == 22500
    only_other = _save(world, {**values, "name": "Só outra raça"}, rows=rows,
                       breed_ids=[str(b) for b in _other_breeds(world, dog_breed.id)])
    with write_session(world.engine) as s:
        s.get(Pet, world.pet_id).breed_id = dog_breed.id
    with Session(world.engine) as s:
        offered = [r.template.id for r in templates.templates_for_pet(s, world.pet_id)]
    assert t.id in offered and only_other.id not in offered


def _other_breeds(world, breed_id):
    from scheduler_core.people.models import Breed

    with Session(world.engine) as s:
        return [b.id for b in s.exec(select(Breed).where(Breed.species == "cao",
                                                         Breed.id != breed_id)).all()][:2]
