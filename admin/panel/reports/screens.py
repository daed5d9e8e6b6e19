"""The Relatórios screens and exports: parse the filters, one core call
(``scheduler_core.reports.panels``) through ``db``, render or write.

Filters (query string): ``periodo`` (a preset) or ``inicio`` / ``fim`` (ISO dates),
``segmento``, ``funcionario``, ``base`` (execucao / vencimento / pagamento). Financial panels
and reports need ``Perm.FINANCIAL``; tutors' WhatsApp is masked without
``Perm.TUTORS_SENSITIVE``. CSV and XLSX are streamed (the XLSX is written to a temporary file
by xlsxwriter in constant-memory mode, then sent in chunks). Comissões' detail lines (tens of
thousands in a year) are shown up to ``MAX_ROWS`` and exported page by page from the
database (``PAGE_ROWS`` at a time), never all in memory.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, timedelta

from aiohttp import web
from sqlmodel import Session, select

from admin.panel.pages import db, engine, now, page, render, staff
from admin.panel.permissions import Perm
from admin.panel.reports import charts, robo_rows
from admin.panel.timeutil import parse_date
from admin.panel.timeutil import today as shop_today
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people.masking import show_phone
from scheduler_core.reports import export, panels
from scheduler_core.reports.period import (
    BASIS_LABELS,
    Basis,
    ReportFilter,
    make_filter,
    month_of,
    previous_month,
)
from scheduler_core.shop.models import Employee, Segment

routes = web.RouteTableDef()

PRESETS = {"mes": "Este mês", "mes_anterior": "Mês anterior", "hoje": "Hoje",
           "7dias": "Últimos 7 dias", "30dias": "Últimos 30 dias", "ano": "Este ano",
           "personalizado": "Personalizado"}
CHUNK = 64 * 1024
#: Rows a screen table shows (the download has them all): a year of commission lines would
#: make a page too heavy for a phone.
MAX_ROWS = 400
#: Rows read from the database at a time when an export streams a long table.
PAGE_ROWS = 2000


def _period(q, today: date) -> tuple[date, date, str]:
    preset = q.get("periodo", "")
    if q.get("inicio") or q.get("fim"):
        start, end = parse_date(q.get("inicio")), parse_date(q.get("fim"))
        if start is None or end is None:
            raise ValidationFailed("Data inválida: informe o início e o fim do período.",
                                   details={"field": "inicio"}) from None
        return start, end, "personalizado"
    if preset == "hoje":
        return today, today, preset
    if preset in ("7dias", "30dias"):
        return today - timedelta(days=int(preset[:-4]) - 1), today, preset
    if preset == "mes_anterior":
        return (*previous_month(today), preset)
    if preset == "ano":
        return today.replace(month=1, day=1), today.replace(month=12, day=31), preset
    return (*month_of(today), "mes")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise ValidationFailed("Filtro inválido.", details={"field": "segmento"}) from None


def _request_filter(request: web.Request) -> dict:
    me = staff(request)
    if me.shop is None:
        raise web.HTTPNotFound(text="Cadastre os dados da loja primeiro.")
    today = shop_today(now(request), me.shop.timezone)
    q = request.query
    start, end, preset = _period(q, today)
    basis = q.get("base") or Basis.EXECUCAO
    return {"shop_id": me.shop.id, "start": start, "end": end, "preset": preset,
            "segment_id": _int(q.get("segmento")), "employee_id": _int(q.get("funcionario")),
            "basis": basis, "today": today,
            "sensitive": me.can(Perm.TUTORS_SENSITIVE)}


def _mask(sensitive: bool):
    return lambda phone: show_phone(phone, sensitive=sensitive)


def _check(request: web.Request, name: str) -> None:
    if name in panels.FINANCIAL and not staff(request).can(Perm.FINANCIAL):
        raise web.HTTPForbidden(text="Este relatório é financeiro: seu perfil não tem acesso.")


def _load_panel(eng, name: str, p: dict) -> dict:
    with read_session(eng) as session:
        f = make_filter(session, p["shop_id"], p["start"], p["end"], segment_id=p["segment_id"],
                        employee_id=p["employee_id"], basis=p["basis"])
        rows = robo_rows.load(session, f) if name == "robo" else None
        result = panels.panel(session, name, f, today=p["today"], mask=_mask(p["sensitive"]),
                              robo_rows=rows, line_limit=MAX_ROWS)
        return {"result": result, "filter": f, **_options(session, p["shop_id"])}


def _options(session: Session, shop_id: int) -> dict:
    return {
        "segments": session.execute(select(Segment.id, Segment.name).where(
            Segment.shop_id == shop_id).order_by(Segment.name)).all(),
        "employees": session.execute(select(Employee.id, Employee.name).where(
            Employee.shop_id == shop_id).order_by(Employee.name)).all(),
    }


def _load_faq(eng, report: str, p: dict) -> list:
    with read_session(eng) as session:
        f = make_filter(session, p["shop_id"], p["start"], p["end"], segment_id=p["segment_id"],
                        employee_id=p["employee_id"], basis=p["basis"])
        return panels.faq(session, report, f, today=p["today"], mask=_mask(p["sensitive"]))


def _visible(request: web.Request, names: dict[str, str]) -> list[tuple[str, str]]:
    me = staff(request)
    return [(k, v) for k, v in names.items()
            if k not in panels.FINANCIAL or me.can(Perm.FINANCIAL)]


@routes.get("/admin/relatorios")
@page(Perm.REPORTS)
async def index(request: web.Request) -> web.Response:
    p = _request_filter(request)
    return render(request, "reports/index.html", {
        "panels": _visible(request, panels.PANELS), "faq": _visible(request, panels.FAQ),
        "p": p, "presets": PRESETS, "qs": request.query_string})


@routes.get("/admin/relatorios/{name}")
@page(Perm.REPORTS)
async def panel_screen(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in panels.PANELS:
        raise web.HTTPNotFound(text="Relatório não encontrado.")
    _check(request, name)
    p = _request_filter(request)
    data = await db(request, _load_panel, engine(request), name, p)
    result = data["result"]
    chart_list = charts.BUILDERS[name](result.figures)
    return render(request, "reports/panel.html", {
        **data, "name": name, "p": p, "presets": PRESETS, "basis_labels": BASIS_LABELS,
        "panels": _visible(request, panels.PANELS), "kpis": charts.kpis(name, result.figures),
        "charts": [json.dumps(c, ensure_ascii=False).replace("</", "<\\/") for c in chart_list],
        "qs": request.query_string, "show_basis": name == "financeiro", "max_rows": MAX_ROWS})


@routes.get("/admin/relatorios/{name}/exportar.{fmt}")
@page(Perm.REPORTS)
async def panel_export(request: web.Request) -> web.StreamResponse:
    name, fmt = request.match_info["name"], request.match_info["fmt"]
    if name not in panels.PANELS or fmt not in ("csv", "xlsx"):
        raise web.HTTPNotFound(text="Relatório não encontrado.")
    _check(request, name)
    p = _request_filter(request)
    data = await db(request, _load_panel, engine(request), name, p)
    return await _send(request, data["result"].tables, f"{name}-{p['start']}-{p['end']}", fmt,
                       paged=(name, data["filter"]))


@routes.get("/admin/relatorios/faq/{report}.{fmt}")
@page(Perm.REPORTS)
async def faq_export(request: web.Request) -> web.StreamResponse:
    report, fmt = request.match_info["report"], request.match_info["fmt"]
    if report not in panels.FAQ or fmt not in ("csv", "xlsx"):
        raise web.HTTPNotFound(text="Relatório não encontrado.")
    _check(request, report)
    p = _request_filter(request)
    tables = await db(request, _load_faq, engine(request), report, p)
    return await _send(request, tables, f"{report}-{p['start']}-{p['end']}", fmt)


async def _send(request: web.Request, tables: list, stem: str, fmt: str,
                paged: tuple[str, ReportFilter] | None = None) -> web.StreamResponse:
    """Stream ``tables`` as CSV (one table, ``tabela``) or XLSX. A table the screen holds only
    in part (``total_rows``) is read page by page from the database (``panels.table_page``),
    each page off the event loop, and written as it comes."""
    if fmt == "csv":
        key = request.query.get("tabela") or tables[0].key
        table = next((t for t in tables if t.key == key), None)
        if table is None:
            raise web.HTTPNotFound(text="Tabela não encontrada neste relatório.")
        response = _stream_response(f"{stem}-{table.key}.csv", "text/csv; charset=utf-8")
        await response.prepare(request)
        if table.total_rows is None or paged is None:
            for chunk in export.csv_chunks(table):
                await response.write(chunk)
        else:
            await response.write(export.csv_header(table))
            cursor = None
            while True:
                rows, cursor = await db(request, _table_page, engine(request), paged[0], table.key,
                                        paged[1], cursor)
                await response.write(export.csv_rows(table, rows))
                if cursor is None:
                    break
        await response.write_eof()
        return response
    path = await db(request, _xlsx_file, tables, engine(request), paged)
    try:
        response = _stream_response(
            f"{stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.content_length = os.path.getsize(path)
        await response.prepare(request)
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                await response.write(chunk)
        await response.write_eof()
    finally:
        os.unlink(path)
    return response


def _table_page(eng, name: str, key: str, f: ReportFilter, cursor) -> tuple:
    with read_session(eng) as session:
        return panels.table_page(session, name, key, f, cursor, PAGE_ROWS)


def _xlsx_file(tables: list, eng, paged: tuple[str, ReportFilter] | None) -> str:
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    with os.fdopen(fd, "wb") as out, read_session(eng) as session:
        rows_of = None
        if paged is not None:
            name, f = paged

            def rows_of(table):
                return panels.table_rows(session, name, table.key, f, size=PAGE_ROWS)
        export.write_xlsx(tables, out, rows_of)
    return path


def _stream_response(filename: str, ctype: str) -> web.StreamResponse:
    response = web.StreamResponse(headers={
        "Content-Type": ctype, "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{filename}"'})
    return response
