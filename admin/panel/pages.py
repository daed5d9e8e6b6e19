"""Request plumbing of the panel: the ``page`` decorator (session, permission, CSRF, errors),
rendering with the panel's jinja2 environment, flash messages and form helpers, and ``db``
(re-exported from :mod:`app.offload`): the one way a view runs its database work —
``await db(request, sync_fn, ...)``, never a session inside an ``async def``.

Other components that add pages under /admin can reuse ``page`` and ``render`` to get the same
login, CSRF and layout.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin.models import StaffSession, StaffUser
from admin.panel import accounts
from admin.panel.permissions import ROLE_LABELS, Perm, permissions_for
from app.http_security import client_address
from app.keys import CLOCK, DB, SETTINGS
from app.offload import db
from scheduler_core.audit import log as audit
from scheduler_core.db.engine import RETRY_AFTER_S, is_busy_error, read_session
from scheduler_core.kernel.errors import Busy, CoreError
from scheduler_core.shop.models import Employee, Shop

log = logging.getLogger(__name__)

PANEL_JINJA = web.AppKey("admin_panel_jinja", jinja2.Environment)
SESSION_COOKIE = "petbot_session"
PRE_COOKIE = "petbot_pre"
FLASH_COOKIE = "petbot_flash"
CSRF_FIELD = "csrf_token"


@dataclass
class Staff:
    """The logged-in staff member of this request."""

    user: StaffUser
    session_row: StaffSession
    perms: frozenset[Perm]
    shop: Shop | None
    employee: Employee | None = None
    extra: dict = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return f"staff:{self.user.id}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.user.role, self.user.role)

    def can(self, perm: str) -> bool:
        return perm in self.perms


STAFF = web.RequestKey("admin_staff", Staff)
PRE = web.RequestKey("admin_pre_cookie", str)
FLASH = web.RequestKey("admin_flash", dict)


class FormError(Exception):
    """Validation errors of a form: {field: pt-BR message}; "" is the form-wide message."""

    def __init__(self, errors: dict[str, str] | str):
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("; ".join(self.errors.values()))


# --------------------------------------------------------------------------- access helpers


def engine(request: web.Request) -> Engine:
    return request.config_dict[DB]


def now(request: web.Request):
    return request.config_dict[CLOCK]()


def staff(request: web.Request) -> Staff:
    return request[STAFF]


def record_audit(session: Session, request: web.Request, action: str, entity: str,
                 entity_id: int | None, details: dict | None = None) -> None:
    """Audit a staff action of this request: its clock, the signed-in staff as actor, their
    shop (the row commits with the caller's session)."""
    me = staff(request)
    audit.record(session, at=now(request), actor=me.actor, action=action, entity=entity,
                 entity_id=entity_id, shop_id=me.shop.id if me.shop else None,
                 details=details or {})


def panel_path(value: str | None, fallback: str, prefix: str = "/admin") -> str:
    """Where a form's "back" / "next" field may send staff: ``value`` when it is a path of this
    panel under ``prefix``, else ``fallback`` (never another site)."""
    if value and value.startswith(prefix) and "//" not in value and "\\" not in value:
        return value
    return fallback


def client_ip(request: web.Request) -> str:
    return client_address(request)


def is_https(request: web.Request) -> bool:
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or proto == "https"


def _pre_csrf(request: web.Request, pre: str) -> str:
    key = request.config_dict[SETTINGS].secret_key.encode()
    return hmac.new(key, b"login-csrf:" + pre.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: web.Request) -> str:
    if STAFF in request:
        return request[STAFF].session_row.csrf_token
    return _pre_csrf(request, request[PRE])


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, path="/", httponly=True, samesite="Lax", secure=is_https(request),
        max_age=max_age,
    )


def flash(response: web.StreamResponse, message: str, kind: str = "ok") -> web.StreamResponse:
    response.set_cookie(
        FLASH_COOKIE, quote(f"{kind}|{message}"), path="/", httponly=True, samesite="Lax",
        max_age=60,
    )
    return response


def redirect(location: str, message: str | None = None, kind: str = "ok") -> web.HTTPSeeOther:
    exc = web.HTTPSeeOther(location)
    if message:
        flash(exc, message, kind)
    return exc


# --------------------------------------------------------------------------- rendering


def render(request: web.Request, template: str, context: dict | None = None,
           status: int = 200) -> web.Response:
    ctx = dict(context or {})
    ctx.setdefault("staff", request.get(STAFF))
    ctx.setdefault("csrf", csrf_token(request) if PRE in request or STAFF in request else "")
    ctx.setdefault("flash", request.get(FLASH))
    ctx.setdefault("path", request.path)
    ctx.setdefault("Perm", Perm)
    ctx.setdefault("errors", {})
    ctx.setdefault("nav_href", lambda path: _nav_href(request, path))
    return aiohttp_jinja2.render_template(
        template, request, ctx, app_key=PANEL_JINJA, status=status
    )


def _nav_href(request: web.Request, path: str) -> str:
    """A link to a page another component may own (e.g. the simulator), or "" when that
    component is not mounted on this app."""
    for resource in request.app.router.resources():
        if getattr(resource, "canonical", None) == path:
            return path
    return ""


def error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def busy_page(request: web.Request, exc: Busy) -> web.Response:
    """503 with Retry-After: the database stayed busy; nothing of this request was saved (the
    unit of work rolled back), so sending the form again is safe."""
    log.warning("admin panel: database busy on %s %s", request.method, request.path)
    message = exc.message
    if request.method == "POST":
        message += " Nada foi salvo: envie o formulário de novo."
    response = error_page(request, 503, "Sistema ocupado", message)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


