"""Bot ⇄ attendant hand-off: pause, inbox API, "@robo", "Devolver ao robô", timeout; modes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlmodel import Session

from bot import handoff
from bot import simulator as sim
from bot.handoff import (
    RESUMED_NOTICE,
    WAITING_NOTICE,
    ClaimRefused,
    State,
    conversation_history,
    state_of,
    waiting_conversations,
)
from bot.inbox import assign, attendant_seen, claim, resume_bot, send_attendant_message
from bot.models import Author

PHONE = "+5511987654321"
UID = sim.bsuid_for(PHONE)


def _handoff_bot(sender, message, md):
    if message == "atendente":
        return [
            {"recipient_id": sender, "text": "Vou chamar um atendente. 😊"},
            {"recipient_id": sender, "custom": {"handoff": {"reason": "pedido do tutor"}}},
        ]
    return [{"recipient_id": sender, "text": f"eco: {message}"}]


async def say(wa, text, phone=PHONE, **kw):
    assert (await wa.post(sim.text_message(phone, text, **kw)))[0] == 200
    await wa.settle()


def bot_replies(wa, phone=PHONE):
    return [m.text for m in wa.phone_view(phone)]


async def _handed_off(wa) -> int:
    wa.rasa.reply = _handoff_bot
    await say(wa, "oi")
    await say(wa, "atendente")
    conv = wa.conversation(UID)
    assert conv.owner == "human" and conv.handoff_reason == "pedido do tutor"
    return conv.id


async def test_zero_bot_replies_while_a_human_owns_the_conversation(wa):
    conv_id = await _handed_off(wa)
    turns_before = len(wa.rasa.turns)
    replies_before = bot_replies(wa)
    assert replies_before == ["eco: oi", "Vou chamar um atendente. 😊"]
    for text in ("alô?", "tem alguém?", "1"):
        await say(wa, text)
    await wa.post(sim.media_message(PHONE, "image"))
    await wa.post(sim.reply_message(PHONE, "/banho", "Banho"))
    await wa.settle()
    assert len(wa.rasa.turns) == turns_before
    # Nobody answered yet: one "já avisei a equipe", nothing else (finding 16).
    assert bot_replies(wa) == replies_before + [WAITING_NOTICE]
    with Session(wa.engine) as s:
        [waiting] = waiting_conversations(s, now=wa.clock())
        history = conversation_history(s, conv_id)
    assert waiting.id == conv_id and waiting.reason == "pedido do tutor"
    assert waiting.phone == PHONE and waiting.wa_user_id == UID
    assert waiting.last_message_author == "tutor"
    assert [h.author for h in history][-6:] == ["tutor", "system"] + ["tutor"] * 4
    assert [h.text for h in history][:4] == ["oi", "eco: oi", "atendente",
                                             "Vou chamar um atendente. 😊"]


async def test_no_read_receipt_while_waiting_for_a_human_until_an_attendant_opens_it(wa):
    """Blue ticks mean a person saw it: while the tutor waits for an attendant, their messages
    stay unread on the phone until someone opens the conversation in the inbox."""
    conv_id = await _handed_off(wa)
    reads_before = [r for r in wa.sim.requests if r.get("status") == "read"]
    await say(wa, "alô?", wa_id="wamid.ESPERA1")
    await say(wa, "tem alguém?", wa_id="wamid.ESPERA2")
    assert [r for r in wa.sim.requests if r.get("status") == "read"] == reads_before
    assert await attendant_seen(wa.app, conv_id) == 2
    await wa.settle()
    reads = [r for r in wa.sim.requests if r.get("status") == "read"][len(reads_before):]
    assert [r["message_id"] for r in reads] == ["wamid.ESPERA2"]
    assert await attendant_seen(wa.app, conv_id) == 0  # nothing unread any more


async def test_waiting_list_is_oldest_first_with_waiting_time(wa):
    wa.rasa.reply = _handoff_bot
    await say(wa, "atendente", phone="+5511900000001")
    wa.clock.advance(minutes=5)
    await say(wa, "atendente", phone="+5511900000002")
    wa.clock.advance(minutes=2)
    with Session(wa.engine) as s:
        waiting = waiting_conversations(s, now=wa.clock())
    assert [w.phone for w in waiting] == ["+5511900000001", "+5511900000002"]
    assert [w.waiting_seconds for w in waiting] == [420, 120]


async def test_attendant_message_is_sent_pauses_the_bot_and_robo_resumes(wa):
    await say(wa, "oi")
    conv_id = wa.conversation(UID).id
    result = await send_attendant_message(wa.app, conv_id, "Oi, aqui é a Carla!", "staff:7")
    await wa.settle()
    assert not result.resumed and result.status in ("sent", "delivered")
    assert bot_replies(wa) == ["eco: oi", "Oi, aqui é a Carla!"]
    assert wa.conversation(UID).owner == "human"
    await say(wa, "obrigada")
    assert len(wa.rasa.turns) == 1  # the bot stays silent
    result = await send_attendant_message(wa.app, conv_id, "  @RoBo ", "staff:7")
    assert result.resumed
    await wa.settle()
    assert "@robo" not in " ".join(bot_replies(wa)).lower()  # the command is not sent
    assert wa.conversation(UID).owner == "bot"
    await say(wa, "quero agendar")
    assert wa.rasa.turns[-1]["message"] == "quero agendar"
    assert bot_replies(wa)[-1] == "eco: quero agendar"
    with Session(wa.engine) as s:
        history = conversation_history(s, conv_id)
    attendant = [h for h in history if h.author == Author.ATTENDANT]
    assert [(h.text, h.actor) for h in attendant] == [("Oi, aqui é a Carla!", "staff:7")]
    assert UID in wa.rasa.resumed  # the engine's tracker was un-paused


async def test_devolver_ao_robo_button(wa):
    conv_id = await _handed_off(wa)
    assert await resume_bot(wa.app, conv_id, "staff:2") is True
    assert await resume_bot(wa.app, conv_id, "staff:2") is False  # already the bot's
    # The tutor is told, once, through the normal outbound path.
    assert bot_replies(wa).count(RESUMED_NOTICE) == 1
    assert wa.conversation(UID).resumed_by == "staff:2"
    await say(wa, "voltei")
    assert bot_replies(wa)[-1] == "eco: voltei"
    with Session(wa.engine) as s:
        assert waiting_conversations(s) == []


async def test_resume_with_a_session_is_committed_by_the_caller(wa):
    conv_id = await _handed_off(wa)
    from scheduler_core.db.engine import write_session

    with write_session(wa.engine) as s:
        assert handoff.resume_bot(s, conv_id, "staff:1")
    assert wa.conversation(UID).owner == "bot"


async def test_timeout_without_attendant_message_resumes_lazily_on_inbound(wa):
    conv_id = await _handed_off(wa)
    await send_attendant_message(wa.app, conv_id, "Já te ajudo", "staff:1")
    wa.clock.advance(minutes=29)
    await say(wa, "ainda aí?")
    assert wa.conversation(UID).owner == "human"
    wa.clock.advance(minutes=2)  # 31 minutes after the attendant's last message
    turns = len(wa.rasa.turns)
    await say(wa, "oi de novo")
    assert wa.conversation(UID).owner == "bot"
    assert len(wa.rasa.turns) == turns + 1
    assert bot_replies(wa)[-1] == "eco: oi de novo"


async def test_timeout_is_configurable_and_checked_periodically(wa):
    wa.set_mode("live", handoff_timeout_min=5)
    conv_id = await _handed_off(wa)
    await send_attendant_message(wa.app, conv_id, "Oi, é a Carla", "staff:1")
    wa.clock.advance(minutes=4)
    assert wa.gateway.resume_idle() == []
    wa.clock.advance(minutes=2)
    wa.gateway.config.handoff_check_s = 0.05
    task = wa.gateway.spawn(wa.gateway.turns.handoff_loop())
    for _ in range(100):
        if wa.conversation(UID).owner == "bot":
            break
        await asyncio.sleep(0.02)
    for _ in range(100):
        if RESUMED_NOTICE in bot_replies(wa):
            break
        await asyncio.sleep(0.02)
    task.cancel()
    assert wa.conversation(UID).owner == "bot"
    assert bot_replies(wa).count(RESUMED_NOTICE) == 1  # the tutor is told, once


async def test_night_handoff_waits_in_the_queue_until_an_attendant_answers(wa):
    """Finding 16: an emergency handed off at 01:30 is still in the queue when staff arrive at
    08:00; the tutor who writes again is told once that the team knows; the attendant-silence
    timer starts only when an attendant has written."""
    wa.clock.now = datetime(2026, 11, 27, 4, 30, tzinfo=UTC)  # 01:30 in São Paulo
    conv_id = await _handed_off(wa)
    turns = len(wa.rasa.turns)
    handed_at = wa.clock()
    wa.clock.advance(minutes=31)
    assert wa.gateway.resume_idle() == []
    wa.clock.advance(hours=6)  # 08:01 in São Paulo
    await say(wa, "socorro, meu cachorro está passando mal")
    await say(wa, "alguém aí?")
    assert wa.gateway.resume_idle() == []
    conv = wa.conversation(UID)
    assert conv.owner == "human"
    with Session(wa.engine) as s:
        [waiting] = waiting_conversations(s, now=wa.clock())
    assert waiting.id == conv_id
    assert waiting.waiting_seconds == int((wa.clock() - handed_at).total_seconds())
    notices = [r for r in bot_replies(wa) if "já avisei a equipe" in r.lower()]
    assert len(notices) == 1
    assert len(wa.rasa.turns) == turns  # the bot stayed out of it
    # The attendant answers, then goes quiet past the timeout: back to the bot.
    await send_attendant_message(wa.app, conv_id, "Oi! Já estou vendo, pode trazer.", "staff:4")
    await say(wa, "obrigada")
    assert [r for r in bot_replies(wa) if "já avisei a equipe" in r.lower()] == notices
    wa.clock.advance(minutes=29)
    assert wa.gateway.resume_idle() == []
    wa.clock.advance(minutes=2)
    assert wa.gateway.resume_idle() == [conv_id]
    assert wa.conversation(UID).owner == "bot"
    await say(wa, "quero agendar")
    assert bot_replies(wa)[-1] == "eco: quero agendar"


async def test_waiting_notice_is_once_per_handoff(wa):
    conv_id = await _handed_off(wa)
    await say(wa, "alô?")
    await say(wa, "alô??")
    assert await resume_bot(wa.app, conv_id, "staff:2")
    wa.clock.advance(minutes=1)
    await say(wa, "atendente")  # a second hand-off: one more notice, not more
    await say(wa, "oi?")
    await say(wa, "oi??")
    notices = [r for r in bot_replies(wa) if "já avisei a equipe" in r.lower()]
    assert len(notices) == 2


async def test_tutor_with_allow_bot_off_always_goes_to_the_inbox(wa):
    wa.add_tutor(PHONE, allow_bot=False)
    await say(wa, "oi")
    await say(wa, "quero banho")
    assert wa.rasa.turns == [] and bot_replies(wa) == []
    conv = wa.conversation(UID)
    assert conv.owner == "human"
    assert await resume_bot(wa.app, conv.id, "staff:1") is False
    wa.clock.advance(hours=2)
    assert wa.gateway.resume_idle() == []
    with Session(wa.engine) as s:
        [w] = waiting_conversations(s)
    assert "desativado" in w.reason


async def test_tutor_registered_with_the_9th_digit_writing_without_it_is_still_known(wa):
    """Registered as +55 11 9XXXX-XXXX, writing from the 8-digit form: the gateway finds the
    same tutor the bot's actions find, so a tutor with the bot off still reaches a human."""
    tutor_id = wa.add_tutor(PHONE, allow_bot=False)
    old_form = "+551187654321"
    await say(wa, "oi", phone=old_form)
    assert wa.rasa.turns == [] and bot_replies(wa, old_form) == []
    conv = wa.conversation(sim.bsuid_for(old_form))
    assert (conv.tutor_id, conv.owner) == (tutor_id, "human")


