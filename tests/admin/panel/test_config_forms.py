"""Configuration forms: each invalid form answers in pt-BR (422) and saves nothing; a valid one
is saved. Driven through the real app with aiohttp's test client."""

from __future__ import annotations

from sqlmodel import Session, select

from scheduler_core.agenda.models import Block, Restriction
from scheduler_core.catalog.models import Combo, PriceEntry, Service, ServiceCategory
from scheduler_core.chatbot.models import BotSettings
from scheduler_core.kernel.forms import FieldError, parse_money, parse_ranges
from scheduler_core.shop.models import Employee, OpeningRange, Segment, Shop, WorkingRange

from .conftest import PIN, logged_in, page_csrf

# --------------------------------------------------------------------------- pure parsers


def test_money_accepts_brazilian_formats_and_refuses_negative():
    assert parse_money("45") == 4500
    assert parse_money("45,9") == 4590
    assert parse_money("R$ 1.234,56") == 123456
    assert parse_money("45.50") == 4550
    for bad in ("-10", "abc", "1,234,5"):
        try:
            parse_money(bad)
        except FieldError as exc:
            assert "negativo" in str(exc) or "inválido" in str(exc)
        else:
            raise AssertionError(f"{bad} accepted")


def test_ranges_refuse_overlap_end_before_start_and_a_fourth_break():
    assert parse_ranges([("12:00", "18:00"), ("08:00", "11:00")], max_ranges=4, what="Seg") == [
        ("08:00", "11:00"), ("12:00", "18:00")]
    cases = {
        "sobrepõem": [("08:00", "12:00"), ("11:00", "14:00")],
        "depois do início": [("18:00", "08:00")],
        "3 intervalos": [("06:00", "07:00"), ("08:00", "09:00"), ("10:00", "11:00"),
                         ("12:00", "13:00"), ("14:00", "15:00")],
    }
    for message, ranges in cases.items():
        try:
            parse_ranges(ranges, max_ranges=4, what="Seg")
        except FieldError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(message)


# --------------------------------------------------------------------------- forms


async def _post(client, path: str, data: dict, csrf_path: str | None = None):
    token = await page_csrf(client, csrf_path or path)
    if isinstance(data, list):
        return await client.post(path, data=[("csrf_token", token), *data])
    return await client.post(path, data={"csrf_token": token, **data})


def _segment(engine) -> Segment:
    with Session(engine) as session:
        return session.exec(select(Segment).order_by(Segment.id)).first()


def _opening(engine, segment_id):
    with Session(engine) as session:
        return sorted((r.weekday, r.start, r.end) for r in session.exec(
            select(OpeningRange).where(OpeningRange.segment_id == segment_id)).all())


def _hours_form(segment_id, monday_ranges, open_days=(0,)):
    data = [("segment_id", str(segment_id)), ("slot_step_min", "15")]
    data += [("open", str(d)) for d in open_days]
    for i, (s, e) in enumerate(monday_ranges):
        data += [(f"d0_start_{i}", s), (f"d0_end_{i}", e)]
    for d in open_days:
        if d != 0:
            data += [(f"d{d}_start_0", "09:00"), (f"d{d}_end_0", "17:00")]
    return data


async def test_opening_hours_with_overlapping_ranges_are_refused_and_not_saved(client, panel_db):
    engine = panel_db[0]
    segment = _segment(engine)
    before = _opening(engine, segment.id)
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/horarios",
                           _hours_form(segment.id, [("08:00", "12:00"), ("11:00", "18:00")]),
                           f"/admin/config/horarios?segmento={segment.id}")
    assert response.status == 422
    assert "se sobrepõem" in await response.text()
    assert _opening(engine, segment.id) == before


