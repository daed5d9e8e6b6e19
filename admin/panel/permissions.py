"""What each staff role may do (spec/scheduling.md §2.3, backoffice.md §2.2).

A role gives a base set of permissions. A staff account linked to an employee also gets the
per-employee switches of that employee (cancel appointments, change invoices, edit blocks,
see sensitive tutor data), as TecPet does with its operator password.
"""

from __future__ import annotations

from enum import StrEnum

from admin.models import Role


class Perm(StrEnum):
    AGENDA_VIEW = "agenda.view"
    AGENDA_BOOK = "agenda.book"  # new appointment, reschedule, encaixe
    AGENDA_STATUS = "agenda.status"  # move a card on the status board
    APPOINTMENT_CANCEL = "appointment.cancel"  # cancel, no-show
    INVOICES_EDIT = "invoices.edit"
    BLOCKS_EDIT = "blocks.edit"
    TUTORS_VIEW = "tutors.view"
    TUTORS_EDIT = "tutors.edit"
    TUTORS_SENSITIVE = "tutors.sensitive"  # CPF, phones, address, e-mail
    INBOX = "inbox"
    INBOX_ASSIGN = "inbox.assign"  # give a conversation to another attendant (the owner)
    SETTINGS = "settings"  # shop, hours, catalogue, bot, restrictions
    EMPLOYEES = "employees"  # employee settings and staff accounts
    AUDIT = "audit"
    REPORTS = "reports"  # the dashboards without money per person or the shop's takings
    FINANCIAL = "reports.financial"  # Financeiro, Funcionários, Comissões, sales and closing


ALL = frozenset(Perm)

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.DONO: ALL,
    Role.ATENDENTE: frozenset(
        {
            Perm.AGENDA_VIEW, Perm.AGENDA_BOOK, Perm.AGENDA_STATUS, Perm.APPOINTMENT_CANCEL,
            Perm.INVOICES_EDIT, Perm.BLOCKS_EDIT, Perm.TUTORS_VIEW, Perm.TUTORS_EDIT,
            Perm.TUTORS_SENSITIVE, Perm.INBOX, Perm.REPORTS,
        }
    ),
    Role.TOSADOR: frozenset({Perm.AGENDA_VIEW, Perm.AGENDA_STATUS, Perm.TUTORS_VIEW}),
    Role.VETERINARIO: frozenset(
        {Perm.AGENDA_VIEW, Perm.AGENDA_STATUS, Perm.TUTORS_VIEW, Perm.TUTORS_SENSITIVE}
    ),
}

ROLE_LABELS = {
    Role.DONO: "Dono(a)",
    Role.ATENDENTE: "Atendente",
    Role.TOSADOR: "Tosador(a)",
    Role.VETERINARIO: "Veterinário(a)",
}


def permissions_for(role: str, employee=None) -> frozenset[Perm]:
    perms = set(ROLE_PERMS.get(role, frozenset()))
    if employee is not None and getattr(employee, "active", True):
        if employee.can_cancel:
            perms.add(Perm.APPOINTMENT_CANCEL)
        if employee.can_edit_invoices:
            perms.add(Perm.INVOICES_EDIT)
        if employee.can_edit_blocks:
            perms.add(Perm.BLOCKS_EDIT)
        if employee.can_see_sensitive:
            perms.add(Perm.TUTORS_SENSITIVE)
    return frozenset(perms)