async def test_attendant_taking_over_while_rasa_thinks_silences_the_pending_reply(wa):
    await say(wa, "oi")
    conv_id = wa.conversation(UID).id
    wa.rasa.delay = 0.5
    await wa.post(sim.text_message(PHONE, "demorado"))
    await asyncio.sleep(0.2)  # Rasa is thinking
    await send_attendant_message(wa.app, conv_id, "Deixa comigo!", "staff:3")
    await wa.settle()
    assert bot_replies(wa) == ["eco: oi", "Deixa comigo!"]


async def test_attendant_outside_the_24h_window_is_refused_with_a_reason(wa):
    await say(wa, "oi")
    conv_id = wa.conversation(UID).id
    wa.clock.advance(hours=25)
    result = await send_attendant_message(wa.app, conv_id, "Olá?", "staff:1")
    assert result.status == "failed" and "24 horas" in result.error
    assert bot_replies(wa) == ["eco: oi"]
    # templates are allowed outside the window
    from bot.gateway import send_template

    row = await send_template(wa.app, UID, "lembrete_agendamento", "pt_BR",
                              text="Lembrete do seu agendamento")
    await wa.settle()
    assert row.status in ("sent", "delivered")
    assert bot_replies(wa)[-1] == "[modelo lembrete_agendamento]"