async def test_opening_hours_allow_three_breaks_but_not_four(client, panel_db):
    engine = panel_db[0]
    segment = _segment(engine)
    await logged_in(client, panel_db)
    # The form has four range rows: four ranges = three breaks is the most it can hold.
    ok = await _post(client, "/admin/config/horarios", _hours_form(
        segment.id, [("08:00", "10:00"), ("10:30", "12:00"), ("13:00", "15:00"),
                     ("15:30", "18:00")], open_days=(0, 2)))
    assert ok.status == 200 and "salvo" in await ok.text()
    assert _opening(engine, segment.id) == [
        (0, "08:00", "10:00"), (0, "10:30", "12:00"), (0, "13:00", "15:00"),
        (0, "15:30", "18:00"), (2, "09:00", "17:00")]
    data = _hours_form(segment.id, [("08:00", "09:00"), ("09:30", "10:00"), ("10:30", "11:00"),
                                    ("11:30", "12:00")])
    data += [("d0_start_4", "13:00"), ("d0_end_4", "14:00")]
    # A fifth row sent by hand is ignored (only four are read), never saved.
    await _post(client, "/admin/config/horarios", data)
    assert all(r[1] != "13:00" for r in _opening(engine, segment.id))


async def test_opening_hours_end_before_start_is_refused(client, panel_db):
    engine = panel_db[0]
    segment = _segment(engine)
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/horarios",
                           _hours_form(segment.id, [("18:00", "08:00")]))
    assert response.status == 422
    assert "deve ser depois do início" in await response.text()


async def test_employee_with_invalid_cpf_is_not_saved(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        count = len(session.exec(select(Employee)).all())
        category = session.exec(select(ServiceCategory)).first()
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/funcionarios/novo", [
        ("name", "Fulano"), ("cpf", "123.456.789-00"), ("has_calendar", "1"), ("active", "1"),
        ("species", "cao"), ("categories", str(category.id)), ("works", "0"),
        ("d0_start_0", "08:00"), ("d0_end_0", "17:00"), ("operator_pin", PIN)])
    assert response.status == 422
    assert "CPF inválido" in await response.text()
    with Session(engine) as session:
        assert len(session.exec(select(Employee)).all()) == count


async def test_employee_saved_with_two_ranges_on_a_day(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        category = session.exec(select(ServiceCategory)).first()
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/funcionarios/novo", [
        ("name", "Joana Tosadora"), ("cpf", "529.982.247-25"), ("has_calendar", "1"),
        ("active", "1"), ("species", "cao"), ("categories", str(category.id)),
        ("works", "1"), ("d1_start_0", "08:00"), ("d1_end_0", "12:00"),
        ("d1_start_1", "13:00"), ("d1_end_1", "17:00"), ("operator_pin", PIN)])
    assert response.status == 200, await response.text()
    with Session(engine) as session:
        emp = session.exec(select(Employee).where(Employee.name == "Joana Tosadora")).one()
        ranges = session.exec(select(WorkingRange).where(WorkingRange.employee_id == emp.id)
                              ).all()
        assert sorted((r.weekday, r.start, r.end) for r in ranges) == [
            (1, "08:00", "12:00"), (1, "13:00", "17:00")]


async def test_employee_save_needs_the_operator_pin(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        category = session.exec(select(ServiceCategory)).first()
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/funcionarios/novo", [
        ("name", "Sem PIN"), ("has_calendar", "1"), ("active", "1"), ("species", "cao"),
        ("categories", str(category.id)), ("works", "1"), ("d1_start_0", "08:00"),
        ("d1_end_0", "12:00")])
    assert response.status == 422 and "PIN" in await response.text()


async def test_service_with_negative_price_is_refused(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        category = session.exec(select(ServiceCategory)).first()
        services = len(session.exec(select(Service)).all())
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/servicos/novo", [
        ("name", "Banho premium"), ("category_id", str(category.id)), ("species", "cao"),
        ("active", "1"), ("price_pequeno_curta", "-10"), ("dur_pequeno_curta", "60")])
    assert response.status == 422
    assert "não pode ser negativo" in await response.text()
    with Session(engine) as session:
        assert len(session.exec(select(Service)).all()) == services


