"""What the agenda screens share: the shop, error mapping, the operator PIN check. (Database
work goes through ``admin.panel.pages.db``, like every panel view.)"""

from __future__ import annotations

from aiohttp import web

from admin.models import StaffUser
from admin.panel import accounts
from admin.panel.pages import (
    engine,
    redirect,
    staff,
)
from app.keys import SETTINGS
from scheduler_core.agenda.models import AppointmentStatus
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import CoreError
from scheduler_core.shop.models import Shop

S = AppointmentStatus

VIEWS = ("dia", "quadro", "semana")
MAX_SEARCH_DAYS = 31


def required_shop(request: web.Request) -> Shop:
    shop = staff(request).shop
    if shop is None:
        raise redirect("/admin/config/loja", "Cadastre os dados da loja para começar.", "aviso")
    return shop


def token_secret(request: web.Request) -> str:
    return request.config_dict[SETTINGS].secret_key


def core_errors(exc: CoreError) -> dict[str, str]:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    return {field or "": exc.message} if field else {"": exc.message}


def check_pin(request: web.Request, pin: str | None) -> None:
    """The operator PIN of the signed-in staff (``AccountError`` when wrong); blocking
    (argon2 and a read): call it through ``db``."""
    with read_session(engine(request)) as session:
        accounts.check_pin(session.get(StaffUser, staff(request).user.id), pin)