# ------------------------------------------------------------------ bot modes


async def test_mode_off_stores_and_sends_nothing(wa):
    wa.set_mode("off")
    await say(wa, "oi")
    assert wa.rasa.turns == [] and bot_replies(wa) == []
    assert [m.text for m in wa.messages(Author.TUTOR)] == ["oi"]
    assert not [r for r in wa.sim.requests if r.get("status") == "read"]


async def test_mode_auto_reply_sends_the_fixed_message_once_per_period(wa):
    notice = "Estamos em férias coletivas até segunda!"
    wa.set_mode("auto_reply", auto_reply_text=notice)
    await say(wa, "oi")
    await wa.post(sim.media_message(PHONE, "audio"))
    await say(wa, "alguém aí?")
    await wa.settle()
    assert wa.rasa.turns == []
    assert bot_replies(wa) == [notice]  # one notice, not one per message
    assert [m.text for m in wa.messages(Author.TUTOR)][-1] == "alguém aí?"  # all kept
    wa.clock.advance(hours=13)
    await say(wa, "e agora?")
    assert bot_replies(wa) == [notice, notice]


async def test_mode_simulation_answers_only_the_simulator(wa):
    wa.set_mode("simulation")
    await say(wa, "oi do simulador")
    assert bot_replies(wa) == ["eco: oi do simulador"]
    real = sim.text_message("+5511911112222", "oi de verdade", phone_id="987654321")
    assert (await wa.post(real))[0] == 200
    await wa.settle()
    assert len(wa.rasa.turns) == 1  # the real tutor's message was stored, not answered
    assert [m.text for m in wa.messages(Author.TUTOR)] == ["oi do simulador", "oi de verdade"]


