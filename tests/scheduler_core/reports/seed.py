"""The fixed shop of the report tests, with every figure computed by hand in test_reports.py.

March 2026, São Paulo (UTC-3). Banho R$ 50,00 / 60 min (10 % commission), tosa R$ 40,00 /
30 min (20 %). Ana does banho and tosa, Bruno banho; both work Mon–Sat 08–12 and 13–18
(540 min a day); the shop is closed all day on Saturday 2026-03-21 (block).

Visits (local time):
- V1 Mon 02/03 10:00 banho (Ana), entregue, Maria; em atendimento 10:05 → finalizado 11:15.
- V2 Tue 03/03 14:00 combo banho + tosa (Ana), 10 % off (R$ 9,00 split 5,00 / 4,00),
  finalizado, João, booked by the bot.
- V3 Tue 31/03 22:30 (01:30 UTC on 01/04) banho (Bruno), finalizado, Ana Clara, Leva e Traz
  zone Centro R$ 15,00.
- V4 Tue 10/03 09:00 banho (Bruno), não compareceu, João.
- V5 Wed 11/03 09:00 tosa (Ana), cancelado ("Chuva"), Maria.
- V6 Fri 20/03 09:00 banho (Bruno), agendado, Maria.
- V7 Sat 28/02 22:00 (01:00 UTC on 01/03) banho (Ana), entregue, Maria: February.
- V8 Mon 01/12/2025 10:00 banho (Ana), entregue, Pedro: his last visit (at risk).

Invoices: I1 (V1) R$ 50 paid by Pix; I2 (V2) R$ 81, R$ 30 in cash (partial); I3 (V3)
R$ 65 (banho + Leva e Traz) unpaid, due 31/03; I4 avulsa R$ 30 on 15/03 paid by card and
cancelled on 16/03 (paid → tutor credit); I5 avulsa R$ 20 on 20/03 paid with that credit;
I7 (V7) R$ 50 paid by Pix on 28/02 22:50 (01:50 UTC on 01/03).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduler_core.agenda.models import Appointment, AppointmentItem, Block, StatusChange
from scheduler_core.audit.models import AuditLog
from scheduler_core.billing import invoices as inv
from scheduler_core.billing import payments as pay
from scheduler_core.billing.models import InvoiceItemKind, InvoiceKind
from scheduler_core.catalog.models import LevaETrazZone, Service
from scheduler_core.people.models import Pet, Tutor

from ..factories import build_shop

SP = ZoneInfo("America/Sao_Paulo")


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SP)


@dataclass
class Seeded:
    shop_id: int
    segment_id: int
    ana: int
    bruno: int
    banho: int
    tosa: int
    maria: int
    joao: int
    ana_clara: int
    pedro: int
    visits: dict[str, int]
    invoices: dict[str, int]


def _tutor(s: Session, shop_id: int, name: str, created: datetime, phone: str,
           birth: date | None = None) -> tuple[int, int]:
    t = Tutor(shop_id=shop_id, name=name, whatsapp=phone, created_at=created, birth_date=birth)
    s.add(t)
    s.flush()
    p = Pet(tutor_id=t.id, name=f"Pet de {name}", porte="pequeno", pelagem="curta")
    s.add(p)
    s.flush()
    return t.id, p.id


def _visit(s: Session, w, tutor_pet, start: datetime, lines, status: str, *, origin="staff",
           discount=0, leva=None, reason="") -> int:
    tutor_id, pet_id = tutor_pet
    total = sum(price for _, _, price, _ in lines) - discount
    end = start + timedelta(minutes=sum(m for _, _, _, m in lines))
    a = Appointment(
        shop_id=w.shop_id, segment_id=w.segment_id, tutor_id=tutor_id, pet_id=pet_id,
        start=start, end=end, status=status, origin=origin, total_cents=total,
        discount_cents=discount, leva_e_traz=leva is not None,
        leva_e_traz_fee_cents=leva[1] if leva else 0, leva_e_traz_zone_id=leva[0] if leva else None,
        created_at=start - timedelta(days=2), cancel_reason=reason,
        cancelled_at=start - timedelta(days=1) if status == "cancelado" else None)
    s.add(a)
    s.flush()
    at = start
    for pos, (service_id, employee_id, price, minutes) in enumerate(lines):
        s.add(AppointmentItem(appointment_id=a.id, service_id=service_id, employee_id=employee_id,
                              start=at, end=at + timedelta(minutes=minutes), position=pos,
                              price_cents=price, duration_min=minutes))
        at += timedelta(minutes=minutes)
    s.flush()
    return a.id


def seed(engine) -> Seeded:
    w = build_shop(engine)
    banho, tosa = w.services["banho"], w.services["tosa"]
    ana, bruno = w.employees["ana"], w.employees["bruno"]
    with Session(engine, expire_on_commit=False) as s:
        for sid, p in ((banho, 10), (tosa, 20)):
            svc = s.get(Service, sid)
            svc.commission_pct = p
            s.add(svc)
        maria_t = s.get(Tutor, w.tutor_id)
        maria_t.created_at = local(2025, 6, 1, 10)
        maria_t.name = "Maria Silva"
        s.add(maria_t)
        maria = (w.tutor_id, w.pet_id)
        joao = _tutor(s, w.shop_id, "João Souza", local(2026, 3, 5, 9), "+5511911110001")
        clara = _tutor(s, w.shop_id, "Ana Clara", local(2026, 3, 15, 9), "+5511911110002",
                       date(1990, 3, 22))
        pedro = _tutor(s, w.shop_id, "Pedro Lima", local(2025, 1, 10, 9), "+5511911110003")
        zone = LevaETrazZone(shop_id=w.shop_id, name="Centro", fee_cents=1500)
        s.add(zone)
        s.add(Block(shop_id=w.shop_id, dates=["2026-03-21"], all_day=True, reason="Feriado"))
        s.flush()
        v = {
            "V1": _visit(s, w, maria, local(2026, 3, 2, 10), [(banho, ana, 5000, 60)], "entregue"),
            "V2": _visit(s, w, joao, local(2026, 3, 3, 14),
                         [(banho, ana, 5000, 60), (tosa, ana, 4000, 30)], "finalizado",
                         origin="bot", discount=900),
            "V3": _visit(s, w, clara, local(2026, 3, 31, 22, 30), [(banho, bruno, 5000, 60)],
                         "finalizado", leva=(zone.id, 1500)),
            "V4": _visit(s, w, joao, local(2026, 3, 10, 9), [(banho, bruno, 5000, 60)],
                         "nao_compareceu"),
            "V5": _visit(s, w, maria, local(2026, 3, 11, 9), [(tosa, ana, 4000, 30)],
                         "cancelado", reason="Chuva"),
            "V6": _visit(s, w, maria, local(2026, 3, 20, 9), [(banho, bruno, 5000, 60)],
                         "agendado"),
            "V7": _visit(s, w, maria, local(2026, 2, 28, 22), [(banho, ana, 5000, 60)],
                         "entregue"),
            "V8": _visit(s, w, pedro, local(2025, 12, 1, 10), [(banho, ana, 5000, 60)],
                         "entregue"),
        }
        appt2 = s.get(Appointment, v["V2"])
        appt2.created_at = local(2026, 3, 1, 15)  # booked by the bot in March
        s.add(appt2)
        for to, at in (("em_atendimento", local(2026, 3, 2, 10, 5)),
                       ("finalizado", local(2026, 3, 2, 11, 15))):
            s.add(StatusChange(appointment_id=v["V1"], from_status="", to_status=to, at=at))
        s.add(AuditLog(shop_id=w.shop_id, at=local(2026, 3, 6, 12), actor="staff:1",
                       action="whatsapp.resume_bot", entity="waconversation", entity_id=3))
        s.commit()

        def visit_invoice(key: str, now: datetime) -> int:
            return inv.invoice_for_visit(s, v[key], now, actor="test").id

        i = {
            "I1": visit_invoice("V1", local(2026, 3, 2, 11, 30)),
            "I2": visit_invoice("V2", local(2026, 3, 3, 15)),
            "I3": visit_invoice("V3", local(2026, 3, 31, 23, 40)),
            "I7": visit_invoice("V7", local(2026, 2, 28, 22, 45)),
        }
        pay.pay(s, invoice_ids=[i["I1"]], method="pix", amount_cents=5000,
                now=local(2026, 3, 2, 12), actor="test")
        pay.pay(s, invoice_ids=[i["I2"]], method="dinheiro", amount_cents=3000,
                now=local(2026, 3, 3, 15, 30), actor="test")
        pay.pay(s, invoice_ids=[i["I7"]], method="pix", amount_cents=5000,
                now=local(2026, 2, 28, 22, 50), actor="test")
        shampoo = inv.ItemSpec(name="Shampoo", unit_cents=3000, kind=InvoiceItemKind.PRODUTO)
        i["I4"] = inv.create_invoice(s, shop_id=w.shop_id, tutor_id=maria[0],
                                     kind=InvoiceKind.AVULSA, items=[shampoo],
                                     now=local(2026, 3, 15, 10), actor="test").id
        pay.pay(s, invoice_ids=[i["I4"]], method="cartao_credito", amount_cents=3000,
                now=local(2026, 3, 15, 10, 5), actor="test")
        inv.cancel_invoice(s, i["I4"], now=local(2026, 3, 16, 10), actor="test",
                           reason="Devolução", paid_to_credit=True)
        toy = inv.ItemSpec(name="Brinquedo", unit_cents=2000, kind=InvoiceItemKind.PRODUTO)
        i["I5"] = inv.create_invoice(s, shop_id=w.shop_id, tutor_id=maria[0],
                                     kind=InvoiceKind.AVULSA, items=[toy],
                                     now=local(2026, 3, 20, 10), actor="test").id
        pay.pay(s, invoice_ids=[i["I5"]], method="credito_tutor", amount_cents=2000,
                now=local(2026, 3, 20, 10, 5), actor="test")
        s.commit()
    return Seeded(shop_id=w.shop_id, segment_id=w.segment_id, ana=ana, bruno=bruno, banho=banho,
                  tosa=tosa, maria=maria[0], joao=joao[0], ana_clara=clara[0], pedro=pedro[0],
                  visits=v, invoices=i)


def utc(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)
