"""A visit's checklist in the panel: answering it on the visit's page, answering and moving a
card on the service board in one post (``scheduling.checklist_move``), the stored photos.

The required-item rule is the core's (``checklists.answers.require_complete``, applied by
``visit_status.set_status``); a refusal comes back to the page it came from as a flash
message, the typed answers already saved."""

from __future__ import annotations

from aiohttp import web

from admin.panel.agenda.common import S, required_shop
from admin.panel.fmt import plural
from admin.panel.pages import db, engine, now, page, panel_path, redirect, render, staff
from admin.panel.permissions import Perm
from app.keys import SETTINGS
from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.agenda.models import Appointment
from scheduler_core.checklists import answers as checklist_answers
from scheduler_core.checklists import photos as checklist_photos
from scheduler_core.checklists import service as checklists
from scheduler_core.checklists.labels import STAGE_LABELS
from scheduler_core.db.engine import read_session
from scheduler_core.kernel.errors import (
    Busy,
    CoreError,
    RevertNeedsConfirmation,
    ValidationFailed,
)
from scheduler_core.kernel.settings import photos_folder
from scheduler_core.scheduling import visit_status
from scheduler_core.scheduling.checklist_move import answer_and_set_status

routes = web.RouteTableDef()
FIELD = "ck_"


def _folder(request: web.Request):
    return photos_folder(request.config_dict[SETTINGS])


async def posted_answers(request: web.Request) -> tuple[dict, dict[int, bytes], dict]:
    """The posted form: (typed answers by item id as text, photo bytes by item id, the other
    fields)."""
    data = await request.post()
    raw: dict[str, str] = {}
    photos: dict[int, bytes] = {}
    other: dict[str, str] = {}
    for key, value in data.items():
        if not key.startswith(FIELD):
            other[key] = str(value)
            continue
        item_key = key[len(FIELD):]
        if isinstance(value, web.FileField):
            content = value.file.read()
            if content and item_key.isdigit():
                photos[int(item_key)] = content
        else:
            raw[item_key] = str(value)
    return raw, photos, other


def _back(other: dict, appt_id: int) -> str:
    return panel_path(other.get("back"), f"/admin/agendamentos/{appt_id}")


def wants_json(request: web.Request) -> bool:
    """The board's script asks for JSON (``Accept: application/json``); a plain form post
    gets the redirect with a flash message."""
    return "application/json" in request.headers.get("Accept", "")


def _moved(appt_id: int, status: str, may_revert: bool) -> dict:
    """The JSON answer of a move: the new status and the moves the card offers from it."""
    return {"ok": True, "id": appt_id, "status": status, "label": STATUS_LABELS[status],
            "message": f"Agendamento #{appt_id}: {STATUS_LABELS[status]}.",
            "moves": [{"status": m.status, "label": m.label, "backward": m.backward,
                       "stages": list(m.stages)}
                      for m in visit_status.moves_from(status, may_revert=may_revert)]}


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/mover")
@page(Perm.AGENDA_STATUS)
async def appointment_move(request: web.Request) -> web.Response:
    """Answer the checklists of the stages the move enters, then move (board and visit page).
    Any status ``visit_status.moves_from`` offers, in one post; a backward one needs
    ``confirmed_revert`` (the script asks with a confirm(); without script, a confirmation
    page re-posts it)."""
    raw, photos, other = await posted_answers(request)
    me = staff(request)
    appt_id = int(request.match_info["id"])
    target = other.get("status", "")
    may_revert = me.can(Perm.AGENDA_STATUS_BACK)
    as_json = wants_json(request)
    back = _back(other, appt_id)
    try:
        if target in (S.CANCELADO, S.NAO_COMPARECEU) or target not in visit_status.FLOW:
            raise ValidationFailed("Status inválido.")
        moved = await db(request, answer_and_set_status, engine(request),
                         appointment_id=appt_id, status=target, raw=raw, photos=photos,
                         photo_folder=_folder(request), now=now(request), actor=me.actor,
                         allow_revert=may_revert,
                         confirmed_revert=other.get("confirmed_revert") == "1")
    except Busy:
        raise  # the panel's 503 page: nothing was saved, sending again is safe
    except RevertNeedsConfirmation as exc:
        if as_json:
            return web.json_response({"ok": False, "code": exc.code, "message": exc.message},
                                     status=409)
        return render(request, "agenda/confirm_move.html", {
            "appt_id": appt_id, "status": target, "back": back, "message": exc.message})
    except CoreError as exc:
        if as_json:
            return web.json_response({"ok": False, "code": exc.code,
                                      "message": f"Agendamento #{appt_id}: {exc.message}"},
                                     status=exc.http_status)
        if isinstance(exc, ValidationFailed | checklist_answers.ChecklistIncomplete):
            # Back on the board, the card's checklist opens (``checklist`` names the visit).
            back = f"{back}{'&' if '?' in back else '?'}checklist={appt_id}"
        raise redirect(back, f"Agendamento #{appt_id}: {exc.message}", "erro") from None
    if as_json:
        return web.json_response(_moved(appt_id, moved.status, may_revert))
    raise redirect(back, f"Agendamento #{appt_id}: {STATUS_LABELS[target]}.")


