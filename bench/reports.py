"""Reports benchmark: every panel's queries on a shop with 3 years of history (not part of pytest).

    .venv/bin/python bench/reports.py [--runs 5] [--db sqlite|postgres|both] [--pg-url URL]

1. Creates a fresh database (SQLite file, or a new PostgreSQL database on ``--pg-url``), migrates
   it to head and seeds one shop with bulk inserts: 8 employees, 6 services (with commission),
   3 Leva e Traz zones, 8,000 tutors and pets, 50,000 visits from 2023-12 to 2026-11 (1–2 lines
   each, all statuses, 10 % with Leva e Traz, 30 % booked by the bot), status history for the
   finished ones, 20,000 invoices (with lines, 85 % paid, some partial, some cancelled), their
   payments, 6,000 WhatsApp conversations and 40,000 tutor messages.
2. Baseline: drops the indexes of ``scheduler_core/reports/indexes.py`` and times every panel
   (``scheduler_core.reports.panels.panel``, the screen's one call, with the Robô rows loaded as
   the screen loads them and the screen's ``line_limit``: Comissões shows its first 400 detail
   lines, the export streams them all) for last month and for the last 12 months: p50 and
   p95 over --runs.
3. Creates the indexes again, ANALYZE, and times the same calls. Prints each panel's headline
   figures, p50 / p95 with the indexes, the baseline p50 and the ratio. Target: ≤ 300 ms per
   panel (p50) on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text
from sqlmodel import Session

from admin.panel.reports import robo_rows
from admin.panel.reports.screens import MAX_ROWS
from bot.models import WaConversation, WaMessage
from scheduler_core.agenda.models import Appointment, AppointmentItem, StatusChange
from scheduler_core.billing.models import Invoice, InvoiceItem, Payment
from scheduler_core.catalog.models import LevaETrazZone, Service, ServiceCategory
from scheduler_core.db.engine import make_engine
from scheduler_core.db.migrate import upgrade
from scheduler_core.people.models import Pet, Tutor
from scheduler_core.reports import panels
from scheduler_core.reports.indexes import INDEXES
from scheduler_core.reports.period import make_filter, month_of, previous_month
from scheduler_core.shop.models import Employee, Segment, Shop, WorkingRange

TZ = ZoneInfo("America/Sao_Paulo")
TODAY = date(2026, 11, 30)
FIRST = date(2023, 12, 1)
N_VISITS, N_INVOICES, N_TUTORS = 50_000, 20_000, 8_000
STATUSES = (["entregue"] * 55 + ["finalizado"] * 10 + ["cancelado"] * 12
            + ["nao_compareceu"] * 5 + ["agendado"] * 12 + ["confirmado"] * 6)
METHODS = ["pix", "pix", "pix", "dinheiro", "cartao_credito", "cartao_debito"]
TARGET_MS = 300


def _chunks(rows: list[dict], n: int = 5000):
    for i in range(0, len(rows), n):
        yield rows[i:i + n]


def _bulk(s: Session, model, rows: list[dict]) -> None:
    for part in _chunks(rows):
        s.execute(insert(model), part)


def seed(engine) -> int:
    rnd = random.Random(14)
    with Session(engine) as s:
        shop = Shop(name="Bench Pet", timezone="America/Sao_Paulo", leva_e_traz_enabled=True)
        s.add(shop)
        s.flush()
        seg = Segment(shop_id=shop.id, name="Banho e Tosa")
        s.add(seg)
        s.flush()
        cat = ServiceCategory(segment_id=seg.id, name="Banho")
        s.add(cat)
        s.flush()
        services = []
        catalogue = (("Banho", 5000, 60, 10), ("Tosa", 4000, 30, 20),
                     ("Hidratação", 3000, 20, 15), ("Tosa higiênica", 3500, 30, 20),
                     ("Corte de unhas", 1500, 10, 10), ("Banho gato", 6000, 60, 12))
        for name, price, minutes, pct in catalogue:
            svc = Service(category_id=cat.id, name=name, commission_pct=pct)
            s.add(svc)
            s.flush()
            services.append((svc.id, price, minutes))
        employees = []
        for i in range(8):
            e = Employee(shop_id=shop.id, name=f"Funcionário {i + 1}")
            s.add(e)
            s.flush()
            employees.append(e.id)
            for wd in range(6):
                s.add(WorkingRange(employee_id=e.id, weekday=wd, start="08:00", end="12:00"))
                s.add(WorkingRange(employee_id=e.id, weekday=wd, start="13:00", end="18:00"))
        zones = []
        for name in ("Centro", "Vila Nova", "Jardim"):
            z = LevaETrazZone(shop_id=shop.id, name=name, fee_cents=1500)
            s.add(z)
            s.flush()
            zones.append(z.id)
        s.commit()
        shop_id, seg_id = shop.id, seg.id
        span = (TODAY - FIRST).days
        tutors = [{"id": i + 1, "shop_id": shop_id, "name": f"Tutor {i + 1}",
                   "whatsapp": f"+55119{i:08d}",
                   "birth_date": date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                   "created_at": datetime.combine(FIRST + timedelta(days=rnd.randrange(span)),
                                                  datetime.min.time(), tzinfo=UTC)}
                  for i in range(N_TUTORS)]
        _bulk(s, Tutor, tutors)
        _bulk(s, Pet, [{"id": i + 1, "tutor_id": i + 1, "name": f"Pet {i + 1}"}
                       for i in range(N_TUTORS)])
        visits, items, changes = [], [], []
        item_id = 0
        for vid in range(1, N_VISITS + 1):
            day = FIRST + timedelta(days=rnd.randrange(span + 30))
            start = datetime(day.year, day.month, day.day, rnd.randrange(8, 21),
                             rnd.choice((0, 15, 30, 45)), tzinfo=TZ).astimezone(UTC)
            status = (rnd.choice(STATUSES) if day <= TODAY
                      else rnd.choice(("agendado", "confirmado")))
            lines = rnd.sample(services, rnd.choice((1, 1, 2)))
            emp = rnd.choice(employees)
            total = sum(p for _, p, _ in lines)
            discount = total // 10 if len(lines) == 2 else 0
            leva = rnd.random() < 0.1
            tutor = rnd.randrange(1, N_TUTORS + 1)
            at = start
            for pos, (sid, price, minutes) in enumerate(lines):
                item_id += 1
                items.append({"id": item_id, "appointment_id": vid, "service_id": sid,
                              "employee_id": emp, "start": at,
                              "end": at + timedelta(minutes=minutes), "position": pos,
                              "price_cents": price, "duration_min": minutes})
                at += timedelta(minutes=minutes)
            visits.append({"id": vid, "shop_id": shop_id, "segment_id": seg_id, "tutor_id": tutor,
                           "pet_id": tutor, "start": start, "end": at, "status": status,
                           "origin": "bot" if rnd.random() < 0.3 else "staff",
                           "total_cents": total - discount + (1500 if leva else 0),
                           "discount_cents": discount, "leva_e_traz": leva,
                           "leva_e_traz_fee_cents": 1500 if leva else 0,
                           "leva_e_traz_zone_id": rnd.choice(zones) if leva else None,
                           "created_at": start - timedelta(days=rnd.randrange(1, 20)),
                           "updated_at": start})
            if status in ("entregue", "finalizado") and vid % 2 == 0:
                begin = start + timedelta(minutes=rnd.randrange(0, 10))
                changes.append({"appointment_id": vid, "from_status": "recebido",
                                "to_status": "em_atendimento", "at": begin})
                changes.append({"appointment_id": vid, "from_status": "em_atendimento",
                                "to_status": "finalizado",
                                "at": begin + timedelta(minutes=rnd.randrange(30, 120))})
        _bulk(s, Appointment, visits)
        _bulk(s, AppointmentItem, items)
        _bulk(s, StatusChange, changes)
        done = [v for v in visits if v["status"] in ("entregue", "finalizado")]
        rnd.shuffle(done)
        invoices, inv_items, pays = [], [], []
        for n, v in enumerate(sorted(done[:N_INVOICES], key=lambda v: v["start"]), start=1):
            total = v["total_cents"]
            r = rnd.random()
            status = ("paga" if r < 0.85 else "parcial" if r < 0.9
                      else "cancelada" if r < 0.93 else "pendente")
            paid_at = v["start"] + timedelta(hours=2) if status == "paga" else None
            invoices.append({"id": n, "shop_id": shop_id, "number": n, "kind": "agendamento",
                             "status": status, "tutor_id": v["tutor_id"], "pet_id": v["pet_id"],
                             "appointment_id": v["id"],
                             "due_date": v["start"].astimezone(TZ).date(),
                             "discount_cents": v["discount_cents"], "created_at": v["start"],
                             "paid_at": paid_at})
            inv_items.append({"invoice_id": n, "kind": "servico", "name": "Serviços",
                              "unit_cents": total + v["discount_cents"]
                              - v["leva_e_traz_fee_cents"]})
            if v["leva_e_traz"]:
                inv_items.append({"invoice_id": n, "kind": "leva_e_traz", "name": "Leva e Traz",
                                  "unit_cents": v["leva_e_traz_fee_cents"]})
            if status in ("paga", "parcial"):
                pays.append({"invoice_id": n, "method": rnd.choice(METHODS),
                             "amount_cents": total if status == "paga" else total // 2,
                             "at": v["start"] + timedelta(hours=2), "batch": f"b{n}"})
        _bulk(s, Invoice, invoices)
        _bulk(s, InvoiceItem, inv_items)
        _bulk(s, Payment, pays)
        convs, msgs = [], []
        for cid in range(1, 6001):
            created = datetime.combine(FIRST + timedelta(days=rnd.randrange(span)),
                                       datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=rnd.randrange(10, 24))
            hand = rnd.random() < 0.15
            convs.append({"id": cid, "shop_id": shop_id, "key": f"+55{cid:011d}",
                          "tutor_id": cid if rnd.random() < 0.8 else None,
                          "owner": "human" if hand else "bot",
                          "handoff_reason": rnd.choice(("Pediu atendente", "Urgência", ""))
                          if hand else "", "handoff_at": created if hand else None,
                          "menu_state": {}, "created_at": created, "updated_at": created})
            for k in range(rnd.randrange(3, 11)):
                msgs.append({"conversation_id": cid, "direction": "in", "author": "tutor",
                             "text": "oi", "body": {}, "status": "received",
                             "created_at": created + timedelta(minutes=3 * k)})
        _bulk(s, WaConversation, convs)
        _bulk(s, WaMessage, msgs[:40_000])
        s.commit()
        print(f"  seeded: {len(visits)} visits, {len(items)} lines, {len(changes)} status moves, "
              f"{len(invoices)} invoices, {len(pays)} payments, {len(convs)} conversations, "
              f"{min(len(msgs), 40_000)} messages")
        return shop_id


def headline(name: str, figures) -> str:
    f = figures
    return {
        "financeiro": lambda: f"faturado {f.billed_cents / 100:,.2f} "
                              f"recebido {f.received_cents / 100:,.2f} faturas {f.invoice_count}",
        "geral": lambda: f"visitas {f.total} cancel {f.cancel_rate_pct}% "
                         f"falta {f.no_show_rate_pct}%",
        "clientes": lambda: f"novos {f.new_tutors} ativos {f.active_tutors} "
                            f"risco {f.at_risk_count}",
        "funcionarios": lambda: f"{len(f)} funcionários, {sum(e.visits for e in f)} atendimentos",
        "servicos": lambda: f"{len(f)} serviços, {sum(x.count for x in f)} linhas",
        "leva-e-traz": lambda: f"viagens {f.trips} taxas {f.fee_cents / 100:,.2f}",
        "comissoes": lambda: f"realizada {f.earned_cents / 100:,.2f} "
                             f"prevista {f.projected_cents / 100:,.2f}",
        "robo": lambda: f"conversas {f.started} agendaram {f.booked} transferidas {f.handed_off}",
    }[name]()


def measure(engine, shop_id: int, runs: int) -> dict:
    periods = {"mês": previous_month(TODAY), "12 meses": (date(2025, 12, 1), month_of(TODAY)[1])}
    out = {}
    for label, (start, end) in periods.items():
        for name in panels.PANELS:
            times, cpu, figures = [], [], None
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.process_time()
                with Session(engine) as s:
                    f = make_filter(s, shop_id, start, end)
                    rows = robo_rows.load(s, f) if name == "robo" else None
                    figures = panels.panel(s, name, f, today=TODAY, mask=str,
                                           robo_rows=rows, line_limit=MAX_ROWS).figures
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            out[(label, name)] = (statistics.median(times), _p95(times),
                                  statistics.median(cpu), headline(name, figures))
    return out


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def drop_indexes(engine) -> None:
    with engine.begin() as conn:
        for ix in INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {ix.name}"))


def create_indexes(engine) -> None:
    with engine.begin() as conn:
        for ix in INDEXES:
            ix.create(conn, checkfirst=True)
        conn.execute(text("ANALYZE"))


def run(label: str, url: str, runs: int) -> bool:
    print(f"\n== {label} ==")
    upgrade(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    shop_id = seed(engine)
    print(f"  seed time {time.perf_counter() - t0:.1f} s")
    drop_indexes(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    base = measure(engine, shop_id, runs)
    create_indexes(engine)
    new = measure(engine, shop_id, runs)
    engine.dispose()
    ok = True
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times include "
          "waiting for the CPU; 'cpu' is this process's own CPU time)")
    print(f"  {'período':9} {'painel':13} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7} "
          f"{'sem índ.':>9} {'razão':>6}  figures")
    for key, (p50, worst, cpu, fig) in new.items():
        b = base[key][0]
        ok &= p50 <= TARGET_MS
        print(f"  {key[0]:9} {key[1]:13} {p50:8.1f} {worst:8.1f} {cpu:7.1f} {b:9.1f} "
              f"{b / p50:6.2f}  {fig}")
    print(f"  target p50 ≤ {TARGET_MS} ms per panel: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--pg-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    ok = True
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            ok &= run("SQLite", f"sqlite:///{tmp}/bench.db", args.runs)
    if args.db in ("postgres", "both"):
        name = f"petbot_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            ok &= run("PostgreSQL", args.pg_url.rsplit("/", 1)[0] + "/" + name, args.runs)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
