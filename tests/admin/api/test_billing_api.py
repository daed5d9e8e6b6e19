"""REST API of Planos & Pacotes and Cobranças: templates, selling and cancelling a pet's plan,
listing and reading invoices, paying one partially and two at once; hostile input is a 4xx.
Every answer is validated against the OpenAPI document (conftest.Api)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from scheduler_core.people.models import Breed, Pet
from scheduler_core.plans import lifecycle
from tests.scheduler_core.billing.billing_helpers import new_invoice
from tests.scheduler_core.factories import NOW


async def test_sell_list_pay_and_cancel_a_plan(any_db_api):
    api, world = any_db_api
    template = world.add_plan_template("Banho mensal", kind="trimestral",
                                       services={"banho": 4}, price_cents=30000)
    world.add_plan_template("Plano gatos", species=["gato"])

    listed = await api.get("/api/plan-templates", params={"pet_id": str(world.pet_id)})
    assert listed.status == 200
    assert [(t["name"], t["services"][0]["quantity"]) for t in listed.body["templates"]] == [
        ("Banho mensal", 4)]

    sold = await api.post(f"/api/pets/{world.pet_id}/plans", {"template_id": template})
    assert sold.status == 201, sold.body
    plan = sold.body
    assert plan["status"] == "ativo" and len(plan["cycles"]) == 3
    assert [c["amount_cents"] for c in plan["cycles"]] == [10000, 10000, 10000]
    plans = await api.get(f"/api/pets/{world.pet_id}/plans")
    assert [p["id"] for p in plans.body["plans"]] == [plan["id"]]

    open_plan = await api.get("/api/invoices", params={"status": "aberta", "kind": "plano"})
    assert [i["id"] for i in open_plan.body["invoices"]] == [
        c["invoice_id"] for c in plan["cycles"]]
    first, second, _third = (c["invoice_id"] for c in plan["cycles"])
    in_march = await api.get("/api/invoices", params={
        "due_from": NOW.date().isoformat(),
        "due_to": (NOW.date() + timedelta(days=10)).isoformat(),
        "tutor_id": str(world.tutor_id)})
    assert [i["id"] for i in in_march.body["invoices"]] == [first]

    partial = await api.post("/api/payments", {"invoice_ids": [first], "method": "pix",
                                               "amount_cents": 4000})
    assert partial.status == 200, partial.body
    assert partial.body["allocations"][0]["status_after"] == "parcial"
    invoice = await api.get(f"/api/invoices/{first}")
    assert (invoice.body["status"], invoice.body["open_cents"]) == ("parcial", 6000)

    both = await api.post("/api/payments", {"invoice_ids": [second, first],
                                            "method": "dinheiro", "amount_cents": 20000,
                                            "expected_open_cents": 16000})
    assert both.status == 200, both.body
    assert [(a["invoice_id"], a["amount_cents"], a["status_after"])
            for a in both.body["allocations"]] == [(first, 6000, "paga"),
                                                   (second, 10000, "paga")]
    assert both.body["change_cents"] == 4000 and both.body["credit_balance_cents"] == 4000
    with Session(world.engine) as s:
        kinds = [r.kind for r in lifecycle.plan_records(s, plan["id"])]
    assert kinds.count("invoice_payment") == 3

    cancelled = await api.post(f"/api/plans/{plan['id']}/cancel",
                               {"cancel_future_visits": True})
    assert cancelled.status == 200, cancelled.body
    # Both paid cycles stay paid; their unused sessions (none was booked) become credit, as
    # the cancelled plan can no longer use them; the third (unpaid) invoice is cancelled.
    assert cancelled.body["cancelled_invoice_ids"] == [plan["cycles"][2]["invoice_id"]]
    assert cancelled.body["credit_cents"] == 20000
    again = await api.post(f"/api/plans/{plan['id']}/cancel")
    assert again.status == 409
    after = await api.get(f"/api/pets/{world.pet_id}/plans")
    assert after.body["plans"][0]["status"] == "cancelado"


async def test_bad_billing_input_is_a_clear_4xx(any_db_api):
    api, world = any_db_api
    invoice = new_invoice(world, ("Banho", 5000))
    cats = world.add_plan_template("Plano gatos", species=["gato"])
    checks = [
        (await api.post("/api/payments", {"invoice_ids": [invoice], "method": "pix",
                                          "amount_cents": True}), 400),
        (await api.post("/api/payments", {"invoice_ids": [invoice], "method": "pix",
                                          "amount_cents": -5}), 400),
        (await api.post("/api/payments", {"invoice_ids": ["1"], "method": "pix",
                                          "amount_cents": 5}), 400),
        (await api.post("/api/payments", {"invoice_ids": [], "method": "pix",
                                          "amount_cents": 5}), 400),
        (await api.post("/api/payments", {"invoice_ids": [invoice], "method": "boleto",
                                          "amount_cents": 5}), 400),
        (await api.post("/api/payments", {"invoice_ids": [2**31 - 1], "method": "pix",
                                          "amount_cents": 5}), 404),
        (await api.post("/api/payments", {"invoice_ids": [invoice], "method": "credito_tutor",
                                          "amount_cents": 5}), 422),
        (await api.post("/api/payments", {"invoice_ids": [invoice], "method": "pix",
                                          "amount_cents": 5, "expected_open_cents": 1}), 409),
        (await api.post(f"/api/pets/{world.pet_id}/plans", {"template_id": cats}), 422),
        (await api.post(f"/api/pets/{world.pet_id}/plans", {"template_id": 999999}), 404),
        (await api.post(f"/api/pets/{world.pet_id}/plans", {"template_id": "1"}), 400),
        (await api.post(f"/api/pets/{world.pet_id}/plans",
                        {"template_id": cats, "start_date": "2026-02-30"}), 400),
        (await api.post("/api/pets/99999999999/plans", {"template_id": cats}), 404),
        (await api.post("/api/plans/999999/cancel", {}), 404),
        (await api.post("/api/plans/1/cancel", {"cancel_future_visits": "sim"}), 400),
        (await api.get("/api/invoices", params={"status": "paid"}), 400),
        (await api.get("/api/invoices", params={"due_from": "2026-03-10",
                                                "due_to": "2026-03-01"}), 422),
        (await api.get("/api/invoices/99999999999"), 404),
    ]
    assert [status for reply, status in checks] == [reply.status for reply, _ in checks], [
        (r.status, r.body) for r, _ in checks]


async def test_selling_a_template_for_other_breeds_is_a_422_in_portuguese(any_db_api):
    api, world = any_db_api
    with Session(world.engine) as s:
        pug = s.exec(select(Breed).where(Breed.species == "cao")).first()
        pet_breed = s.get(Pet, world.pet_id).breed_id
        assert pug is not None and pug.id != pet_breed
    template = world.add_plan_template("Plano pugs", breed_ids=[pug.id])
    refused = await api.post(f"/api/pets/{world.pet_id}/plans", {"template_id": template})
    assert refused.status == 422
    assert refused.body["error"]["message"] == "Este plano não vale para a raça deste pet."
    plans = await api.get(f"/api/pets/{world.pet_id}/plans")
    assert plans.body["plans"] == []


async def test_booking_by_the_plan_through_the_api_costs_nothing(any_db_api):
    api, world = any_db_api
    template = world.add_plan_template(services={"banho": 1})
    plan = (await api.post(f"/api/pets/{world.pet_id}/plans", {"template_id": template})).body
    day = (NOW + timedelta(days=1)).date().isoformat()
    slots = (await api.get("/api/availability", params={
        "pet_id": str(world.pet_id), "service_ids": str(world.services["banho"]),
        "date_from": day, "date_to": day})).body["slots"]
    first = await api.post("/api/appointments", {"token": slots[0]["token"],
                                                 "pet_plan_id": plan["id"]})
    assert first.status == 201, first.body
    assert (first.body["total_cents"], first.body["pet_plan_id"]) == (0, plan["id"])
    second = await api.post("/api/appointments", {"token": slots[-1]["token"],
                                                  "pet_plan_id": plan["id"]})
    assert second.status == 201 and second.body["total_cents"] > 0
    assert "esgotada" in second.body["plan_note"]
    assert (await api.post("/api/appointments", {"token": slots[-1]["token"],
                                                 "pet_plan_id": "1"})).status == 400