async def test_service_saved_with_its_price_grid(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        category = session.exec(select(ServiceCategory)).first()
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/servicos/novo", [
        ("name", "Banho de ofurô"), ("category_id", str(category.id)), ("species", "cao"),
        ("active", "1"), ("show_on_bot", "1"),
        ("price_pequeno_curta", "55,00"), ("dur_pequeno_curta", "50"),
        ("price_grande_longa", "120"), ("dur_grande_longa", "110")])
    assert response.status == 200, await response.text()
    with Session(engine) as session:
        service = session.exec(select(Service).where(Service.name == "Banho de ofurô")).one()
        cells = session.exec(select(PriceEntry).where(PriceEntry.service_id == service.id)).all()
        assert sorted((c.porte, c.pelagem, c.price_cents, c.duration_min) for c in cells) == [
            ("grande", "longa", 12000, 110), ("pequeno", "curta", 5500, 50)]


async def test_combo_needs_two_services(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        service = session.exec(select(Service)).first()
        combos = len(session.exec(select(Combo)).all())
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/combos/novo", [
        ("name", "Combo solo"), ("segment_id", str(_segment(engine).id)),
        ("services", str(service.id)), ("discount_kind", "percentual"),
        ("discount_value", "10"), ("species", "cao")])
    assert response.status == 422
    assert "pelo menos 2 serviços" in await response.text()
    with Session(engine) as session:
        assert len(session.exec(select(Combo)).all()) == combos


async def test_restriction_without_conditions_is_refused(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/restricoes/novo", {
        "name": "Nada", "scope": "ambos", "active": "1", "description": "Não pode."})
    assert response.status == 422
    assert "pelo menos uma condição" in await response.text()
    with Session(engine) as session:
        assert session.exec(select(Restriction).where(Restriction.name == "Nada")).first() is None


async def test_block_ending_before_it_starts_is_refused(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        blocks = len(session.exec(select(Block)).all())
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/bloqueios", {
        "action": "create", "dates": "2030-01-10", "start": "14:00", "end": "12:00",
        "operator_pin": PIN})
    assert response.status == 422
    assert "deve ser depois do início" in await response.text()
    with Session(engine) as session:
        assert len(session.exec(select(Block)).all()) == blocks


