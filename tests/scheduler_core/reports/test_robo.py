"""The Robô panel's turn figures and hand-off history on the fixed shop of seed.py, by hand;
SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session

from scheduler_core.chatbot.turn_log import record_turn
from scheduler_core.reports import robo, tables

from .seed import seed, utc
from .test_reports import march


def test_misunderstood_confidence_and_every_handoff_reason(db_engine):
    sd = seed(db_engine)
    turns = [  # (at UTC, text, intent, confidence, tapped, misunderstood)
        (utc(2026, 3, 2, 12), "oi", "cumprimentar", 0.99, False, False),
        (utc(2026, 3, 2, 12, 1), "", "informar", 1.0, True, False),
        (utc(2026, 3, 3, 12), "quero um negócio lá", "fora_de_escopo", 0.35, False, True),
        (utc(2026, 3, 4, 12), "asdfgh", "fora_de_escopo", 0.05, False, True),
        (utc(2026, 3, 5, 12), "banho amanhã", "banho", 0.81, False, False),
        (utc(2026, 4, 1, 3, 30), "abril", "fora_de_escopo", 0.5, False, True),  # 00:30 01/04
    ]
    with Session(db_engine) as s:
        for at, text, intent, conf, tapped, missed in turns:
            record_turn(s, shop_id=sd.shop_id, sender="+5511900000000", at=at, text=text,
                        intent=intent, confidence=conf, tapped=tapped, misunderstood=missed)
        s.commit()
    convs = [robo.ConversationRow(7, utc(2026, 3, 2, 11), sd.maria, None, ""),
             robo.ConversationRow(8, utc(2026, 3, 9, 11), None, utc(2026, 3, 9, 11, 5),
                                  "Pediu atendente")]
    handoffs = [  # conversation 7 was handed off twice and given back twice
        robo.HandoffRow(7, "pedido do tutor", utc(2026, 3, 2, 12, 5), utc(2026, 3, 2, 13)),
        robo.HandoffRow(7, "urgência", utc(2026, 3, 4, 12, 5), utc(2026, 3, 4, 14)),
        robo.HandoffRow(8, "Pediu atendente", utc(2026, 3, 9, 11, 5), None),
    ]
    with Session(db_engine) as s:
        r = robo.robo(s, march(db_engine, sd), convs, [0] * 24, handoffs)
    assert (r.bot_turns, r.misunderstood, r.misunderstood_pct) == (5, 2, 40.0)
    assert [m.text for m in r.latest_misunderstood] == ["asdfgh", "quero um negócio lá"]
    # Typed turns only: 0.99, 0.35, 0.05, 0.81 (the tap and April's are out).
    assert [n for _, n in r.confidence] == [1, 0, 0, 1, 0, 0, 0, 0, 1, 1]
    assert r.confidence[0][0] == "0,0–0,1" and r.confidence[9][0] == "0,9–1,0"
    assert r.handed_off == 3
    assert r.reasons == [("Pediu atendente", 1), ("pedido do tutor", 1), ("urgência", 1)]
    keys = [t.key for t in tables.robo_tables(r)]
    assert keys == ["funil", "motivos", "entendimento", "nao_entendidas", "confianca", "horas"]
