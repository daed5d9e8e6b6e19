"""CSV and XLSX writers for :class:`~scheduler_core.reports.tables.Table`.

CSV: UTF-8 with BOM, ``;`` separator, decimal comma, dates dd/mm/aaaa, so Excel in pt-BR opens it
as is; produced as chunks (a generator) for a streamed response. XLSX (xlsxwriter,
``constant_memory``: rows go to disk as they are written): real number cells, money in reais
with the "R$" format, real date cells.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import BinaryIO

import xlsxwriter

from scheduler_core.reports.tables import DATE, DATETIME, INT, MONEY, PCT, SCORE, Cell, Table

CHUNK_ROWS = 500
BRL_FORMAT = '"R$" #,##0.00'


def csv_cell(value: Cell, kind: str) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        reais, cents = divmod(abs(int(value)), 100)
        return f"{'-' if int(value) < 0 else ''}{reais},{cents:02d}"
    if kind in (PCT, SCORE):
        return f"{float(value):.1f}".replace(".", ",")
    if kind == DATETIME and isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if kind == DATE and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as CSV bytes, the BOM first, a few hundred rows per chunk."""
    yield csv_header(table)
    for start in range(0, len(table.rows), CHUNK_ROWS):
        yield csv_rows(table, table.rows[start:start + CHUNK_ROWS])


def csv_header(table: Table) -> bytes:
    """The BOM and the header line."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerow(
        [c.label for c in table.columns])
    return "\ufeff".encode() + buf.getvalue().encode()


def csv_rows(table: Table, rows: Iterable[tuple[Cell, ...]]) -> bytes:
    """``rows`` (of ``table``'s columns) as CSV lines: a chunk of a streamed export."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    kinds = [c.kind for c in table.columns]
    for row in rows:
        writer.writerow([csv_cell(v, k) for v, k in zip(row, kinds, strict=True)])
    return buf.getvalue().encode()


def write_xlsx(tables: list[Table], out: BinaryIO,
               rows_of: Callable[[Table], Iterable[tuple[Cell, ...]]] | None = None) -> None:
    """One sheet per table into ``out`` (a binary file opened for writing). ``rows_of`` gives
    the rows of a table the screen holds only in part (``Table.total_rows``), read as they are
    written (constant memory)."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "remove_timezone": True})
    bold = book.add_format({"bold": True})
    formats = {MONEY: book.add_format({"num_format": BRL_FORMAT}),
               DATE: book.add_format({"num_format": "dd/mm/yyyy"}),
               DATETIME: book.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
               PCT: book.add_format({"num_format": "0.0"}),
               SCORE: book.add_format({"num_format": "0.0"})}
    used: set[str] = set()
    for table in tables:
        sheet = book.add_worksheet(_sheet_name(table.title, used))
        for col, column in enumerate(table.columns):
            sheet.write_string(0, col, column.label, bold)
            sheet.set_column(col, col, max(12, min(40, len(column.label) + 2)))
        rows = (rows_of(table) if rows_of is not None and table.total_rows is not None
                else table.rows)
        for r, row in enumerate(rows, start=1):
            for col, (value, column) in enumerate(zip(row, table.columns, strict=True)):
                _write(sheet, r, col, value, column.kind, formats)
    book.close()


def _write(sheet, r: int, col: int, value: Cell, kind: str, formats: dict) -> None:  # noqa: ANN001
    if value is None:
        sheet.write_blank(r, col, None)
    elif kind == MONEY:
        sheet.write_number(r, col, int(value) / 100, formats[MONEY])
    elif kind in (INT, PCT, SCORE):
        sheet.write_number(r, col, value, formats.get(kind))
    elif kind == DATETIME and isinstance(value, datetime):
        sheet.write_datetime(r, col, value.replace(tzinfo=None), formats[DATETIME])
    elif kind == DATE and isinstance(value, date):
        sheet.write_datetime(r, col, datetime(value.year, value.month, value.day),
                             formats[DATE])
    else:
        sheet.write_string(r, col, str(value))


def _sheet_name(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Planilha"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:26]} {n}", n + 1
    used.add(name.lower())
    return name
