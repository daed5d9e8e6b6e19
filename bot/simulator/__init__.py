"""WhatsApp Cloud API simulator, on the app's own server (reached over real HTTP).

Mounted only on the embedded default (``WHATSAPP_API_BASE=simulator``, see app/server.py):
a deployment that talks to Meta has no simulator routes at all. Access (the app decides it,
through ``setup(app, access)``): the chat page and its two calls (``enviar``, ``conversa``) for
a browser on this machine or a signed-in staff member; the test hooks (``entregar``,
``falhas``, ``janela``) only for a signed-in staff member; the Graph API endpoint only with the
app's own access token (``WHATSAPP_TOKEN``, by default derived from SECRET_KEY). JSON calls must
be sent as ``application/json``, so another web site cannot post them from a visitor's browser
without a CORS preflight, which this app never grants.

- ``POST /{version}/{phone-number-id}/messages``: the Graph API's send endpoint. Validates like
  Meta (≤ 3 reply buttons, titles ≤ 20, ≤ 10 list rows, row title ≤ 24, description ≤ 72, ...)
  and answers Meta's success or error shapes; the mark-as-read call is accepted too.
- Signed webhooks (X-Hub-Signature-256 with the app secret) are delivered to the gateway
  exactly as Meta shapes them: tutor messages (with or without ``contacts[].user_id``) and
  status updates sent / delivered / read. Duplicates and reordering on demand for tests.
- Templates are kept with their name, language and filled parameters and shown on the chat page
  as a template (a "modelo" badge), never as if they were free text.
- Meta's 24-hour rule, on demand (``PETBOT_SIM_STRICT_WINDOW=1`` or ``POST /simulador/api/janela
  {"estrita": true}``): a free-form or interactive message to a tutor whose last message (by
  the app's clock) is older than 24 h, or who never wrote, is refused with Meta's 131047
  ("Re-engagement message") error payload, so the notification sender's fallback to the
  template is exercised.
- ``GET /simulador``: a pt-BR chat page where a person plays a tutor (the shop's
  "Simulação" mode). The page polls ``/simulador/api/conversa``.

The builders (``text_message``, ``reply_message``, ``media_message``, ``status_update``,
``sign``, ``deliver``) are plain functions so tests and the benchmark produce the same bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import itertools
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jinja2
import phonenumbers
from aiohttp import web

from app.keys import CLOCK
from bot.config import SIM_DISPLAY_PHONE, SIM_PHONE_ID
from bot.texts import t

log = logging.getLogger(__name__)

WABA_ID = "200000000000002"
WINDOW = timedelta(hours=24)
REENGAGEMENT_CODE = 131047
REENGAGEMENT_DETAILS = ("Message failed to send because more than 24 hours have passed since "
                        "the customer last replied to this number.")
WEBHOOK_PATH = "/webhook/whatsapp"
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
)

# ---------------------------------------------------------------------- payload builders


# BSUID → phone of every simulated tutor (so the simulated phone shows messages sent to a BSUID).
KNOWN_USERS: dict[str, str] = {}


def bsuid_for(phone: str) -> str:
    """A stable business-scoped user id for a simulated phone, e.g. ``BR.1502576394655843``."""
    digits = int(hashlib.sha256(phone.encode()).hexdigest()[:15], 16)
    uid = f"BR.{digits % 10**16:016d}"
    KNOWN_USERS[uid] = phone
    return uid


def new_wamid() -> str:
    return "wamid.SIM" + uuid.uuid4().hex.upper()


def _digits(phone: str) -> str:
    return phone.lstrip("+")


def envelope(value: dict[str, Any], phone_id: str = SIM_PHONE_ID) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": SIM_DISPLAY_PHONE, "phone_number_id": phone_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def _contact(phone: str | None, name: str, with_user_id: bool, user_id: str | None) -> dict:
    contact: dict[str, Any] = {"profile": {"name": name}}
    if phone:
        contact["wa_id"] = _digits(phone)
    if with_user_id:
        contact["user_id"] = user_id or bsuid_for(phone or name)
    return contact


def _message(
    phone: str | None,
    name: str,
    body: dict[str, Any],
    *,
    with_user_id: bool = True,
    user_id: str | None = None,
    wa_id: str | None = None,
    timestamp: int | None = None,
    phone_id: str = SIM_PHONE_ID,
) -> dict[str, Any]:
    contact = _contact(phone, name, with_user_id, user_id)
    msg: dict[str, Any] = {
        "id": wa_id or new_wamid(),
        "timestamp": str(timestamp or int(time.time())),
    }
    if phone:
        msg["from"] = _digits(phone)
    if with_user_id:
        msg["from_user_id"] = contact["user_id"]
    msg.update(body)
    return envelope({"contacts": [contact], "messages": [msg]}, phone_id)


def text_message(phone: str | None, text: str, name: str = "Tutor", **kw) -> dict[str, Any]:
    """A tutor's text message (``with_user_id=False`` gives the older shape)."""
    return _message(phone, name, {"type": "text", "text": {"body": text}}, **kw)


