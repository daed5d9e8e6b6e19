"""Every panel's figures on the fixed shop of seed.py, computed by hand (see its docstring),
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.reports import (
    clientes,
    financeiro,
    funcionarios,
    geral,
    leva_e_traz,
    lists,
    panels,
    robo,
    servicos,
    tables,
)
from scheduler_core.reports.period import make_filter

from .seed import seed, utc

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def shop(db_engine):
    return db_engine, seed(db_engine)


def march(engine, sd, **kw):
    with Session(engine) as s:
        return make_filter(s, sd.shop_id, *MARCH, **kw)


def test_financeiro_by_execution(shop):
    engine, sd = shop
    with Session(engine) as s:
        r = financeiro.financeiro(s, march(engine, sd), today=date(2026, 3, 31))
    # I1 50 + I2 81 + I3 65 (visit 22:30 on 31/03 local) + I5 20; I4 cancelled; I7 February.
    assert r.billed_cents == 21600
    assert r.invoice_count == 4
    assert r.average_ticket_cents == 5400
    # Pix 50 + cash 30 + card 30 (later converted to credit); the credit use is not money in.
    assert r.received_cents == 11000
    methods = {m.method: (m.count, m.amount_cents, m.in_received) for m in r.by_method}
    assert methods == {"pix": (1, 5000, True), "dinheiro": (1, 3000, True),
                       "cartao_credito": (1, 3000, True), "credito_tutor": (1, 2000, False)}
    assert r.settled_cents == 10000
    assert r.open_cents == 11600  # I2 51 + I3 65
    assert (r.overdue_cents, r.overdue_count) == (5100, 1)  # I2, due 03/03
    assert (r.cancelled_count, r.cancelled_paid_cents) == (1, 3000)
    # February: I7 50, paid 22:50 on 28/02 local (01:50 UTC on 01/03).
    assert (r.previous_billed_cents, r.previous_received_cents) == (5000, 5000)
    assert r.billed_change_pct == 332.0
    assert r.received_change_pct == 120.0
    days = {d.day: (d.billed_cents, d.received_cents) for d in r.by_day}
    assert len(days) == 31
    assert days[date(2026, 3, 31)] == (6500, 0)
    assert days[date(2026, 3, 3)] == (8100, 3000)
    assert days[date(2026, 3, 15)] == (0, 3000)


def test_financeiro_other_bases_and_segment(shop):
    engine, sd = shop
    with Session(engine) as s:
        paid = financeiro.financeiro(s, march(engine, sd, basis="pagamento"), date(2026, 3, 31))
        april = make_filter(s, sd.shop_id, date(2026, 4, 1), date(2026, 4, 30))
        apr = financeiro.financeiro(s, april, date(2026, 4, 30))
        seg = financeiro.financeiro(s, march(engine, sd, segment_id=sd.segment_id),
                                    date(2026, 3, 31))
    assert (paid.billed_cents, paid.invoice_count) == (7000, 2)  # I1 and I5 fully paid in March
    assert apr.billed_cents == 0  # V3 is on 31/03 in São Paulo, though 01/04 in UTC
    assert seg.billed_cents == 19600  # the avulsa invoices have no segment
    assert seg.received_cents == 8000


def test_geral(shop):
    engine, sd = shop
    with Session(engine) as s:
        r = geral.geral(s, march(engine, sd))
        only_bruno = geral.geral(s, march(engine, sd, employee_id=sd.bruno))
    assert r.total == 6
    assert {k: v for k, v in r.by_status.items() if v} == {
        "agendado": 1, "entregue": 1, "finalizado": 2, "cancelado": 1, "nao_compareceu": 1}
    assert r.cancel_rate_pct == r.no_show_rate_pct == 16.7
    assert r.by_origin == {"bot": 1, "staff": 5, "api": 0}
    day31 = next(d for d in r.by_day if d.day == date(2026, 3, 31))
    assert day31.counts == {"finalizado": 1}
    occ = {o.name: (o.booked_min, o.available_min, o.occupancy_pct) for o in r.occupancy}
    # 26 working days less the blocked Saturday = 25 × 540 min.
    assert occ == {"Ana": (150, 13500, 1.1), "Bruno": (120, 13500, 0.9)}
    assert only_bruno.total == 3
    assert [o.name for o in only_bruno.occupancy] == ["Bruno"]


def test_clientes(shop):
    engine, sd = shop
    with Session(engine) as s:
        r = clientes.clientes(s, march(engine, sd))
    assert r.new_tutors == 2  # João, Ana Clara
    assert r.active_tutors == 3  # Maria, João, Ana Clara
    assert r.returning_tutors == 1  # Maria (28/02)
    assert r.returning_pct == 33.3
    assert r.at_risk_count == 1
    assert [(t.name, t.day, t.days_since) for t in r.at_risk] == [
        ("Pedro Lima", date(2025, 12, 1), 120)]
    assert [(t.name, t.day) for t in r.birthdays] == [("Ana Clara", date(1990, 3, 22))]


def test_funcionarios_and_comissoes(shop):
    engine, sd = shop
    with Session(engine) as s:
        staff = funcionarios.funcionarios(s, march(engine, sd))
        c = funcionarios.comissoes(s, march(engine, sd))
    assert [(e.name, e.visits, e.minutes, e.revenue_cents) for e in staff] == [
        ("Ana", 2, 150, 13100), ("Bruno", 1, 60, 5000)]
    totals = {t.name: (t.earned_cents, t.projected_cents, t.base_cents) for t in c.totals}
    # Ana: V1 10 % of 50 + combo (banho 45 × 10 %, tosa 36 × 20 %); Bruno: V3, V6 projected.
    assert totals == {"Ana": (500 + 450 + 720, 0, 13100), "Bruno": (500, 500, 5000)}
    combo = [(x.service, x.base_cents, x.pct, x.commission_cents)
             for x in c.lines if x.appointment_id == sd.visits["V2"]]
    assert combo == [("Banho", 4500, 10, 450), ("Tosa", 3600, 20, 720)]
    assert all(x.appointment_id not in (sd.visits["V4"], sd.visits["V5"]) for x in c.lines)


def test_servicos(shop):
    engine, sd = shop
    with Session(engine) as s:
        r = servicos.servicos(s, march(engine, sd))
    assert [(x.name, x.count, x.avulso, x.revenue_cents, x.table_min, x.real_min)
            for x in r] == [("Banho", 3, 3, 14500, 60, 70), ("Tosa", 1, 1, 3600, 30, None)]


def test_leva_e_traz(shop):
    engine, sd = shop
    with Session(engine) as s:
        r = leva_e_traz.leva_e_traz(s, march(engine, sd))
    assert (r.visits, r.trips, r.fee_cents) == (1, 2, 1500)
    assert [(z.zone, z.trips, z.fee_cents) for z in r.by_zone] == [("Centro", 2, 1500)]
    assert [(d.day, d.trips) for d in r.by_day if d.visits] == [(date(2026, 3, 31), 2)]


def test_robo_from_rows(shop):
    engine, sd = shop
    convs = [
        robo.ConversationRow(1, utc(2026, 3, 1, 14), sd.joao, None, ""),
        robo.ConversationRow(2, utc(2026, 3, 4, 14), None, utc(2026, 3, 4, 14, 5),
                             "Pediu atendente"),
        robo.ConversationRow(3, utc(2026, 3, 6, 13), sd.maria, None, ""),
    ]
    hours = [0] * 24
    hours[10], hours[23] = 2, 1  # counted by the database: test_robo_hours.py
    with Session(engine) as s:
        r = robo.robo(s, march(engine, sd), convs, hours)
    assert (r.started, r.identified, r.booked, r.bot_bookings) == (3, 2, 1, 1)
    assert r.handed_off == 2
    assert r.reasons == [("Motivo não registrado", 1), ("Pediu atendente", 1)]
    assert r.by_hour == hours and r.messages_in == 3
    assert r.misunderstood == 0 and sum(n for _, n in r.confidence) == 0  # no turn recorded


def test_faq_lists(shop):
    engine, sd = shop
    with Session(engine) as s:
        f = march(engine, sd)
        cancelled = lists.cancelled_visits(s, f)
        both = lists.cancelled_visits(s, f, with_no_shows=True)
        active = lists.active_clients(s, f)
        sales = lists.sales(s, f)
        avulsos = servicos.servicos(s, f, avulso_only=True)
    assert [(c.tutor, c.reason) for c in cancelled] == [("Maria Silva", "Chuva")]
    assert len(both) == 2
    assert sorted(c.name for c in active) == ["Ana Clara", "João Souza", "Maria Silva"]
    assert [(x.status, x.total_cents, x.open_cents) for x in sales] == [
        ("Paga", 5000, 0), ("Parcial", 8100, 5100), ("Pendente", 6500, 6500),
        ("Cancelada", 3000, 0), ("Paga", 2000, 0)]
    assert sum(x.count for x in avulsos) == 4


def test_bad_period_is_refused(shop):
    engine, sd = shop
    with Session(engine) as s, pytest.raises(ValidationFailed) as err:
        make_filter(s, sd.shop_id, date(2026, 3, 31), date(2026, 3, 1))
    assert "anterior" in err.value.message
    for start, end in ((date(9999, 12, 1), date(9999, 12, 31)), (date(1, 1, 1), date(1, 1, 31))):
        with Session(engine) as s, pytest.raises(ValidationFailed) as err:
            make_filter(s, sd.shop_id, start, end)
        assert err.value.message == "Escolha datas entre 2000 e 2100."


def test_comissoes_shows_the_first_lines_and_pages_through_all(shop):
    engine, sd = shop
    with Session(engine) as s:
        f = march(engine, sd)
        full = funcionarios.comissoes(s, f)
        short = funcionarios.comissoes(s, f, line_limit=2)
        result = panels.panel(s, "comissoes", f, today=MARCH[1], mask=str, line_limit=2)
        pages, cursor = [], None
        while True:
            page, cursor = panels.table_page(s, "comissoes", "linhas", f, cursor, 2)
            pages.append(page)
            if cursor is None:
                break
        streamed = list(panels.table_rows(s, "comissoes", "linhas", f, size=3))
    # V1 banho, V2 banho + tosa (Ana); V3 banho, V6 banho (Bruno): five lines.
    assert full.line_count == short.line_count == len(full.lines) == 5
    assert short.totals == full.totals and short.lines == full.lines[:2]
    lines = result.tables[1]
    assert lines.key == "linhas" and len(lines.rows) == 2 and lines.total_rows == 5
    every = tables.commission_rows(full.lines)
    assert [len(p) for p in pages] == [2, 2, 1] and sum(pages, []) == every == streamed
    assert [r[1] for r in every] == [sd.visits[v] for v in ("V1", "V2", "V2", "V6", "V3")]
    assert sum(r[6] for r in every) == full.earned_cents + full.projected_cents


def test_employee_filter_on_comissoes_and_servicos(shop):
    engine, sd = shop
    with Session(engine) as s:
        f = march(engine, sd, employee_id=sd.ana)
        c = funcionarios.comissoes(s, f, line_limit=1)
        svc = servicos.servicos(s, march(engine, sd, employee_id=sd.bruno))
    # Ana: V1 banho 10 % of 50, V2 combo banho 45 × 10 % + tosa 36 × 20 %; no projection.
    assert [(t.name, t.earned_cents, t.projected_cents) for t in c.totals] == [
        ("Ana", 500 + 450 + 720, 0)]
    assert c.line_count == 3 and [x.employee for x in c.lines] == ["Ana"]
    # Bruno: only V3 is done in March (V4 no-show, V6 still scheduled).
    assert [(x.name, x.count, x.revenue_cents) for x in svc] == [("Banho", 1, 5000)]
