"""Exports of the fixed shop (seed.py) opened back: CSV with the csv module (BOM, ';', decimal
comma), XLSX with openpyxl (real numbers in reais with the R$ format, real dates)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlmodel import Session

from scheduler_core.reports import export, panels
from scheduler_core.reports.period import make_filter

from .seed import seed

TODAY = date(2026, 3, 31)


@pytest.fixture
def shop(db_engine):
    return db_engine, seed(db_engine)


def _filter(s, sd):
    return make_filter(s, sd.shop_id, date(2026, 3, 1), date(2026, 3, 31))


def _csv(table) -> list[list[str]]:
    raw = b"".join(export.csv_chunks(table))
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _xlsx(tables):
    buf = io.BytesIO()
    export.write_xlsx(tables, buf)
    buf.seek(0)
    return openpyxl.load_workbook(buf)


def test_financeiro_csv_and_xlsx(shop):
    engine, sd = shop
    with Session(engine) as s:
        result = panels.panel(s, "financeiro", _filter(s, sd), today=TODAY, mask=str)
    summary = dict(_csv(result.tables[0])[1:])
    assert summary["Faturado"] == "216,00"
    assert summary["Recebido"] == "110,00"
    assert summary["Vencido"] == "51,00"
    book = _xlsx(result.tables)
    sheet = book.worksheets[0]
    cells = {sheet.cell(r, 1).value: sheet.cell(r, 2) for r in range(2, sheet.max_row + 1)}
    assert cells["Faturado"].value == pytest.approx(216.0)
    assert cells["Em aberto"].value == pytest.approx(116.0)
    assert "R$" in cells["Faturado"].number_format
    days = book.worksheets[2]
    last = days.cell(days.max_row, 1)
    assert isinstance(last.value, datetime) and last.value.date() == date(2026, 3, 31)
    assert days.cell(days.max_row, 2).value == pytest.approx(65.0)  # V3, 22:30 local


def test_every_panel_and_faq_report_exports(shop):
    engine, sd = shop
    with Session(engine) as s:
        f = _filter(s, sd)
        results = [panels.panel(s, n, f, today=TODAY, mask=str).tables for n in panels.PANELS]
        faqs = {k: panels.faq(s, k, f, today=TODAY, mask=str) for k in panels.FAQ}
    for tables in [*results, *faqs.values()]:
        book = _xlsx(tables)
        assert len(book.worksheets) == len(tables)
        for table, sheet in zip(tables, book.worksheets, strict=True):
            rows = _csv(table)
            assert rows[0] == [c.label for c in table.columns]
            assert len(rows) - 1 == len(table.rows) == sheet.max_row - 1
    commissions = {r[0]: r for r in _csv(faqs["desempenho"][0])[1:]}
    assert commissions["Ana"][4] == "131,00"
    cancelled = _csv(faqs["cancelados"][0])
    assert cancelled[1][1] == "11/03/2026 09:00" and cancelled[1][6] == "Chuva"
    # The closing is the month before ``today`` (February): I7 only.
    closing = dict(_csv(faqs["fechamento"][0])[1:])
    assert closing["Faturado"] == "50,00" and closing["Recebido"] == "50,00"
    sales = _xlsx(faqs["vendas"]).worksheets[0]
    assert [sales.cell(r, 6).value for r in range(2, sales.max_row + 1)] == [
        50.0, 81.0, 65.0, 30.0, 20.0]
    assert sales.cell(2, 2).value == datetime(2026, 3, 2)
    avulsos = _csv(faqs["avulsos"][0])
    assert [(r[0], r[1]) for r in avulsos[1:]] == [("Banho", "3"), ("Tosa", "1")]


def test_large_csv_comes_in_chunks():
    from scheduler_core.reports.tables import INT, MONEY, Column, Table

    table = Table("t", "T", [Column("n", INT), Column("v", MONEY)],
                  [(i, -i * 101) for i in range(2000)])
    chunks = list(export.csv_chunks(table))
    assert len(chunks) == 1 + 4
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig")), delimiter=";"))
    assert rows[2] == ["1", "-1,01"] and len(rows) == 2001
