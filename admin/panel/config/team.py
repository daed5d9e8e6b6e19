"""Employees: categories they do, species, working hours, permissions, operator PIN."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session, select

from admin.panel import accounts
from admin.panel.config.common import (
    field_errors,
    operator_pin_refusal,
    range_pairs,
    required_shop,
    segments_of,
)
from admin.panel.pages import (
    engine,
    form,
    form_list,
    page,
    record_audit,
    redirect,
    render,
)
from admin.panel.permissions import Perm
from scheduler_core.catalog import shop_setup
from scheduler_core.catalog.models import (
    ServiceCategory,
)
from scheduler_core.db.engine import locked_session
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import parse_ids
from scheduler_core.shop.models import (
    Employee,
    EmployeeCategory,
    Segment,
    Shop,
    WorkingRange,
)

routes = web.RouteTableDef()


# --------------------------------------------------------------------------- employees


@routes.get("/admin/config/funcionarios")
@page(Perm.EMPLOYEES)
async def employees_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        employees = session.exec(select(Employee).where(Employee.shop_id == shop.id)
                                 .order_by(Employee.name)).all()
        cats = {c.id: c.name for c in session.exec(select(ServiceCategory)).all()}
        emp_cats: dict[int, list[str]] = {}
        for link in session.exec(select(EmployeeCategory)).all():
            emp_cats.setdefault(link.employee_id, []).append(cats.get(link.category_id, "?"))
        ranges: dict[int, set[int]] = {}
        for r in session.exec(select(WorkingRange)).all():
            ranges.setdefault(r.employee_id, set()).add(r.weekday)
    return render(request, "config/employees.html", {
        "employees": employees, "emp_cats": emp_cats, "work_days": ranges,
        "calendars": sum(1 for e in employees if e.active and e.has_calendar),
    })


def _employee_ctx(session: Session, shop: Shop, employee: Employee | None) -> dict:
    categories = session.exec(
        select(ServiceCategory).join(Segment, Segment.id == ServiceCategory.segment_id)
        .where(Segment.shop_id == shop.id).order_by(Segment.id, ServiceCategory.display_order)
    ).all()
    segments = {s.id: s.name for s in segments_of(session, shop)}
    chosen, days = set(), {d: [] for d in range(7)}
    if employee is not None:
        chosen = set(session.exec(select(EmployeeCategory.category_id)
                                  .where(EmployeeCategory.employee_id == employee.id)).all())
        for r in session.exec(select(WorkingRange).where(WorkingRange.employee_id == employee.id)
                              .order_by(WorkingRange.weekday, WorkingRange.start)).all():
            days[r.weekday].append((r.start, r.end))
    return {"employee": employee, "categories": categories, "segment_names": segments,
            "chosen": chosen, "days": days,
            "values": employee.model_dump() if employee else
            {"has_calendar": True, "active": True, "species": ["cao", "gato"]}}


@routes.get("/admin/config/funcionarios/novo")
@routes.get("/admin/config/funcionarios/{id:[0-9]{1,9}}")
@page(Perm.EMPLOYEES)
async def employee_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    with Session(engine(request)) as session:
        employee = None
        if "id" in request.match_info:
            employee = session.get(Employee, int(request.match_info["id"]))
            if employee is None or employee.shop_id != shop.id:
                raise web.HTTPNotFound(text="Funcionário não encontrado.")
        return render(request, "config/employee.html", _employee_ctx(session, shop, employee))


@routes.post("/admin/config/funcionarios/novo")
@routes.post("/admin/config/funcionarios/{id:[0-9]{1,9}}")
@page(Perm.EMPLOYEES)
async def employee_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    category_ids = parse_ids(await form_list(request, "categories"))
    species = await form_list(request, "species")
    work_days = set(parse_ids(await form_list(request, "works")))
    days = {d: (range_pairs(data, f"d{d}") if d in work_days else []) for d in range(7)}
    pin_refusal = operator_pin_refusal(request, data)
    with locked_session(engine(request)) as session:
        employee = None
        if "id" in request.match_info:
            employee = session.get(Employee, int(request.match_info["id"]))
            if employee is None or employee.shop_id != shop.id:
                raise web.HTTPNotFound(text="Funcionário não encontrado.")
        try:
            if pin_refusal is not None:
                raise pin_refusal
            employee = shop_setup.save_employee(
                session, shop.id, employee, data, category_ids=category_ids, species=species,
                days=days, hash_pin=accounts.hash_secret)
        except (ValidationFailed, accounts.AccountError) as exc:
            session.rollback()
            ctx = _employee_ctx(session, shop, employee)
            ctx.update(
                errors=field_errors(exc),
                values={**data, "species": species, "has_calendar": data.get("has_calendar"),
                        "active": data.get("active")},
                chosen=set(category_ids),
                days={d: [p for p in days[d] if p[0] or p[1]] for d in range(7)},
            )
            return render(request, "config/employee.html", ctx, status=422)
        record_audit(session, request, "config.employee", "employee", employee.id,
               {"name": employee.name, "categories": category_ids})
        session.commit()
        name = employee.name
    raise redirect("/admin/config/funcionarios", f"Funcionário “{name}” salvo.")