async def test_shop_with_invalid_whatsapp_and_long_description_is_refused(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        name = session.exec(select(Shop)).first().name
    await logged_in(client, panel_db)
    response = await _post(client, "/admin/config/loja", {
        "name": "Outro nome", "whatsapp": "12", "description": "x" * 501,
        "timezone": "America/Sao_Paulo"})
    body = await response.text()
    assert response.status == 422
    assert "500 caracteres" in body and "DDD" in body
    with Session(engine) as session:
        assert session.exec(select(Shop)).first().name == name


def _bot_form(menu_keys: list[str], **fields: str) -> list[tuple[str, str]]:
    """A valid bot settings form (without greeting_new), every menu item on, in order."""
    values = {"mode": "live", "slot_display": "todos", "price_display": "a_partir",
              "min_notice_hours": "2", "horizon_days": "10", "page_days": "2",
              "cancel_min_notice_hours": "24", "reschedule_min_notice_hours": "12",
              "handoff_timeout_min": "30", "greeting_known": "Oi {tutor}!",
              "auto_reply_text": "Já voltamos.", "msg_in_hours": "Já te atendo.",
              "msg_out_hours": "Fora do horário.", **fields}
    return (list(values.items()) + [("menu_order", k) for k in menu_keys]
            + [("menu_enabled", k) for k in menu_keys])


async def test_bot_settings_refuse_empty_greeting_and_keep_menu_order(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    page = await client.get("/admin/config/robo")
    assert page.status == 200
    with Session(engine) as session:
        settings = session.exec(select(BotSettings)).first()
        keys = [m["key"] for m in settings.menu]
    base = _bot_form(keys, slot_display="30", price_display="exato", min_notice_hours="3")
    bad = await _post(client, "/admin/config/robo", base + [("greeting_new", "  ")])
    assert bad.status == 422 and "não pode ficar vazio" in await bad.text()
    moved = [keys[1], keys[0], *keys[2:]]
    good = await _post(client, "/admin/config/robo",
                       _bot_form(moved, slot_display="30", price_display="exato",
                                 min_notice_hours="3") + [("greeting_new", "Bem-vindo!")])
    assert good.status == 200
    with Session(engine) as session:
        saved = session.exec(select(BotSettings)).first()
        assert saved.mode == "live" and saved.slot_display == "30"
        assert [m["key"] for m in saved.menu][:2] == [keys[1], keys[0]]


async def test_bot_keyword_triggers_are_saved_in_order_and_validated(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    with Session(engine) as session:
        settings = session.exec(select(BotSettings)).first()
        keys = [m["key"] for m in settings.menu]
    base = _bot_form(keys) + [("greeting_new", "Oi!")]

    def rows(*triggers):
        out = []
        for text, match, action in triggers:
            out += [("trigger_text", text), ("trigger_match", match), ("trigger_action", action)]
        return out

    bad = await _post(client, "/admin/config/robo",
                      base + rows(("vacina", "contem", "apagar_tudo")))
    assert bad.status == 422 and "escolha a ação do menu" in await bad.text()
    good = await _post(client, "/admin/config/robo", base + rows(
        ("Vacina", "contem", "agendar_clinica"), ("", "exata", "falar_atendente"),
        ("tosa", "exata", "agendar_banho_tosa")))
    assert good.status == 200
    with Session(engine) as session:
        saved = session.exec(select(BotSettings)).first()
    assert saved.triggers == [
        {"text": "Vacina", "match": "contem", "action": "agendar_clinica"},
        {"text": "tosa", "match": "exata", "action": "agendar_banho_tosa"}]
    page = await (await client.get("/admin/config/robo")).text()
    assert 'value="Vacina"' in page


async def test_a_new_segment_needs_a_species_and_then_gets_its_hours_tab(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    bad = await _post(client, "/admin/config/segmentos", {"name": "Creche", "kind": "creche",
                                                          "active": "1"})
    assert bad.status == 422 and "pelo menos uma espécie" in await bad.text()
    good = await _post(client, "/admin/config/segmentos", [
        ("name", "Creche Diurna"), ("kind", "creche"), ("species", "cao"), ("active", "1"),
        ("daily_capacity", "12")])
    assert good.status == 200
    with Session(engine) as session:
        segment = session.exec(select(Segment).where(Segment.name == "Creche Diurna")).one()
        assert segment.daily_capacity == 12 and segment.species == ["cao"]
    hours = await client.get("/admin/config/horarios")
    assert "Creche Diurna" in await hours.text()


async def test_a_hotel_gets_its_places_per_species_and_its_check_in_and_out(client, panel_db):
    """The places per day the booking service counts (scheduling/occupancy.py) and the
    times a stay starts and ends (scheduling/stays.py) are set on the segment's form."""
    engine = panel_db[0]
    await logged_in(client, panel_db)
    fields = [("name", "Hotel Pet"), ("kind", "hotel"), ("species", "cao"), ("species", "gato"),
              ("active", "1"), ("daily_capacity", "10"), ("capacity_cao", "6"),
              ("capacity_gato", ""), ("check_in_time", "13h00"), ("check_out_time", "11:00")]
    bad = await _post(client, "/admin/config/segmentos", fields)
    assert bad.status == 422 and "Entrada (check-in): use o formato HH:MM" in await bad.text()
    fields[-2] = ("check_in_time", "13:00")
    good = await _post(client, "/admin/config/segmentos", fields)
    assert good.status == 200 and "Segmento “Hotel Pet” salvo" in await good.text()
    with Session(engine) as session:
        hotel = session.exec(select(Segment).where(Segment.name == "Hotel Pet")).one()
        assert (hotel.daily_capacity, hotel.species_capacity) == (10, {"cao": 6})
        assert (hotel.check_in_time, hotel.check_out_time) == ("13:00", "11:00")
    page = await (await client.get("/admin/config/segmentos")).text()
    assert 'name="capacity_cao" value="6"' in page and 'value="13:00"' in page


async def test_the_pet_shop_segment_kind_is_named_as_the_bot_names_it(client, panel_db):
    """One label per segment kind (scheduler_core.shop.labels): the panel's kind choice says
    "Banho e tosa", as the bot's menu and its opening-hours answer do."""
    import re

    await logged_in(client, panel_db)
    page = await (await client.get("/admin/config/segmentos")).text()
    assert re.search(r'value="pet_shop"[^>]*>Banho e tosa<', page)
    assert ">Pet Shop</option>" not in page
