from bot import simulator as sim


async def test_text_turn_reaches_rasa_and_reply_reaches_phone(wa):
    status, _ = await wa.post(sim.text_message("+5511987654321", "oi", name="Maria"))
    assert status == 200
    await wa.settle()
    view = wa.phone_view("+5511987654321")
    assert [m.text for m in view] == ["eco: oi"]
    turn = wa.rasa.turns[0]
    assert turn["sender"].startswith("BR.")
    assert turn["metadata"]["phone"] == "+5511987654321"