# --------------------------------------------------------------------------- the decorator


def _load_staff(request: web.Request) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    with read_session(engine(request), expire_on_commit=False) as session:
        found = accounts.load_session(session, token, now=now(request))
        if found is None:
            return None
        row, user = found
        employee = session.get(Employee, user.employee_id) if user.employee_id else None
        shop = session.get(Shop, user.shop_id) if user.shop_id else None
        if shop is None:
            shop = session.exec(select(Shop).order_by(Shop.id)).first()
        session.expunge_all()
    perms = permissions_for(user.role, employee, shop.sensitive_roles if shop else None,
                            shop.status_back_roles if shop else ())
    return Staff(user=user, session_row=row, perms=perms, shop=shop, employee=employee)


async def signed_in_staff(request: web.Request) -> Staff | None:
    """The staff member whose panel session cookie this request carries (for pages outside
    /admin, e.g. the simulator), loaded off the event loop."""
    return await db(request, _load_staff, request)


async def _check_csrf(request: web.Request) -> bool:
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent:
        ctype = request.content_type
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            sent = str(form.get(CSRF_FIELD, ""))
    expected = csrf_token(request)
    return bool(sent) and hmac.compare_digest(sent, expected)


def _no_store(response: web.StreamResponse) -> None:
    """Panel pages hold personal data: never cached. (The security headers of every response
    of the app are set in app.http_security.)"""
    response.headers.setdefault("Cache-Control", "no-store")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(perm: str | None = None, *, public: bool = False) -> Callable[[Handler], Handler]:
    """Wrap a panel handler: session, login redirect, CSRF on POST, permission, pt-BR errors."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            new_pre, raw_flash = _read_cookies(request)
            try:
                response = await _guarded(request, handler, perm, public)
            except Exception as exc:  # never show a stack trace to staff
                response = _failure_page(request, exc)
            _finish(request, response, new_pre, raw_flash)
            if isinstance(response, web.HTTPException):
                raise response
            return response

        return wrapper

    return decorate


def _read_cookies(request: web.Request) -> tuple[str | None, str | None]:
    """Store the pre-session id and the flash message on the request; return the pre-session id
    when it is new (to be set) and the raw flash cookie (to be cleared once shown)."""
    new_pre = None
    pre = request.cookies.get(PRE_COOKIE)
    if not pre:
        pre = new_pre = secrets.token_urlsafe(24)
    request[PRE] = pre
    raw_flash = request.cookies.get(FLASH_COOKIE)
    if raw_flash:
        kind, _, text = unquote(raw_flash).partition("|")
        request[FLASH] = {"kind": kind, "text": text}
    return new_pre, raw_flash


async def _guarded(
    request: web.Request, handler: Handler, perm: str | None, public: bool
) -> web.StreamResponse:
    """The handler's response once the session, the CSRF token and the permission pass; else
    the login redirect (raised) or the refusal page."""
    current = await db(request, _load_staff, request)
    if current is not None:
        request[STAFF] = current
    if current is None and not public:
        if request.method == "GET":
            target = quote(request.path_qs, safe="")
            raise web.HTTPSeeOther(f"/admin/login?next={target}")
        return error_page(
            request, 401, "Sessão expirada",
            "Sua sessão expirou. Entre de novo para continuar.",
        )
    if request.method == "POST" and not await _check_csrf(request):
        return error_page(
            request, 403, "Formulário recusado",
            "Este formulário expirou ou não veio desta página (proteção CSRF). "
            "Volte, recarregue a página e tente de novo.",
        )
    if perm and current is not None and not current.can(perm):
        return error_page(
            request, 403, "Sem permissão",
            "Seu perfil não tem permissão para abrir esta página. "
            "Fale com o dono da loja se precisar de acesso.",
        )
    return await handler(request)


def _failure_page(request: web.Request, exc: Exception) -> web.StreamResponse:
    """What staff see when a panel handler raised ``exc`` (called inside the ``except``)."""
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            return exc
        title = {403: "Sem permissão", 404: "Não encontrado"}.get(exc.status, "Não foi possível")
        text = exc.text if exc.text and not exc.text[:3].isdigit() else (
            "Você não tem permissão para esta ação." if exc.status == 403
            else "A página ou o registro não existe.")
        return error_page(request, exc.status, title, text)
    if isinstance(exc, Busy):
        return busy_page(request, exc)
    if isinstance(exc, CoreError):
        return error_page(request, exc.http_status, "Não foi possível", exc.message)
    if isinstance(exc, accounts.AccountError):
        return error_page(request, 400, "Não foi possível", str(exc))
    if is_busy_error(exc):
        return busy_page(request, Busy())
    log.exception("admin panel error on %s", request.path)
    return error_page(
        request, 500, "Erro inesperado",
        "Algo deu errado do nosso lado. Tente de novo; se continuar, avise o suporte.",
    )


def _finish(
    request: web.Request, response: web.StreamResponse, new_pre: str | None, raw_flash: str | None
) -> None:
    """Set a new pre-session cookie, clear a shown flash message, forbid caching."""
    if new_pre:
        set_cookie(request, response, PRE_COOKIE, new_pre)
    if raw_flash and FLASH_COOKIE not in response.cookies:
        response.del_cookie(FLASH_COOKIE, path="/")
    _no_store(response)


# --------------------------------------------------------------------------- form helpers


async def form(request: web.Request) -> dict:
    """The posted form as a dict of str (first value) — lists via ``form_list``."""
    data = await request.post()
    return {k: str(v) for k, v in data.items()}


async def form_list(request: web.Request, name: str) -> list[str]:
    data = await request.post()
    return [str(v) for v in data.getall(name, [])]


def int_or_none(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
