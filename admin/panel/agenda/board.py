"""The agenda views: day columns, status board, week."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlmodel import Session

from admin.panel import agenda_data
from admin.panel.agenda.checklist import board_checklists
from admin.panel.agenda.common import VIEWS, S, required_shop
from admin.panel.pages import (
    engine,
    int_or_none,
    now,
    page,
    render,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date, today
from scheduler_core.scheduling import visit_status

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- agenda views


@routes.get("/admin/agenda")
@page(Perm.AGENDA_VIEW)
async def agenda(request: web.Request) -> web.Response:
    shop = required_shop(request)
    q = request.query
    view = q.get("visao") if q.get("visao") in VIEWS else "dia"
    day = parse_date(q.get("data")) or today(now(request), shop.timezone)
    segment_id = int_or_none(q.get("segmento"))
    employee_id = int_or_none(q.get("funcionario"))
    status = q.get("status") if q.get("status") in {s.value for s in S} else None
    first = day - timedelta(days=day.weekday()) if view == "semana" else day
    with Session(engine(request)) as session:
        data = agenda_data.load_agenda(
            session, shop, first, days=7 if view == "semana" else 1, segment_id=segment_id,
            employee_id=employee_id, status=status,
        )
        all_employees = agenda_data.employees_of(session, shop.id, calendar_only=True)
    step = 7 if view == "semana" else 1
    checklists = {}
    if view == "quadro":
        segment_ids = {a.segment_id for a in data.for_day(day)}
        checklists = await board_checklists(request, shop.id, segment_ids)
    return render(request, "agenda/agenda.html", {
        "view": view, "day": day, "data": data, "segment_id": segment_id,
        "employee_id": employee_id, "status": status, "all_employees": all_employees,
        "prev_day": (day - timedelta(days=step)).isoformat(),
        "next_day": (day + timedelta(days=step)).isoformat(),
        "today": today(now(request), shop.timezone),
        "hour_px": 72, "flow": visit_status.FLOW, "checklists": checklists,
        "open_checklist": int_or_none(q.get("checklist")),
        "next_status": {s: visit_status.FLOW[i + 1] for i, s in enumerate(visit_status.FLOW[:-1])},
    })
