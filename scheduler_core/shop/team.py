"""Who on the team can do a service: the one query the dialogue, the panel's booking wizard and
the REST API use to offer or check a professional.

A professional can do a service when they are active, keep a calendar, work in the service's
category and take the pet's species (``Employee.species``; empty means every species). The
availability engine applies the same rule when it places a visit.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from scheduler_core.shop.models import Employee, EmployeeCategory


def takes_species(employee: Employee, species: str | None) -> bool:
    """Whether ``employee`` works with pets of ``species`` (None: any pet)."""
    return species is None or not employee.species or species in employee.species


def employees_for(
    session: Session, shop_id: int, category_id: int, species: str | None = None
) -> list[Employee]:
    """The shop's professionals who can do services of ``category_id`` for a pet of
    ``species`` (None: any species), by name."""
    rows = session.exec(
        select(Employee)
        .join(EmployeeCategory, EmployeeCategory.employee_id == Employee.id)
        .where(
            Employee.shop_id == shop_id,
            EmployeeCategory.category_id == category_id,
            Employee.active.is_(True),
            Employee.has_calendar.is_(True),
        )
        .order_by(Employee.name, Employee.id)
    ).all()
    return [e for e in rows if takes_species(e, species)]


def categories_of(
    session: Session, shop_id: int, employee_id: int, category_ids: Iterable[int],
    species: str | None = None,
) -> set[int]:
    """Which of ``category_ids`` the professional can do for a pet of ``species``."""
    return {
        cat for cat in dict.fromkeys(category_ids)
        if any(e.id == employee_id for e in employees_for(session, shop_id, cat, species))
    }
