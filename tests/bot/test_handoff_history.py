"""Every hand-off keeps its reason after the conversation goes back to the bot, and the Robô
panel counts them all with their reasons."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from admin.panel.reports import robo_rows
from bot import simulator as sim
from bot.inbox import resume_bot
from bot.models import WaHandoff
from scheduler_core.reports import robo
from scheduler_core.reports.period import make_filter

PHONE = "+5511987650000"
UID = sim.bsuid_for(PHONE)


def _bot(sender, message, md):
    if message in ("atendente", "urgente"):
        reason = "pedido do tutor" if message == "atendente" else "urgência"
        return [{"recipient_id": sender, "text": "Vou chamar um atendente."},
                {"recipient_id": sender, "custom": {"handoff": {"reason": reason}}}]
    return [{"recipient_id": sender, "text": f"eco: {message}"}]


async def say(wa, text):
    assert (await wa.post(sim.text_message(PHONE, text)))[0] == 200
    await wa.settle()


async def test_two_handoffs_given_back_keep_their_reasons_and_both_count(wa):
    wa.rasa.reply = _bot
    await say(wa, "oi")
    await say(wa, "atendente")
    conv = wa.conversation(UID)
    assert await resume_bot(wa.app, conv.id, "staff:2") is True
    await say(wa, "urgente")
    assert await resume_bot(wa.app, conv.id, "staff:3") is True
    assert wa.conversation(UID).handoff_reason == ""  # the conversation itself forgets
    with Session(wa.engine) as s:
        rows = s.exec(select(WaHandoff).order_by(WaHandoff.id)).all()
        assert [(h.reason, h.returned_by) for h in rows] == [
            ("pedido do tutor", "staff:2"), ("urgência", "staff:3")]
        assert all(h.returned_at is not None and h.returned_at >= h.started_at for h in rows)
        day = rows[0].started_at.date()
        f = make_filter(s, conv.shop_id, day - timedelta(days=1), day + timedelta(days=1))
        r = robo.robo(s, f, *_load(s, f))
    assert r.handed_off == 2
    assert r.reasons == [("pedido do tutor", 1), ("urgência", 1)]


def _load(session, f):
    rows = robo_rows.load(session, f)
    return rows.conversations, rows.by_hour, rows.handoffs
