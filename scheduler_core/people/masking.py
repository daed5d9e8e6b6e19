"""How a tutor's contact data reads for staff without the sensitive-data permission: the one
mask of a phone, a CPF, an e-mail and an address, for every screen that shows them (tutor
pages, searches, the booking wizard, the inbox, reports).

Enough stays visible to tell two tutors apart on the phone ("(11) 9••••-4321"), never enough to
copy the number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scheduler_core.kernel.cpf import format_cpf
from scheduler_core.kernel.phones import format_phone_br
from scheduler_core.people.models import Tutor
from scheduler_core.shop.models import Employee

DOT = "•"


def mask_phone(phone: str | None) -> str:
    """ "+5511987654321" → "(11) 9••••-4321"; a landline "(11) 3•••-4321"; a foreign number
    keeps its last 4 digits only; "" stays ""."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    national = None
    if digits.startswith("55") and len(digits) in (12, 13):
        national = digits[2:]
    elif not (phone or "").lstrip().startswith("+") and len(digits) in (10, 11):
        national = digits  # typed without the country code
    if national is None:
        return f"+{DOT * max(len(digits) - 4, 1)}{digits[-4:]}"
    ddd, local = national[:2], national[2:]
    return f"({ddd}) {local[0]}{DOT * (len(local) - 5)}-{local[-4:]}"


def mask_cpf(cpf: str | None) -> str:
    """ "12345678909" (or "123.456.789-09") → "•••.456.789-••"; "" stays ""."""
    digits = re.sub(r"\D", "", cpf or "")
    if not digits:
        return ""
    if len(digits) != 11:
        return DOT * 3
    return f"{DOT * 3}.{digits[3:6]}.{digits[6:9]}-{DOT * 2}"


def mask_email(email: str | None) -> str:
    """ "maria.silva@gmail.com" → "m•••@gmail.com"."""
    user, at, domain = (email or "").partition("@")
    if not at:
        return DOT * 3 if email else ""
    return f"{user[:1]}{DOT * 3}@{domain}"


def mask_address(*, street: str = "", number: str = "", complement: str = "",
                 neighborhood: str = "", city: str = "", state: str = "",
                 cep: str = "") -> str:
    """The street, number, complement and CEP hidden; the neighbourhood and city stay (where
    the Leva e Traz goes): "•••, Vila Mariana, São Paulo/SP"."""
    place = ", ".join(p for p in (neighborhood, f"{city}/{state}" if city and state else city)
                      if p)
    hidden = DOT * 3 if (street or number or complement or cep) else ""
    return ", ".join(p for p in (hidden, place) if p)


def full_address(*, street: str = "", number: str = "", complement: str = "",
                 neighborhood: str = "", city: str = "", state: str = "",
                 cep: str = "") -> str:
    """The address in one line, as staff with the permission read it."""
    line = ", ".join(p for p in (street, number, complement, neighborhood,
                                 f"{city}/{state}" if city and state else city) if p)
    return f"{line} · CEP {cep}" if cep else line


@dataclass(frozen=True)
class TutorContact:
    """A tutor's contact data as one staff member may read it."""

    whatsapp: str
    phone2: str
    cpf: str
    email: str
    address: str
    masked: bool


def show_phone(phone: str | None, *, sensitive: bool) -> str:
    """The phone in full ("(11) 98765-4321") or masked."""
    if not phone:
        return ""
    return format_phone_br(phone) if sensitive else mask_phone(phone)


def tutor_contact(tutor: Tutor, *, sensitive: bool) -> TutorContact:
    """``tutor``'s phones, CPF, e-mail and address, in full or masked."""
    parts = {k: getattr(tutor, k) or "" for k in ("street", "number", "complement",
                                                  "neighborhood", "city", "state", "cep")}
    return TutorContact(
        whatsapp=show_phone(tutor.whatsapp, sensitive=sensitive),
        phone2=show_phone(tutor.phone2, sensitive=sensitive),
        cpf=(format_cpf(tutor.cpf) if sensitive else mask_cpf(tutor.cpf)) if tutor.cpf else "",
        email=(tutor.email if sensitive else mask_email(tutor.email)) or "",
        address=full_address(**parts) if sensitive else mask_address(**parts),
        masked=not sensitive,
    )


#: The roles that see sensitive data unmasked when a shop has not chosen (the owner always).
DEFAULT_SENSITIVE_ROLES = ("atendente", "veterinario")


def sees_sensitive(role: str, *, owner: bool, sensitive_roles: Iterable[str] | None,
                   employee: Employee | None = None) -> bool:
    """Whether a staff member sees tutors' sensitive data unmasked: always the owner; else the
    employee's own switch when set (granted or refused), else the shop's choice for the role."""
    if owner:
        return True
    if employee is not None and employee.active:
        if employee.deny_sensitive:
            return False
        if employee.can_see_sensitive:
            return True
    roles = DEFAULT_SENSITIVE_ROLES if sensitive_roles is None else sensitive_roles
    return role in set(roles)
