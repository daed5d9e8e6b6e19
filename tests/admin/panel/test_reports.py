"""Relatórios screens and exports over HTTP on the demo shop: every panel renders its charts'
data and tables, the financial ones are refused without the financial permission, tutors'
phones are masked without the sensitive permission, and the CSV / XLSX downloads hold the
core's figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlmodel import Session, select

from scheduler_core.reports import panels
from scheduler_core.reports.period import make_filter, month_of
from scheduler_core.shop.models import Shop

from .conftest import logged_in

ALL = list(panels.PANELS)


def _month_filter(engine):
    with Session(engine) as s:
        shop = s.exec(select(Shop)).first()
        from zoneinfo import ZoneInfo

        today = datetime.now(UTC).astimezone(ZoneInfo(shop.timezone)).date()
        return make_filter(s, shop.id, *month_of(today)), today


@pytest.mark.parametrize("name", ALL)
async def test_owner_sees_every_panel(client, panel_db, name):
    await logged_in(client, panel_db)
    response = await client.get(f"/admin/relatorios/{name}")
    html = await response.text()
    assert response.status == 200, html
    assert "Base de data:" in html
    assert 'data-chart="chart-1"' in html and 'type="application/json"' in html
    assert '<table class="table">' in html
    assert "/admin/static/vendor/chartjs/chart.umd.min.js" in html


async def test_nav_and_index(client, panel_db):
    await logged_in(client, panel_db)
    html = await (await client.get("/admin/relatorios")).text()
    assert 'href="/admin/relatorios"' in html and "Relatórios" in html
    for title in panels.FAQ.values():
        assert title in html


async def test_attendant_has_no_financial_panels(client, panel_db):
    await logged_in(client, panel_db, "attendant")
    assert (await client.get("/admin/relatorios/geral")).status == 200
    for name in ("financeiro", "comissoes", "funcionarios"):
        response = await client.get(f"/admin/relatorios/{name}")
        assert response.status == 403
        assert "financeiro" in (await response.text())
    assert (await client.get("/admin/relatorios/faq/vendas.csv")).status == 403
    index = await (await client.get("/admin/relatorios")).text()
    assert "/admin/relatorios/financeiro" not in index


async def test_groomer_has_no_reports(client, panel_db):
    await logged_in(client, panel_db, "groomer")
    assert (await client.get("/admin/relatorios/geral")).status == 403


async def test_bad_dates_are_a_clear_refusal(client, panel_db):
    await logged_in(client, panel_db)
    response = await client.get("/admin/relatorios/geral?inicio=31/02&fim=x")
    assert response.status == 422
    assert "Data inválida" in await response.text()
    response = await client.get("/admin/relatorios/geral?inicio=2026-03-10&fim=2026-03-01")
    assert response.status == 422
    assert (await client.get("/admin/relatorios/nada")).status == 404
    assert (await client.get("/admin/relatorios/geral?segmento=abc")).status == 422
    response = await client.get("/admin/relatorios/geral/exportar.csv?inicio=9999-12-01"
                                "&fim=9999-12-31")
    assert response.status == 422 and "Escolha datas entre" in await response.text()


async def test_geral_csv_matches_the_core(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    response = await client.get("/admin/relatorios/geral/exportar.csv?tabela=dias")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    f, today = _month_filter(engine)
    with Session(engine) as s:
        core = panels.panel(s, "geral", f, today=today, mask=str).figures
    assert rows[0][0] == "Data" and rows[0][-1] == "Total"
    assert len(rows) - 1 == len(core.by_day)
    assert [int(r[-1]) for r in rows[1:]] == [d.total for d in core.by_day]
    assert rows[1][0] == f.start.strftime("%d/%m/%Y")
    assert sum(int(r[-1]) for r in rows[1:]) == core.total


async def test_financeiro_xlsx_has_real_cells(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db)
    response = await client.get("/admin/relatorios/financeiro/exportar.xlsx")
    assert response.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    f, today = _month_filter(engine)
    with Session(engine) as s:
        core = panels.panel(s, "financeiro", f, today=today, mask=str).figures
    summary = book.worksheets[0]
    assert summary["A2"].value == "Faturado"
    assert summary["B2"].value == pytest.approx(core.billed_cents / 100)
    assert "R$" in summary["B2"].number_format
    days = book.worksheets[2]
    assert isinstance(days["A2"].value, datetime)
    assert days["A2"].value.date() == f.start
    assert days.max_row - 1 == len(core.by_day)


async def test_phones_masked_without_the_sensitive_permission(client, panel_db):
    from scheduler_core.people.models import Tutor
    from scheduler_core.shop.models import Shop

    engine = panel_db[0]
    f, _today = _month_filter(engine)
    with Session(engine) as s:
        s.add(Tutor(shop_id=f.shop_id, name="Aniversariante Teste", whatsapp="+5511955554321",
                    birth_date=f.start.replace(year=1985)))
        s.commit()
    owner_html = await (await (await logged_in(client, panel_db)).get(
        "/admin/relatorios/clientes")).text()
    assert "Aniversariante Teste" in owner_html and "95555-4321" in owner_html
    await client.post("/admin/logout")
    client.session.cookie_jar.clear()
    with Session(engine) as s:  # the shop no longer lets attendants see sensitive data
        shop = s.get(Shop, f.shop_id)
        shop.sensitive_roles = []
        s.add(shop)
        s.commit()
    await logged_in(client, panel_db, "attendant")
    html = await (await client.get("/admin/relatorios/clientes")).text()
    assert "Aniversariante Teste" in html
    assert "(11) 9••••-4321" in html and "95555-4321" not in html


async def test_commission_lines_are_cut_on_screen_and_all_in_the_downloads(
        client, panel_db, monkeypatch):
    from admin.panel.reports import screens
    from scheduler_core.reports import funcionarios

    engine = panel_db[0]
    f, _today = _month_filter(engine)
    with Session(engine) as s:
        every = funcionarios.comissoes(s, f).lines
    assert len(every) >= 3, "the demo shop needs a few commission lines this month"
    monkeypatch.setattr(screens, "MAX_ROWS", 2)
    monkeypatch.setattr(screens, "PAGE_ROWS", 2)  # the download reads several pages
    await logged_in(client, panel_db)
    html = await (await client.get("/admin/relatorios/comissoes")).text()
    assert f"Mostrando 2 de {len(every)} linhas" in html
    raw = await (await client.get("/admin/relatorios/comissoes/exportar.csv?tabela=linhas")).read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert raw.startswith(b"\xef\xbb\xbf") and rows[0][0] == "Data"
    assert [int(r[1]) for r in rows[1:]] == [c.appointment_id for c in every]
    book = openpyxl.load_workbook(io.BytesIO(await (await client.get(
        "/admin/relatorios/comissoes/exportar.xlsx")).read()))
    sheet = book.worksheets[1]
    assert sheet.max_row - 1 == len(every)
    assert [sheet.cell(r, 7).value for r in range(2, sheet.max_row + 1)] == [
        pytest.approx(c.commission_cents / 100) for c in every]


async def test_robo_note_only_while_no_turn_is_recorded(client, panel_db):
    from scheduler_core.chatbot.turn_log import record_turn

    engine = panel_db[0]
    f, _today = _month_filter(engine)
    await logged_in(client, panel_db)
    assert 'data-note="nlu"' in await (await client.get("/admin/relatorios/robo")).text()
    with Session(engine) as s:
        record_turn(s, shop_id=f.shop_id, sender="+5511900000000", at=datetime.now(UTC),
                    text="quero banho", intent="banho", confidence=0.9, tapped=False,
                    misunderstood=False)
        s.commit()
    html = await (await client.get("/admin/relatorios/robo")).text()
    assert 'data-note="nlu"' not in html


@pytest.mark.parametrize("report", list(panels.FAQ))
async def test_every_faq_report_downloads(client, panel_db, report):
    await logged_in(client, panel_db)
    response = await client.get(f"/admin/relatorios/faq/{report}.csv")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    raw = await response.read()
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert raw.startswith(b"\xef\xbb\xbf") and len(header) >= 2
    response = await client.get(f"/admin/relatorios/faq/{report}.xlsx")
    assert response.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    assert [c.value for c in book.worksheets[0][1]][:len(header)] == header
