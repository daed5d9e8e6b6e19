"""Configuração → Raças: the breed table (search, default porte and pelagem, nicknames the
bot accepts, "não atendemos" for this shop, a new breed) through
``scheduler_core.people.breed_table``."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from admin.panel.config.common import field_errors, required_shop
from admin.panel.pages import (
    db,
    engine,
    form,
    int_or_none,
    now,
    page,
    redirect,
    render,
    staff,
)
from admin.panel.permissions import Perm
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.people import breed_table
from scheduler_core.people.labels import SPECIES_LABELS

routes = web.RouteTableDef()
BASE = "/admin/config/racas"


async def _render(request: web.Request, *, q: str, species: str | None,
                  editing_id: int | None, values: dict | None = None,
                  errors: dict | None = None, status: int = 200) -> web.Response:
    shop = required_shop(request)
    entries = await db(request, breed_table.search, engine(request), shop_id=shop.id, text=q,
                       species=species)
    editing = None
    if editing_id:
        editing = await db(request, breed_table.get_entry, engine(request), shop_id=shop.id,
                           breed_id=editing_id)
    return render(request, "config/breeds.html", {
        "entries": entries, "q": q, "species": species or "", "editing": editing,
        "values": values or {}, "errors": errors or {},
    }, status=status)


def _species(value: str | None) -> str | None:
    return value if value in SPECIES_LABELS else None


@routes.get(BASE)
@page(Perm.SETTINGS)
async def breeds_page(request: web.Request) -> web.Response:
    q = request.query
    return await _render(request, q=q.get("q", "")[:80], species=_species(q.get("especie")),
                         editing_id=int_or_none(q.get("editar")))


def _back(data: dict, breed_id: int | None) -> str:
    query = f"q={quote(data.get('q', '')[:80])}&especie={_species(data.get('especie')) or ''}"
    return f"{BASE}?{query}" + (f"&editar={breed_id}" if breed_id else "")


@routes.post(BASE)
@page(Perm.SETTINGS)
async def breeds_submit(request: web.Request) -> web.Response:
    shop = required_shop(request)
    data = await form(request)
    breed_id = int_or_none(data.get("breed_id"))
    common = {"shop_id": shop.id, "actor": staff(request).actor, "now": now(request)}
    action = data.get("action", "")
    try:
        message = await _apply(request, action, breed_id, data, common)
    except ValidationFailed as exc:
        return await _render(request, q=data.get("q", ""), species=_species(data.get("especie")),
                             editing_id=breed_id, values=data, errors=field_errors(exc),
                             status=422)
    if action == "create":
        breed_id = None
    raise redirect(_back(data, breed_id), message)


async def _apply(request: web.Request, action: str, breed_id: int | None, data: dict,
                 common: dict) -> str:
    eng = engine(request)
    if action == "create":
        breed = await db(request, breed_table.save_breed, eng, values=data, **common)
        return f"Raça {breed.name} adicionada."
    if breed_id is None:
        raise web.HTTPNotFound(text="Raça não encontrada.")
    if action == "defaults":
        breed = await db(request, breed_table.save_breed, eng, breed_id=breed_id, values=data,
                         **common)
        return f"Raça {breed.name}: porte e pelagem salvos."
    if action == "alias":
        row = await db(request, breed_table.add_alias, eng, breed_id=breed_id,
                       alias=data.get("alias", ""), **common)
        return f"Apelido “{row.alias}” adicionado: o robô passa a entendê-lo."
    if action == "remove_alias":
        alias = await db(request, breed_table.remove_alias, eng,
                         alias_id=int_or_none(data.get("alias_id")) or 0, **common)
        return f"Apelido “{alias}” removido."
    if action == "acceptance":
        refused = data.get("not_accepted") == "1"
        await db(request, breed_table.set_not_accepted, eng, breed_id=breed_id,
                 refused=refused, message=data.get("message", ""), **common)
        return "Raça marcada como “não atendemos”." if refused else "Raça atendida de novo."
    raise ValidationFailed("Ação inválida.")
