"""The agenda views: day columns, status board, week."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web
from sqlalchemy.engine import Engine

from admin.panel import agenda_data
from admin.panel.agenda.checklist import board_checklists
from admin.panel.agenda.common import VIEWS, S, required_shop
from admin.panel.pages import (
    db,
    engine,
    int_or_none,
    now,
    page,
    render,
    staff,
)
from admin.panel.permissions import Perm
from admin.panel.timeutil import parse_date, to_local, today
from scheduler_core.checklists.service import STAGES
from scheduler_core.db.engine import read_session
from scheduler_core.scheduling import occupancy, visit_status
from scheduler_core.shop.models import Shop

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- agenda views


def _load_agenda(db_engine: Engine, shop: Shop, first: date, days: int,
                 filters: dict, day: date) -> tuple[agenda_data.AgendaData, list, list]:
    """The agenda of ``days`` days from ``first`` (``filters``: segment, employee, status),
    every employee with a calendar and the creche / hotel places taken on ``day``."""
    with read_session(db_engine) as session:
        data = agenda_data.load_agenda(session, shop, first, days=days, **filters)
        return (data, agenda_data.employees_of(session, shop.id, calendar_only=True),
                occupancy.day_occupancy(session, shop.id, day))


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
    data, all_employees, places = await db(
        request, _load_agenda, engine(request), shop, first, 7 if view == "semana" else 1,
        {"segment_id": segment_id, "employee_id": employee_id, "status": status}, day)
    step = 7 if view == "semana" else 1
    checklists = {}
    if view == "quadro":
        segment_ids = {a.segment_id for a in data.for_day(day)}
        checklists = await board_checklists(request, shop.id, segment_ids)
    may_revert = staff(request).can(Perm.AGENDA_STATUS_BACK)
    return render(request, "agenda/agenda.html", {
        "view": view, "day": day, "data": data, "segment_id": segment_id,
        "employee_id": employee_id, "status": status, "all_employees": all_employees,
        "prev_day": (day - timedelta(days=step)).isoformat(),
        "next_day": (day + timedelta(days=step)).isoformat(),
        "today": today(now(request), shop.timezone),
        "hour_px": 72, "flow": visit_status.FLOW, "places": places, "checklists": checklists,
        "open_checklist": int_or_none(q.get("checklist")),
        "moves": {s: visit_status.moves_from(s, may_revert=may_revert)
                  for s in visit_status.FLOW},
        # A closed status asked for by the filter gets its own lane after the flow's.
        "lanes": list(visit_status.FLOW) + ([status] if status and status not in
                                             visit_status.FLOW else []),
        "stages": STAGES, "can_book": staff(request).can(Perm.AGENDA_BOOK),
        "now_local": to_local(now(request), shop.timezone),
    })
