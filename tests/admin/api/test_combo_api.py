"""Combos through the REST API: availability priced as the combo, booking stores it."""

from __future__ import annotations

from tests.scheduler_core.factories import NOW, next_weekday

THURSDAY = next_weekday(NOW.date(), 3)  # 2026-03-05


async def _availability(api, world, **params):
    return await api.get(
        "/api/availability",
        params={"pet_id": world.pet_id, "date_from": THURSDAY.isoformat(),
                "date_to": THURSDAY.isoformat(), **params},
    )


async def test_a_combo_is_offered_at_the_combo_price_and_booked_as_a_combo(api_client, world):
    combo = world.add_combo("Banho + Tosa", ["banho", "tosa"], discount_kind="percentual",
                            discount_value=10)
    catalog = await api_client.get("/api/services", params={"pet_id": world.pet_id})
    [listed] = catalog.body["combos"]
    assert listed["id"] == combo and listed["price_cents"] == 8100

    reply = await _availability(api_client, world, combo_id=str(combo))
    assert reply.status == 200
    assert reply.body["combo_id"] == combo
    assert reply.body["service_ids"] == [world.services["banho"], world.services["tosa"]]
    slot = reply.body["slots"][0]
    assert (slot["total_cents"], slot["discount_cents"], slot["price_label"]) == (
        8100, 900, "R$ 81,00",
    )
    assert [i["price_cents"] for i in slot["items"]] == [5000, 4000]

    booked = await api_client.post("/api/appointments", {"token": slot["token"]})
    assert booked.status == 201
    body = booked.body
    assert (body["combo_id"], body["discount_cents"], body["total_cents"]) == (combo, 900, 8100)
    again = await api_client.get(f"/api/appointments/{body['id']}")
    assert again.body["combo_id"] == combo and again.body["total_cents"] == 8100


async def test_a_fixed_discount_combo_with_an_extra_service(api_client, world):
    extra = world.add_service("hidratacao", price_cents=2000, duration_min=15, is_addon=True)
    combo = world.add_combo("Banho + Tosa", ["banho", "tosa"], discount_kind="valor",
                            discount_value=1500)
    reply = await _availability(api_client, world, combo_id=str(combo), service_ids=str(extra))
    slot = reply.body["slots"][0]
    assert (slot["total_cents"], slot["discount_cents"]) == (9000 + 2000 - 1500, 1500)
    booked = await api_client.post("/api/appointments", {"token": slot["token"]})
    assert booked.body["total_cents"] == 9500 and booked.body["discount_cents"] == 1500


async def test_plain_availability_reports_no_combo(api_client, world):
    reply = await _availability(api_client, world, service_ids=str(world.services["banho"]))
    assert reply.body["combo_id"] is None
    assert reply.body["slots"][0]["discount_cents"] == 0


async def test_combo_errors_are_clear(api_client, world):
    missing = await _availability(api_client, world, combo_id="9999")
    assert missing.status == 404 and missing.body["error"]["message"] == "Combo não encontrado."
    hidden = world.add_combo("Só balcão", ["banho"], show_on_bot=False)
    bot = await _availability(api_client, world, combo_id=str(hidden), channel="bot")
    assert bot.status == 422
    assert bot.body["error"]["message"] == "Este combo não está disponível."
    bad = await _availability(api_client, world, combo_id="abc")
    assert bad.status == 400 and "combo_id" in bad.body["error"]["message"]
    nothing = await _availability(api_client, world)
    assert nothing.status == 400
    assert nothing.body["error"]["message"] == (
        "Informe o parâmetro service_ids (ex.: 1,2) ou combo_id."
    )