@routes.post("/admin/agendamentos/{id:[0-9]{1,9}}/checklist")
@page(Perm.AGENDA_STATUS)
async def appointment_checklist(request: web.Request) -> web.Response:
    raw, photos, other = await posted_answers(request)
    appt_id = int(request.match_info["id"])
    await _own_visit(request, appt_id)
    stage = other.get("stage", "")
    back = f"/admin/agendamentos/{appt_id}"
    try:
        count = await db(request, checklist_answers.record_answers, engine(request),
                         appointment_id=appt_id, stage=stage, raw=raw, photos=photos,
                         photo_folder=_folder(request), now=now(request),
                         actor=staff(request).actor)
    except CoreError as exc:
        raise redirect(back, exc.message, "erro") from None
    label = STAGE_LABELS.get(stage, stage)
    raise redirect(back, f"Checklist de {label}: "
                   f"{plural(count, 'resposta salva', 'respostas salvas')}.")


def _visit_shop(eng, appt_id: int) -> int | None:
    with read_session(eng) as session:
        appt = session.get(Appointment, appt_id)
        return appt.shop_id if appt else None


async def _own_visit(request: web.Request, appt_id: int) -> None:
    shop = required_shop(request)
    if await db(request, _visit_shop, engine(request), appt_id) != shop.id:
        raise web.HTTPNotFound(text="Agendamento não encontrado.")


@routes.get("/admin/agendamentos/{id:[0-9]{1,9}}/checklist/foto/{item:[0-9]{1,9}}")
@page(Perm.AGENDA_VIEW)
async def checklist_photo(request: web.Request) -> web.StreamResponse:
    appt_id = int(request.match_info["id"])
    await _own_visit(request, appt_id)
    item_id = int(request.match_info["item"])
    found = [a for a in await db(request, checklist_answers.visit_answers, engine(request), appt_id)
             if a.item_id == item_id and a.kind == "foto"]
    path = checklist_photos.photo_file(_folder(request), found[0].value) if found else None
    if path is None:
        raise web.HTTPNotFound(text="Foto não encontrada.")
    ctype = checklist_photos.CONTENT_TYPES.get(path.suffix.lstrip("."), "application/octet-stream")
    return web.Response(body=path.read_bytes(), content_type=ctype)


async def visit_checklist(request: web.Request, shop_id: int, segment_id: int,
                          appt_id: int) -> dict:
    """The visit page's checklist context: items by stage and the answers."""
    items = await db(request, checklists.segment_items, engine(request), shop_id=shop_id,
                     segment_id=segment_id)
    answers = await db(request, checklist_answers.visit_answers, engine(request), appt_id)
    by_stage = {stage: [i for i in items if i.stage == stage] for stage in STAGE_LABELS}
    return {"checklist_stages": {k: v for k, v in by_stage.items() if v},
            "checklist_answers": answers, "STAGE_LABELS": STAGE_LABELS,
            "answer_by_item": {a.item_id: a for a in answers}}


async def board_checklists(request: web.Request, shop_id: int, segment_ids: set[int]) -> dict:
    """{(segment id, stage): items} for the service board's move forms."""
    found: dict = {}
    for segment_id in sorted(segment_ids):
        items = await db(request, checklists.segment_items, engine(request), shop_id=shop_id,
                         segment_id=segment_id)
        for item in items:
            found.setdefault((segment_id, item.stage), []).append(item)
    return found