def reply_message(
    phone: str | None,
    reply_id: str,
    title: str,
    kind: str = "button_reply",
    name: str = "Tutor",
    context_id: str | None = None,
    description: str | None = None,
    **kw,
) -> dict[str, Any]:
    """A tap on a reply button (``button_reply``) or a list row (``list_reply``)."""
    reply: dict[str, Any] = {"id": reply_id, "title": title}
    if description and kind == "list_reply":
        reply["description"] = description
    body: dict[str, Any] = {"type": "interactive", "interactive": {"type": kind, kind: reply}}
    if context_id:
        body["context"] = {"from": SIM_DISPLAY_PHONE, "id": context_id}
    return _message(phone, name, body, **kw)


MEDIA_SAMPLES: dict[str, dict[str, Any]] = {
    "image": {"caption": "", "mime_type": "image/jpeg", "sha256": "abc", "id": "1001"},
    "audio": {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc", "id": "1002", "voice": True},
    "video": {"mime_type": "video/mp4", "sha256": "abc", "id": "1003"},
    "document": {"filename": "vacina.pdf", "mime_type": "application/pdf", "sha256": "a",
                 "id": "1004"},
    "location": {"latitude": -23.55, "longitude": -46.63, "name": "Pet Shop",
                 "address": "Av. Paulista, 1000"},
    "sticker": {"mime_type": "image/webp", "sha256": "abc", "id": "1005", "animated": False},
    "reaction": {"message_id": "wamid.X", "emoji": "👍"},
}


def media_message(phone: str | None, kind: str, name: str = "Tutor", **kw) -> dict[str, Any]:
    return _message(phone, name, {"type": kind, kind: dict(MEDIA_SAMPLES[kind])}, **kw)


def status_update(
    wa_id: str,
    status: str,
    phone: str | None,
    *,
    user_id: str | None = None,
    timestamp: int | None = None,
    phone_id: str = SIM_PHONE_ID,
    error: dict | None = None,
) -> dict[str, Any]:
    st: dict[str, Any] = {
        "id": wa_id,
        "status": status,
        "timestamp": str(timestamp or int(time.time())),
    }
    if phone:
        st["recipient_id"] = _digits(phone)
    if user_id:
        st["recipient_user_id"] = user_id
    if status == "sent":
        st["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service",
                         "type": "free_customer_service"}
    if error:
        st["errors"] = [error]
    return envelope({"statuses": [st]}, phone_id)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_webhook(
    session: aiohttp.ClientSession, url: str, payload: dict | bytes, secret: str
) -> int:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}
    async with session.post(url, data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def deliver(
    url: str,
    secret: str,
    payloads: list[dict],
    *,
    copies: int = 1,
    shuffle: bool = False,
    concurrent: bool = False,
    session: aiohttp.ClientSession | None = None,
    seed: int | None = None,
) -> list[int]:
    """Deliver webhooks like Meta: each ``copies`` times, optionally shuffled / concurrently."""
    queue = [p for p in payloads for _ in range(copies)]
    if shuffle:
        random.Random(seed).shuffle(queue)
    own = session is None
    session = session or aiohttp.ClientSession()
    try:
        if concurrent:
            sends = (post_webhook(session, url, p, secret) for p in queue)
            return list(await asyncio.gather(*sends))
        return [await post_webhook(session, url, p, secret) for p in queue]
    finally:
        if own:
            await session.close()


# ---------------------------------------------------------------------- simulator state


@dataclass
class SimMessage:
    seq: int
    tutor: str  # the tutor's phone "+55..." (or BSUID when the phone is hidden)
    direction: str  # "in": tutor → business; "out": business → tutor
    wa_id: str
    type: str  # text, interactive, template, image...
    text: str
    interactive: dict | None = None
    status: str = "sent"
    at: float = field(default_factory=time.time)
    template: dict | None = None  # {"name", "language", "params"} of a template message


@dataclass
class SimFailure:
    status: int
    code: int
    message: str
    remaining: int


class SimulatorState:
    def __init__(self) -> None:
        self.seq = itertools.count(1)
        self.messages: list[SimMessage] = []
        self.by_user_id: dict[str, str] = {}  # BSUID → phone
        self.requests: list[dict] = []  # every Graph API call received (tests inspect it)
        self.failures: list[SimFailure] = []
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task] = set()
        # Meta's 24-hour rule: when on, a free-form message to a tutor whose last message (by
        # the app's clock) is older than 24 h is refused with 131047, as Meta does.
        self.strict_window = bool(os.environ.get("PETBOT_SIM_STRICT_WINDOW"))
        self.last_inbound: dict[str, datetime] = {}  # phone → the tutor's last message

    def note_inbound(self, phone: str, at: datetime) -> None:
        """The tutor ``phone`` wrote at ``at`` (opens Meta's 24-hour window)."""
        self.last_inbound[phone] = at

    def window_closed(self, phone: str | None, now: datetime) -> bool:
        last = self.last_inbound.get(phone or "")
        return last is None or now - last >= WINDOW

    def sess(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession()
        return self.session

    def add(self, **kw) -> SimMessage:
        msg = SimMessage(seq=next(self.seq), **kw)
        self.messages.append(msg)
        return msg

    def inbox(self, tutor: str) -> list[SimMessage]:
        """What the simulated phone of ``tutor`` shows."""
        return [m for m in self.messages if m.tutor == tutor]

    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


SIMULATOR = web.AppKey("wa_simulator", SimulatorState)
# ``access(request, test_hook)``: may this request use the simulator (see the module docstring)?
SIM_ACCESS = web.AppKey("wa_simulator_access", Callable[[web.Request, bool], Awaitable[bool]])
LOGIN_PAGE = "/admin/login?next=/simulador"


def _guarded(*, test_hook: bool = False, page: bool = False):
    """Refuse a request the app's access rule refuses (the page sends the person to log in)."""

    def decorate(handler):
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            if not await request.app[SIM_ACCESS](request, test_hook):
                if page:
                    raise web.HTTPSeeOther(LOGIN_PAGE)
                return web.json_response({"erro": t("sim_login_required")}, status=401)
            if request.method == "POST" and request.content_type != "application/json":
                return web.json_response({"erro": t("sim_json_only")}, status=415)
            return await handler(request)

        return wrapper

    return decorate


def _graph_error(status: int, code: int, message: str, details: str = "") -> web.Response:
    err: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "Sim" + uuid.uuid4().hex[:20],
    }
    if details:
        err["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return web.json_response({"error": err}, status=status)


def _invalid(details: str) -> web.Response:
    return _graph_error(400, 131009, "(#131009) Parameter value is not valid", details)


def _missing(details: str) -> web.Response:
    return _graph_error(400, 131008, "(#131008) Required parameter is missing", details)


def _check_len(value: Any, what: str, limit: int, minimum: int = 1) -> str | None:
    if not isinstance(value, str) or not (minimum <= len(value) <= limit):
        return f"{what} length invalid. Min length: {minimum}, Max length: {limit}"
    return None


def validate_send(data: Any) -> web.Response | None:
    """Meta's checks on a send request; None when valid."""
    if not isinstance(data, dict):
        return _graph_error(400, 100, "(#100) Invalid parameter", "Body must be a JSON object")
    if data.get("messaging_product") != "whatsapp":
        return _graph_error(400, 100, "(#100) Invalid parameter",
                            "messaging_product must be whatsapp")
    if not data.get("to") and not data.get("recipient"):
        return _missing("Parameter 'to' is required")
    typ = data.get("type", "text")
    if typ == "text":
        return _validate_text(data.get("text"))
    if typ == "template":
        return _validate_template(data.get("template"))
    if typ != "interactive":
        return _graph_error(400, 100, "(#100) Invalid parameter", f"Unsupported type {typ}")
    return _validate_interactive(data.get("interactive"))


def _validate_text(text: Any) -> web.Response | None:
    if not isinstance(text, dict) or "body" not in text:
        return _missing("Parameter 'text.body' is required")
    if err := _check_len(text["body"], "Text body", 4096):
        return _invalid(err)
    return None


def _validate_template(tpl: Any) -> web.Response | None:
    if not isinstance(tpl, dict) or not tpl.get("name") or not isinstance(
        tpl.get("language"), dict
    ):
        return _missing("Parameters 'template.name' and 'template.language' are required")
    return None


def _validate_interactive(inter: Any) -> web.Response | None:
    if not isinstance(inter, dict):
        return _missing("Parameter 'interactive' is required")
    body = inter.get("body")
    if not isinstance(body, dict) or (err := _check_len(body.get("text"), "Body text", 1024)):
        return _invalid(err if isinstance(body, dict) else "Body text is required")
    action = inter.get("action")
    if not isinstance(action, dict):
        return _missing("Parameter 'interactive.action' is required")
    if inter.get("type") == "button":
        return _validate_buttons(action)
    if inter.get("type") == "list":
        return _validate_list(action)
    return _graph_error(400, 100, "(#100) Invalid parameter",
                        f"Unsupported interactive type {inter.get('type')}")


def _validate_buttons(action: dict) -> web.Response | None:
    """Reply buttons: 1 to 3, each with a title (≤ 20) and an id (≤ 256), both unique."""
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return _invalid("Buttons count invalid. Min: 1, Max: 3")
    titles, ids = [], []
    for b in buttons:
        reply = b.get("reply") if isinstance(b, dict) else None
        if not isinstance(reply, dict):
            return _missing("Parameter 'reply' is required")
        if err := _check_len(reply.get("title"), "Button title", 20):
            return _invalid(err)
        if err := _check_len(reply.get("id"), "Button id", 256):
            return _invalid(err)
        titles.append(reply["title"])
        ids.append(reply["id"])
    if len(set(titles)) != len(titles):
        return _invalid("Button title must be unique")
    if len(set(ids)) != len(ids):
        return _invalid("Button id must be unique")
    return None


def _validate_list(action: dict) -> web.Response | None:
    """A list message: a button label, 1 to 10 sections, at most 10 rows in all, unique ids."""
    if err := _check_len(action.get("button"), "Button label", 20):
        return _invalid(err)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        return _invalid("Sections count invalid. Min: 1, Max: 10")
    rows_total, ids = 0, []
    for sec in sections:
        rows = sec.get("rows") if isinstance(sec, dict) else None
        if not isinstance(rows, list) or not rows:
            return _missing("Parameter 'rows' is required")
        if len(sections) > 1 and (err := _check_len(sec.get("title"), "Section title", 24)):
            return _invalid(err)
        for row in rows:
            if (failure := _validate_row(row)) is not None:
                return failure
            ids.append(row["id"])
        rows_total += len(rows)
    if rows_total > 10:
        return _invalid("Total row count exceed max allowed count: 10")
    if len(set(ids)) != len(ids):
        return _invalid("Row id must be unique")
    return None


def _validate_row(row: Any) -> web.Response | None:
    if not isinstance(row, dict):
        return _invalid("Row must be an object")
    if err := _check_len(row.get("title"), "Row title", 24):
        return _invalid(err)
    if err := _check_len(row.get("id"), "Row id", 200):
        return _invalid(err)
    if "description" in row and (err := _check_len(row["description"], "Row description", 72, 0)):
        return _invalid(err)
    return None


def template_params(tpl: dict) -> list[str]:
    """The filled text parameters of a template's components, in order."""
    out = []
    for comp in tpl.get("components") or []:
        if isinstance(comp, dict):
            for param in comp.get("parameters") or []:
                if isinstance(param, dict) and param.get("type") == "text":
                    out.append(str(param.get("text", "")))
    return out


def _bubble_text(data: dict) -> tuple[str, dict | None]:
    typ = data.get("type", "text")
    if typ == "text":
        return data["text"]["body"], None
    if typ == "template":
        params = template_params(data["template"])
        name = f"[modelo {data['template']['name']}]"
        return (f"{name} " + " | ".join(params)) if params else name, None
    inter = data["interactive"]
    return inter["body"]["text"], {"type": inter["type"], "action": inter["action"]}


async def graph_messages(request: web.Request) -> web.Response:
    """The Graph API ``POST /{version}/{phone-number-id}/messages`` endpoint."""
    from bot.keys import BOT_CONFIG

    state = request.app[SIMULATOR]
    config = request.app[BOT_CONFIG]
    auth = request.headers.get("Authorization", "")
    if not hmac.compare_digest(auth.encode(), f"Bearer {config.token}".encode()):
        return _graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        return _graph_error(400, 100, "(#100) Invalid parameter", "Invalid JSON body")
    state.requests.append(data if isinstance(data, dict) else {"invalid": data})
    if isinstance(data, dict) and data.get("status") == "read":
        wamid = data.get("message_id")
        for m in state.messages:
            if m.wa_id == wamid:
                m.status = "read"
        return web.json_response({"success": True})
    if state.failures:
        failure = state.failures[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            state.failures.pop(0)
        return _graph_error(failure.status, failure.code, failure.message)
    if (bad := validate_send(data)) is not None:
        return bad
    to = data.get("to")
    user_id = data.get("recipient")
    phone = ("+" + _digits(to)) if to else (
        state.by_user_id.get(user_id) or KNOWN_USERS.get(user_id) or user_id
    )
    typ = data.get("type", "text")
    if state.strict_window and typ != "template" and state.window_closed(
            phone, request.app[CLOCK]()):
        return _graph_error(400, REENGAGEMENT_CODE, "(#131047) Re-engagement message",
                            REENGAGEMENT_DETAILS)
    text, interactive = _bubble_text(data)
    template = None
    if typ == "template":
        tpl = data["template"]
        template = {"name": tpl["name"], "language": (tpl.get("language") or {}).get("code"),
                    "params": template_params(tpl)}
    wamid = new_wamid()
    state.add(tutor=phone, direction="out", wa_id=wamid, type=typ, text=text,
              interactive=interactive, template=template)
    contact: dict[str, Any] = {"input": to or user_id}
    if to:
        contact["wa_id"] = _digits(to)
    if user_id:
        contact["user_id"] = user_id
    origin = str(request.url.origin())
    state.spawn(_statuses(state, origin, config, wamid, phone, user_id or _user_of(state, phone),
                          request.match_info["phone_id"]))
    return web.json_response(
        {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]}
    )


def _user_of(state: SimulatorState, phone: str | None) -> str | None:
    for uid, p in [*state.by_user_id.items(), *KNOWN_USERS.items()]:
        if p == phone:
            return uid
    return None


async def _statuses(state, origin, config, wamid, phone, user_id, phone_id) -> None:
    await asyncio.sleep(config.status_delay_s)
    for status in ("sent", "delivered"):
        body = status_update(wamid, status, phone if phone and phone.startswith("+") else None,
                             user_id=user_id, phone_id=phone_id)
        try:
            await post_webhook(state.sess(), origin + WEBHOOK_PATH, body, config.app_secret)
        except aiohttp.ClientError as exc:
            log.info("simulator status webhook failed: %s", exc)
            return
        for m in state.messages:
            if m.wa_id == wamid and m.status != "read":
                m.status = status


# ---------------------------------------------------------------------- chat page


@_guarded(page=True)
async def page(request: web.Request) -> web.Response:
    html = _TEMPLATES.get_template("simulador.html").render()
    return web.Response(text=html, content_type="text/html")


def _norm_phone(raw: Any) -> str | None:
    """A typed phone → E.164 ("+55..."); Brazilian numbers may omit the country code."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), "BR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@_guarded()
async def api_send(request: web.Request) -> web.Response:
    """The tutor on the chat page sends text or taps a button / list row."""
    from bot.keys import BOT_CONFIG

    state = request.app[SIMULATOR]
    config = request.app[BOT_CONFIG]
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        return web.json_response({"erro": t("sim_bad_json")}, status=400)
    if not isinstance(data, dict):
        return web.json_response({"erro": t("sim_bad_json")}, status=400)
    phone = _norm_phone(data.get("telefone"))
    if phone is None:
        return web.json_response({"erro": t("sim_bad_phone")}, status=400)
    name = str(data.get("nome") or "Tutor")[:60]
    with_uid = bool(data.get("com_user_id", True))
    uid = bsuid_for(phone) if with_uid else None
    if uid:
        state.by_user_id[uid] = phone
    reply = data.get("resposta")
    text = data.get("texto")
    if isinstance(reply, dict) and reply.get("id"):
        kind = "list_reply" if reply.get("tipo") == "lista" else "button_reply"
        payload = reply_message(phone, str(reply["id"]), str(reply.get("titulo") or ""), kind,
                                name=name, with_user_id=with_uid)
        shown = str(reply.get("titulo") or "")
    elif isinstance(text, str) and text.strip():
        payload = text_message(phone, text.strip()[:4096], name=name, with_user_id=with_uid)
        shown = text.strip()[:4096]
    else:
        return web.json_response({"erro": t("sim_empty_message")}, status=400)
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    state.add(tutor=phone, direction="in", wa_id=wamid, type="text", text=shown)
    state.note_inbound(phone, request.app[CLOCK]())
    status = await post_webhook(
        state.sess(), str(request.url.origin()) + WEBHOOK_PATH, payload, config.app_secret
    )
    return web.json_response({"wa_id": wamid, "status_webhook": status})


@_guarded()
async def api_conversation(request: web.Request) -> web.Response:
    """Messages of one simulated phone after ``depois`` (seq); business messages become read."""
    from bot.keys import BOT_CONFIG

    state = request.app[SIMULATOR]
    config = request.app[BOT_CONFIG]
    phone = _norm_phone(request.query.get("telefone"))
    if phone is None:
        return web.json_response({"erro": t("sim_invalid_phone")}, status=400)
    try:
        after = int(request.query.get("depois", "0"))
    except ValueError:
        after = 0
    msgs = [m for m in state.inbox(phone) if m.seq > after]
    unread = [m for m in msgs if m.direction == "out" and m.status != "read"]
    for m in unread:
        m.status = "read"
        body = status_update(m.wa_id, "read", phone, user_id=_user_of(state, phone))
        state.spawn(post_webhook(state.sess(), str(request.url.origin()) + WEBHOOK_PATH, body,
                                 config.app_secret))
    return web.json_response({"mensagens": [asdict(m) for m in msgs]})


@_guarded(test_hook=True)
async def api_deliver(request: web.Request) -> web.Response:
    """Test hook: deliver the given webhook bodies, ``copias`` times each, maybe shuffled."""
    from bot.keys import BOT_CONFIG

    config = request.app[BOT_CONFIG]
    state = request.app[SIMULATOR]
    try:
        data = await request.json()
        bodies = data["corpos"]
        copies = max(1, min(int(data.get("copias", 1)), 10))
        if not isinstance(bodies, list):
            raise TypeError("corpos")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return web.json_response({"erro": t("sim_deliver_usage")}, status=400)
    _note_inbound_bodies(state, bodies, request.app[CLOCK]())
    statuses = await deliver(
        str(request.url.origin()) + WEBHOOK_PATH,
        config.app_secret,
        bodies,
        copies=copies,
        shuffle=bool(data.get("embaralhar", False)),
        session=state.sess(),
    )
    return web.json_response({"status": statuses})


def _note_inbound_bodies(state: SimulatorState, bodies: list, now: datetime) -> None:
    """Tutor messages in webhook bodies the test hook delivers open their 24-hour window."""
    for body in bodies:
        with contextlib.suppress(AttributeError, KeyError, TypeError, IndexError):
            for entry in body["entry"]:
                for change in entry["changes"]:
                    for msg in change["value"].get("messages") or []:
                        if msg.get("from"):
                            state.note_inbound("+" + _digits(str(msg["from"])), now)


@_guarded(test_hook=True)
async def api_window(request: web.Request) -> web.Response:
    """Test hook: ``{"estrita": true}`` turns Meta's 24-hour rule on (free-form messages
    outside the window refused with 131047), ``false`` off; ``{"tutor": "+55…"}`` alone
    records a message of that tutor now."""
    state = request.app[SIMULATOR]
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise TypeError("body")
    except (ValueError, TypeError, UnicodeDecodeError):
        return web.json_response({"erro": t("sim_window_usage")}, status=400)
    if "estrita" in data:
        state.strict_window = bool(data["estrita"])
    if data.get("tutor"):
        phone = _norm_phone(data["tutor"])
        if phone is None:
            return web.json_response({"erro": t("sim_bad_phone")}, status=400)
        state.note_inbound(phone, request.app[CLOCK]())
    return web.json_response({"estrita": state.strict_window})


@_guarded(test_hook=True)
async def api_failures(request: web.Request) -> web.Response:
    """Test hook: the next ``vezes`` sends (not read receipts) fail with ``status`` / ``code``."""
    state = request.app[SIMULATOR]
    try:
        data = await request.json()
        status = int(data.get("status", 500))
        code = int(data.get("code", 130429 if status == 429 else 131000))
        times = int(data.get("vezes", 1))
        if not 400 <= status <= 599:
            raise ValueError("status")
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        return web.json_response({"erro": t("sim_failures_usage")}, status=400)
    message = "(#130429) Rate limit hit" if status == 429 else "(#131000) Something went wrong"
    state.failures.append(SimFailure(status, code, message, times))
    return web.json_response({"ok": True})


def setup(app: web.Application, access: Callable[[web.Request, bool], Awaitable[bool]]) -> None:
    """Register the simulator's Graph API route, chat page and its small JSON API.

    ``access(request, test_hook)`` decides who may use the page, its calls and the test hooks.
    """
    app[SIMULATOR] = SimulatorState()
    app[SIM_ACCESS] = access
    app.router.add_post(r"/{version:v\d+(\.\d+)?}/{phone_id}/messages", graph_messages)
    app.router.add_get("/simulador", page)
    app.router.add_post("/simulador/api/enviar", api_send)
    app.router.add_get("/simulador/api/conversa", api_conversation)
    app.router.add_post("/simulador/api/entregar", api_deliver)
    app.router.add_post("/simulador/api/falhas", api_failures)
    app.router.add_post("/simulador/api/janela", api_window)
    app.router.add_static("/simulador/static", Path(__file__).parent / "static")

    async def _cleanup(app: web.Application) -> None:
        state = app[SIMULATOR]
        for task in list(state.tasks):
            task.cancel()
        if state.session is not None:
            await state.session.close()

    app.on_cleanup.append(_cleanup)
