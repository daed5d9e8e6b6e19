"""The operator PIN before a tutor's data (a shop setting, "Equipe e acessos"): the tutor's
page, the pet's page and the inbox's side panel ask for it, each opening is audited
("tutor.open") and stays open for that staff member and tutor for :data:`OPEN_FOR`, so the
page's tabs (and the tutor's pets and conversation) do not ask again."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlalchemy.engine import Engine

from admin.models import Role, StaffUser
from admin.panel import accounts
from admin.panel.pages import (
    db,
    engine,
    form,
    now,
    page,
    panel_path,
    record_audit,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from scheduler_core.audit import log as audit
from scheduler_core.db.engine import locked_session, read_session
from scheduler_core.people import registry as people

routes = web.RouteTableDef()

#: How long a tutor's page stays open after the PIN was typed.
OPEN_FOR = timedelta(minutes=15)


def pin_needed(request: web.Request) -> bool:
    """Whether this staff member types the PIN before a tutor's page (never the owner)."""
    me = staff(request)
    return bool(me.shop and me.shop.pin_to_open_tutor and me.user.role != Role.DONO)


def _opened_recently(db_engine: Engine, request: web.Request, tutor_id: int) -> bool:
    me = staff(request)
    with read_session(db_engine) as session:
        people.get_tutor(session, tutor_id, me.shop.id)  # 404 for another shop's tutor
        return audit.recorded_since(session, shop_id=me.shop.id, actor=me.actor,
                                    action="tutor.open", entity="tutor", entity_id=tutor_id,
                                    since=now(request) - OPEN_FOR)


async def locked(request: web.Request, tutor_id: int) -> bool:
    """Whether this staff member must type the PIN before seeing the tutor's data now."""
    if not pin_needed(request):
        return False
    return not await db(request, _opened_recently, engine(request), request, tutor_id)


async def prompt_if_needed(request: web.Request, tutor_id: int) -> web.Response | None:
    """The PIN page when this staff member must type the PIN first, else None."""
    if await locked(request, tutor_id):
        return _prompt(request, tutor_id, request.path_qs)
    return None


#: Where the PIN form may send staff back once the tutor is open (the tutor's own pages, a
#: pet's page, a conversation of the inbox).
BACK_PREFIXES = ("/admin/pets/", "/admin/atendimento/")


def _back(value: str | None, tutor_id: int) -> str:
    own = f"/admin/tutores/{tutor_id}"
    for prefix in (own, *BACK_PREFIXES):
        found = panel_path(value, "", prefix=prefix)
        if found:
            return found
    return own


def _prompt(request: web.Request, tutor_id: int, back: str, error: str = "",
            status: int = 200) -> web.Response:
    return render(request, "tutors/unlock.html", {"tutor_id": tutor_id, "back": back,
                                                  "pin_error": error}, status=status)


def _open(request: web.Request, tutor_id: int, pin: str | None) -> None:
    """Check the PIN (AccountError when wrong) and audit the opening."""
    me = staff(request)
    with read_session(engine(request)) as session:
        accounts.check_pin(session.get(StaffUser, me.user.id), pin)
    with locked_session(engine(request)) as session:
        tutor = people.get_tutor(session, tutor_id, me.shop.id)
        record_audit(session, request, "tutor.open", "tutor", tutor.id, {"name": tutor.name})
        session.commit()


@routes.post("/admin/tutores/{id:[0-9]{1,9}}/abrir")
@page(Perm.TUTORS_VIEW)
async def tutor_open(request: web.Request) -> web.Response:
    tutor_id = int(request.match_info["id"])
    data = await form(request)
    back = _back(data.get("back"), tutor_id)
    try:
        await db(request, _open, request, tutor_id, data.get("operator_pin"))
    except accounts.AccountError as exc:
        return _prompt(request, tutor_id, back, str(exc), status=422)
    raise redirect(back, "Ficha do tutor aberta (registrado na auditoria).")
