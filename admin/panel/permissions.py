"""What each staff role may do (spec/scheduling.md §2.3, backoffice.md §2.2).

A role gives a base set of permissions. A staff account linked to an employee also gets the
per-employee switches of that employee (cancel appointments, change invoices, edit blocks,
move a status backwards), as TecPet does with its operator password. Moving a status
backwards is also granted per role by the shop (``Shop.status_back_roles``, "Equipe e
acessos"); the owner always has it. Sensitive tutor data follows the core's rule
(``scheduler_core.people.masking.sees_sensitive``): the shop chooses per role, and each
employee can be granted or refused on top.
"""

from __future__ import annotations

from enum import StrEnum

from admin.models import Role
from scheduler_core.people.masking import sees_sensitive


class Perm(StrEnum):
    AGENDA_VIEW = "agenda.view"
    AGENDA_BOOK = "agenda.book"  # new appointment, reschedule, encaixe
    AGENDA_STATUS = "agenda.status"  # move a card on the status board
    AGENDA_STATUS_BACK = "agenda.status_back"  # move it backwards (confirmed, audited)
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
    PETCARE = "petcare.record"  # record or schedule a pet's vaccine/dewormer dose


ALL = frozenset(Perm)

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.DONO: ALL,
    Role.ATENDENTE: frozenset(
        {
            Perm.AGENDA_VIEW, Perm.AGENDA_BOOK, Perm.AGENDA_STATUS, Perm.APPOINTMENT_CANCEL,
            Perm.INVOICES_EDIT, Perm.BLOCKS_EDIT, Perm.TUTORS_VIEW, Perm.TUTORS_EDIT,
            Perm.INBOX, Perm.REPORTS, Perm.PETCARE,
        }
    ),
    Role.TOSADOR: frozenset({Perm.AGENDA_VIEW, Perm.AGENDA_STATUS, Perm.TUTORS_VIEW}),
    Role.VETERINARIO: frozenset({Perm.AGENDA_VIEW, Perm.AGENDA_STATUS, Perm.TUTORS_VIEW,
                                 Perm.PETCARE}),
}

ROLE_LABELS = {
    Role.DONO: "Dono(a)",
    Role.ATENDENTE: "Atendente",
    Role.TOSADOR: "Tosador(a)",
    Role.VETERINARIO: "Veterinário(a)",
}


#: The roles a shop can let see sensitive data (the owner always sees it).
SENSITIVE_ROLE_CHOICES = (Role.ATENDENTE, Role.TOSADOR, Role.VETERINARIO)
#: The roles a shop can let move a status backwards (the owner always may).
STATUS_BACK_ROLE_CHOICES = SENSITIVE_ROLE_CHOICES


def permissions_for(role: str, employee=None, sensitive_roles=None,
                    status_back_roles=()) -> frozenset[Perm]:
    """The role's permissions, the employee's switches, sensitive data as the shop's
    ``sensitive_roles`` (None: the defaults) and the employee's own grant or refusal say, and
    moving a status backwards for the shop's ``status_back_roles``."""
    perms = set(ROLE_PERMS.get(role, frozenset()))
    if role in set(status_back_roles or ()):
        perms.add(Perm.AGENDA_STATUS_BACK)
    if sees_sensitive(role, owner=role == Role.DONO, sensitive_roles=sensitive_roles,
                      employee=employee):
        perms.add(Perm.TUTORS_SENSITIVE)
    else:
        perms.discard(Perm.TUTORS_SENSITIVE)
    if employee is not None and getattr(employee, "active", True):
        if employee.can_cancel:
            perms.add(Perm.APPOINTMENT_CANCEL)
        if employee.can_edit_invoices:
            perms.add(Perm.INVOICES_EDIT)
        if employee.can_edit_blocks:
            perms.add(Perm.BLOCKS_EDIT)
        if getattr(employee, "can_revert_status", False):
            perms.add(Perm.AGENDA_STATUS_BACK)
    if Perm.AGENDA_STATUS not in perms:
        perms.discard(Perm.AGENDA_STATUS_BACK)  # nothing to move backwards
    return frozenset(perms)