async def test_mode_live_answers_real_numbers(wa):
    wa.set_mode("live")
    wa.gateway.config.api_base = wa.gateway.config.public_url  # "Meta" is the simulator here
    real = sim.text_message("+5511911112222", "oi de verdade", phone_id="987654321")
    await wa.post(real)
    await wa.settle()
    assert wa.rasa.turns[-1]["message"] == "oi de verdade"
    sends = [r for r in wa.sim.requests if r.get("type") == "text"]
    assert sends and sends[-1]["text"]["body"] == "eco: oi de verdade"


async def test_claim_assign_and_give_back_move_the_conversation_through_its_states(wa):
    conv_id = await _handed_off(wa)
    assert state_of(wa.conversation(UID)) == State.WAITING
    claim(wa.engine, conv_id, "staff:1", wa.clock())
    claim(wa.engine, conv_id, "staff:1", wa.clock())  # claiming again is harmless
    conv = wa.conversation(UID)
    assert (state_of(conv), conv.assignee) == (State.ATTENDING, "staff:1")
    try:
        claim(wa.engine, conv_id, "staff:2", wa.clock())
    except ClaimRefused as exc:
        assert exc.holder == "staff:1"
    else:
        raise AssertionError("a second attendant took a held conversation")
    assign(wa.engine, conv_id, "staff:2", "staff:9", wa.clock())  # the owner reassigns
    with Session(wa.engine) as s:
        [waiting] = waiting_conversations(s, now=wa.clock())
    assert (waiting.state, waiting.assignee) == (State.ATTENDING, "staff:2")
    assert await resume_bot(wa.app, conv_id, "staff:2")
    conv = wa.conversation(UID)
    assert (state_of(conv), conv.assignee) == (State.RETURNED, "")


async def test_the_first_attendant_to_answer_holds_the_conversation(wa):
    conv_id = await _handed_off(wa)
    await send_attendant_message(wa.app, conv_id, "Oi, é a Carla", "staff:3")
    await send_attendant_message(wa.app, conv_id, "Também estou aqui", "staff:4")
    conv = wa.conversation(UID)
    assert (state_of(conv), conv.assignee) == (State.ATTENDING, "staff:3")
    # A new hand-off after a give-back waits for someone again.
    assert await resume_bot(wa.app, conv_id, "staff:3")
    await say(wa, "atendente")
    assert state_of(wa.conversation(UID)) == State.WAITING
