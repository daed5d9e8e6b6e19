"""Configuring checklists (Configuração → Checklists): the items of a segment's stage, their
kind, choices, required flag and order.

Decisions where the spec is silent:

- A pet_shop segment starts with the default "Agendado" checklist the booking wizard used to
  fold into the notes (:data:`DEFAULT_PET_SHOP`, three optional yes/no items). It is seeded the
  first time the segment's checklists are read (:func:`ensure_defaults`, idempotent; a segment
  that already has rows, even removed ones, is never seeded again), so shops created before this
  feature and the demo shop get it too.
- Removing an item only hides it (``active`` False): old answers keep their question.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from scheduler_core.checklists.labels import KIND_LABELS, STAGE_LABELS
from scheduler_core.checklists.models import ChecklistItem, ChecklistStage, ItemKind
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.shop.models import Segment, SegmentKind

STAGES: tuple[str, ...] = tuple(s.value for s in ChecklistStage)
MAX_LABEL = 120
MAX_OPTIONS = 20
DEFAULT_PET_SHOP: tuple[str, ...] = (
    "Pulgas/carrapatos verificados",
    "Pet agitado / morde",
    "Nós na pelagem",
)


def ensure_defaults(session: Session, segment: Segment) -> bool:
    """Seed the default "Agendado" checklist of a pet_shop segment that has no checklist rows
    yet. Returns whether rows were added; the caller commits."""
    if segment.kind != SegmentKind.PET_SHOP or segment.id is None:
        return False
    exists = session.exec(
        select(ChecklistItem.id).where(ChecklistItem.segment_id == segment.id)
    ).first()
    if exists is not None:
        return False
    for position, label in enumerate(DEFAULT_PET_SHOP):
        session.add(ChecklistItem(shop_id=segment.shop_id, segment_id=segment.id,
                                  stage=ChecklistStage.AGENDADO, label=label,
                                  kind=ItemKind.SIM_NAO, position=position))
    session.flush()
    return True


def _needs_seed(session: Session, segment: Segment) -> bool:
    if segment.kind != SegmentKind.PET_SHOP:
        return False
    query = select(ChecklistItem.id).where(ChecklistItem.segment_id == segment.id)
    return session.exec(query).first() is None


def _segment(session: Session, shop_id: int, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None or segment.shop_id != shop_id:
        raise NotFound("Segmento não encontrado.")
    return segment


def items_of(
    session: Session, segment_id: int, stage: str | None = None, *, include_inactive: bool = False
) -> list[ChecklistItem]:
    """The items of a segment (one stage, or all), in stage then position order."""
    query = select(ChecklistItem).where(ChecklistItem.segment_id == segment_id)
    if stage is not None:
        query = query.where(ChecklistItem.stage == stage)
    if not include_inactive:
        query = query.where(col(ChecklistItem.active).is_(True))
    rows = list(session.exec(query).all())
    rows.sort(key=lambda i: (STAGES.index(i.stage) if i.stage in STAGES else 99, i.position,
                             i.id or 0))
    return rows


def segment_items(
    engine: Engine, *, shop_id: int, segment_id: int, stage: str | None = None
) -> list[ChecklistItem]:
    """The active items of a segment (seeding the default checklist first when due)."""
    with read_session(engine, expire_on_commit=False) as session:
        segment = _segment(session, shop_id, segment_id)
        seed = _needs_seed(session, segment)
        if not seed:
            return items_of(session, segment_id, stage)
    with write_session(engine, expire_on_commit=False) as session:
        ensure_defaults(session, _segment(session, shop_id, segment_id))
        return items_of(session, segment_id, stage)


def _parse_options(kind: str, raw: str) -> list[str]:
    if kind != ItemKind.ESCOLHA:
        return []
    options: list[str] = []
    for piece in raw.replace("\r", "\n").replace(";", "\n").split("\n"):
        text = " ".join(piece.split())[:60]
        if text and text.casefold() not in {o.casefold() for o in options}:
            options.append(text)
    if len(options) < 2:
        raise ValidationFailed("Um item de escolha precisa de pelo menos duas opções (uma por "
                               "linha).", details={"field": "options"})
    if len(options) > MAX_OPTIONS:
        raise ValidationFailed(f"No máximo {MAX_OPTIONS} opções por item.",
                               details={"field": "options"})
    return options


def _parse_item(values: Mapping[str, str]) -> dict:
    label = " ".join(str(values.get("label", "")).split())
    if not label:
        raise ValidationFailed("Escreva o texto do item.", details={"field": "label"})
    if len(label) > MAX_LABEL:
        raise ValidationFailed(f"O texto do item tem no máximo {MAX_LABEL} caracteres.",
                               details={"field": "label"})
    kind = str(values.get("kind", "")).strip()
    if kind not in KIND_LABELS:
        raise ValidationFailed("Tipo de item inválido.", details={"field": "kind"})
    return {"label": label, "kind": kind,
            "options": _parse_options(kind, str(values.get("options", ""))),
            "required": str(values.get("required", "")).strip() in ("1", "on", "true", "sim")}


def save_item(
    engine: Engine, *, shop_id: int, segment_id: int, stage: str, values: Mapping[str, str],
    item_id: int | None = None,
) -> ChecklistItem:
    """Add an item at the end of a stage's list, or edit one (label, kind, options,
    required). pt-BR ``ValidationFailed`` with the field on bad input."""
    if stage not in STAGE_LABELS:
        raise ValidationFailed("Etapa inválida.", details={"field": "stage"})
    parsed = _parse_item(values)
    with write_session(engine, expire_on_commit=False) as session:
        segment = _segment(session, shop_id, segment_id)
        ensure_defaults(session, segment)
        if item_id is None:
            current = items_of(session, segment_id, stage)
            item = ChecklistItem(shop_id=shop_id, segment_id=segment_id, stage=stage,
                                 position=(current[-1].position + 1) if current else 0, **parsed)
        else:
            item = _item(session, shop_id, item_id)
            for key, value in parsed.items():
                setattr(item, key, value)
        session.add(item)
        session.flush()
        return item


def _item(session: Session, shop_id: int, item_id: int) -> ChecklistItem:
    item = session.get(ChecklistItem, item_id)
    if item is None or item.shop_id != shop_id or not item.active:
        raise NotFound("Item de checklist não encontrado.")
    return item


def remove_item(engine: Engine, *, shop_id: int, item_id: int) -> ChecklistItem:
    """Hide an item from its checklist (its past answers stay readable)."""
    with write_session(engine, expire_on_commit=False) as session:
        item = _item(session, shop_id, item_id)
        item.active = False
        session.add(item)
        session.flush()
        return item


def move_item(engine: Engine, *, shop_id: int, item_id: int, up: bool) -> None:
    """Swap an item with its neighbour above (``up``) or below in its stage's list."""
    with write_session(engine) as session:
        item = _item(session, shop_id, item_id)
        rows = items_of(session, item.segment_id, item.stage)
        index = next(i for i, row in enumerate(rows) if row.id == item.id)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(rows):
            return
        rows[index], rows[other] = rows[other], rows[index]
        for position, row in enumerate(rows):
            row.position = position
            session.add(row)
