"""Employees: categories they do, species, working hours, permissions, operator PIN."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine
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
    db,
    engine,
    form,
    form_list,
    int_or_none,
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
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.kernel.dates_ptbr import WEEKDAY_NAMES
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


def _load_employees(db_engine: Engine, shop_id: int) -> dict:
    with read_session(db_engine) as session:
        employees = session.exec(select(Employee).where(Employee.shop_id == shop_id)
                                 .order_by(Employee.name)).all()
        cats = {c.id: c.name for c in session.exec(select(ServiceCategory)).all()}
        emp_cats: dict[int, list[str]] = {}
        for link in session.exec(select(EmployeeCategory)).all():
            emp_cats.setdefault(link.employee_id, []).append(cats.get(link.category_id, "?"))
        ranges: dict[int, set[int]] = {}
        for r in session.exec(select(WorkingRange)).all():
            ranges.setdefault(r.employee_id, set()).add(r.weekday)
    return {
        "employees": employees, "emp_cats": emp_cats, "work_days": ranges,
        "calendars": sum(1 for e in employees if e.active and e.has_calendar),
    }


@routes.get("/admin/config/funcionarios")
@page(Perm.EMPLOYEES)
async def employees_list(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_employees, engine(request), shop.id)
    return render(request, "config/employees.html", ctx)


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


def _employee_of(session: Session, shop: Shop, employee_id: int | None) -> Employee | None:
    """The employee of the URL (None on /novo); another shop's or a missing one is a 404."""
    if employee_id is None:
        return None
    employee = session.get(Employee, employee_id)
    if employee is None or employee.shop_id != shop.id:
        raise web.HTTPNotFound(text="Funcionário não encontrado.")
    return employee


def _load_employee(db_engine: Engine, shop: Shop, employee_id: int | None) -> dict:
    with read_session(db_engine) as session:
        return _employee_ctx(session, shop, _employee_of(session, shop, employee_id))


def _url_id(request: web.Request) -> int | None:
    return int(request.match_info["id"]) if "id" in request.match_info else None


@routes.get("/admin/config/funcionarios/novo")
@routes.get("/admin/config/funcionarios/{id:[0-9]{1,9}}")
@page(Perm.EMPLOYEES)
async def employee_form(request: web.Request) -> web.Response:
    shop = required_shop(request)
    ctx = await db(request, _load_employee, engine(request), shop, _url_id(request))
    return render(request, "config/employee.html", ctx)


def _typed_employee_ctx(session: Session, shop: Shop, employee: Employee | None, data: dict,
                        form_lists: dict, days: dict) -> dict:
    """The employee form again with what was typed (a refusal, or "copiar horários")."""
    ctx = _employee_ctx(session, shop, employee)
    ctx.update(
        values={**data, "species": form_lists["species"],
                "has_calendar": data.get("has_calendar"), "active": data.get("active")},
        chosen=set(form_lists["categories"]),
        days={d: [p for p in days[d] if p[0] or p[1]] for d in range(7)},
    )
    return ctx


def _load_typed_employee(db_engine: Engine, shop: Shop, employee_id: int | None, data: dict,
                         form_lists: dict, days: dict) -> dict:
    with read_session(db_engine) as session:
        return _typed_employee_ctx(session, shop, _employee_of(session, shop, employee_id),
                                   data, form_lists, days)


def _save_employee(request: web.Request, shop: Shop, employee_id: int | None, data: dict,
                   form_lists: dict, days: dict) -> tuple[str, dict | None]:
    """(the employee's name, None) when saved; ("", the form's context with the errors) when
    refused. The operator PIN is checked before the write lock is taken (argon2 is slow)."""
    category_ids, species = form_lists["categories"], form_lists["species"]
    pin_refusal = operator_pin_refusal(request, data)
    with locked_session(engine(request)) as session:
        employee = _employee_of(session, shop, employee_id)
        try:
            if pin_refusal is not None:
                raise pin_refusal
            employee = shop_setup.save_employee(
                session, shop.id, employee, data, category_ids=category_ids, species=species,
                days=days, hash_pin=accounts.hash_secret)
        except (ValidationFailed, accounts.AccountError) as exc:
            session.rollback()
            ctx = _typed_employee_ctx(session, shop, employee, data, form_lists, days)
            ctx["errors"] = field_errors(exc)
            return "", ctx
        record_audit(session, request, "config.employee", "employee", employee.id,
                     {"name": employee.name, "categories": category_ids,
                      "sensitive_access": shop_setup.sensitive_choice_of(employee)})
        session.commit()
        return employee.name, None


@routes.post("/admin/config/funcionarios/novo")
@routes.post("/admin/config/funcionarios/{id:[0-9]{1,9}}")
@page(Perm.EMPLOYEES)
async def employee_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    lists = {"categories": parse_ids(await form_list(request, "categories")),
             "species": await form_list(request, "species")}
    work_days = set(parse_ids(await form_list(request, "works")))
    days = {d: (range_pairs(data, f"d{d}") if d in work_days else []) for d in range(7)}
    source = int_or_none(data.get("copy_from"))
    if source is not None and 0 <= source < 7:
        # "Copiar para os outros dias": the day's hours on every day ticked as worked; nothing
        # is saved until "Salvar" (as the segment's opening hours, config/hours.py).
        hours = range_pairs(data, f"d{source}")
        days = {d: (list(hours) if d in work_days | {source} else []) for d in range(7)}
        ctx = await db(request, _load_typed_employee, engine(request), shop, _url_id(request),
                       data, lists, days)
        ctx["notice"] = (f"Horário de {WEEKDAY_NAMES[source].lower()} copiado para os outros "
                         "dias marcados como trabalhados. Confira e clique em Salvar.")
        return render(request, "config/employee.html", ctx)
    name, refused = await db(request, _save_employee, request, shop, _url_id(request), data,
                             lists, days)
    if refused is not None:
        return render(request, "config/employee.html", refused, status=422)
    raise redirect("/admin/config/funcionarios", f"Funcionário “{name}” salvo.")
