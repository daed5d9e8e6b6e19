"""A visit's checklist answers: validated per item kind, stored with who and when, read back
for the visit's page and as text lines for the tutor's status messages, and the rule that a
required item blocks a status move.

Decisions where the spec is silent:

- Moving a visit forward into a status requires the required items of the checklist of that
  status *and* of every checklist stage skipped on the way (Agendado → Finalizado also needs
  Recebido's). Going back needs no answers. The rule is :func:`require_complete`, called by
  ``scheduling.visit_status.set_status`` inside its write transaction, so every entry point
  (panel, API) obeys it.
- The "Agendado" checklist is answered while booking; its required items block the booking in
  the wizard (:func:`parse_answers` before ``booking.book``), never a later move.
- An answer left blank keeps the previous one; the last answer wins (who and when with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment
from scheduler_core.audit import log as audit
from scheduler_core.checklists.labels import STAGE_LABELS
from scheduler_core.checklists.models import ChecklistAnswer, ChecklistItem, ItemKind
from scheduler_core.checklists.photos import store_photo
from scheduler_core.checklists.service import STAGES, ensure_defaults, items_of
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import CoreError, NotFound, ValidationFailed
from scheduler_core.shop.models import Segment

MAX_TEXT = 500
YES = {"sim", "s", "1", "on", "true"}
NO = {"nao", "não", "n", "0", "false"}


class ChecklistIncomplete(CoreError):
    code = "checklist_incomplete"
    http_status = 409
    default_message = "Responda os itens obrigatórios da checklist antes de mudar o status."


@dataclass(frozen=True)
class AnswerView:
    item_id: int
    stage: str
    label: str
    kind: str
    value: str
    answered_by: str
    answered_at: datetime

    @property
    def text(self) -> str:
        """The answer as a person reads it ("sim" → "Sim")."""
        if self.kind == ItemKind.SIM_NAO:
            return "Sim" if self.value == "sim" else "Não"
        if self.kind == ItemKind.FOTO:
            return "foto enviada"
        return self.value


def _number(label: str, raw: str) -> str:
    text = raw.strip().replace(" ", "")
    candidate = text.replace(".", "").replace(",", ".") if "," in text else text
    try:
        value = float(candidate)
    except ValueError:
        raise ValidationFailed(f"“{label}”: informe um número (ex.: 6,5).") from None
    if value != value or abs(value) > 1e9:  # NaN or absurd
        raise ValidationFailed(f"“{label}”: informe um número (ex.: 6,5).")
    shown = f"{value:.2f}".rstrip("0").rstrip(".")
    return shown.replace(".", ",")


def _one(item: ChecklistItem, raw: str) -> str:
    """The stored value of one typed answer ("" = not answered)."""
    text = " ".join(raw.split())
    if not text:
        return ""
    if item.kind == ItemKind.SIM_NAO:
        folded = text.casefold()
        if folded in YES:
            return "sim"
        if folded in NO:
            return "nao"
        raise ValidationFailed(f"“{item.label}”: responda sim ou não.")
    if item.kind == ItemKind.ESCOLHA:
        if text not in item.options:
            raise ValidationFailed(f"“{item.label}”: escolha uma das opções.")
        return text
    if item.kind == ItemKind.NUMERO:
        return _number(item.label, text)
    if item.kind == ItemKind.TEXTO:
        return raw.strip()[:MAX_TEXT]
    return ""  # photos come as files


def parse_answers(items: list[ChecklistItem], raw: Mapping[str, str],
                  photos: Mapping[int, bytes] | None = None, *,
                  require: bool = False) -> dict[int, str]:
    """Typed answers keyed by item id (``raw`` keys are item ids as text) → stored values.
    With ``require``, a required item left blank is refused (pt-BR)."""
    values: dict[int, str] = {}
    for item in items:
        value = _one(item, str(raw.get(str(item.id), "")))
        if value:
            values[item.id] = value
        elif require and item.required and not (photos and photos.get(item.id)):
            raise ChecklistIncomplete(f"Responda “{item.label}” (obrigatório).")
    return values


def check_booking_answers(engine: Engine, *, shop_id: int, segment_id: int,
                          raw: Mapping[str, str]) -> None:
    """Before booking: the "Agendado" answers typed in the wizard are valid and every required
    item is answered (pt-BR refusal otherwise)."""
    from scheduler_core.checklists.service import segment_items

    items = segment_items(engine, shop_id=shop_id, segment_id=segment_id, stage="agendado")
    parse_answers(items, raw, require=True)


def record_answers(
    engine: Engine, *, appointment_id: int, stage: str, raw: Mapping[str, str],
    photos: Mapping[int, bytes] | None = None, photo_folder: Path | None = None,
    now: datetime, actor: str,
) -> int:
    """Store a visit's answers to one stage's checklist (blank answers keep the previous
    one); audited. Returns how many answers were written."""
    if stage not in STAGES:
        raise ValidationFailed("Etapa inválida.")
    with write_session(engine) as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None:
            raise NotFound("Agendamento não encontrado.")
        segment = session.get(Segment, appt.segment_id)
        if segment is not None:
            ensure_defaults(session, segment)
        items = items_of(session, appt.segment_id, stage)
        values = parse_answers(items, raw)
        for item in items:
            data = (photos or {}).get(item.id)
            if item.kind == ItemKind.FOTO and data:
                if photo_folder is None:
                    raise ValidationFailed("O envio de fotos não está configurado.")
                values[item.id] = store_photo(photo_folder, appointment_id, item.id, data, now)
        for item_id, value in values.items():
            _upsert(session, appointment_id, item_id, stage, value, now, actor)
        if values:
            labels = {i.id: i.label for i in items}
            audit.record(session, at=now, actor=actor, action="appointment.checklist",
                         entity="appointment", entity_id=appointment_id, shop_id=appt.shop_id,
                         details={"stage": stage,
                                  "answers": {labels[k]: v for k, v in values.items()}})
        return len(values)


def _upsert(session: Session, appointment_id: int, item_id: int, stage: str, value: str,
            now: datetime, actor: str) -> None:
    row = session.exec(select(ChecklistAnswer).where(
        ChecklistAnswer.appointment_id == appointment_id, ChecklistAnswer.item_id == item_id,
    )).first() or ChecklistAnswer(appointment_id=appointment_id, item_id=item_id, stage=stage)
    row.value, row.answered_by, row.answered_at = value, actor, to_utc(now)
    session.add(row)


def _answers(session: Session, appointment_id: int) -> list[AnswerView]:
    pairs = session.exec(
        select(ChecklistAnswer, ChecklistItem)
        .join(ChecklistItem, ChecklistItem.id == ChecklistAnswer.item_id)
        .where(ChecklistAnswer.appointment_id == appointment_id)
    ).all()
    views = [AnswerView(item_id=item.id, stage=ans.stage, label=item.label, kind=item.kind,
                        value=ans.value, answered_by=ans.answered_by,
                        answered_at=ans.answered_at) for ans, item in pairs]
    order = {s: i for i, s in enumerate(STAGES)}
    return sorted(views, key=lambda v: (order.get(v.stage, 99), v.answered_at, v.item_id))


def visit_answers(engine: Engine, appointment_id: int) -> list[AnswerView]:
    """Every answer of a visit, by stage then time (for the visit's page and history)."""
    with read_session(engine) as session:
        return _answers(session, appointment_id)


def answer_lines(engine: Engine, appointment_id: int, stage: str | None = None) -> list[str]:
    """A visit's answers as text lines for the tutor's status messages
    ("Nós na pelagem: Sim"); photos are left out."""
    return [f"{a.label}: {a.text}" for a in visit_answers(engine, appointment_id)
            if (stage is None or a.stage == stage) and a.kind != ItemKind.FOTO]


def stages_between(current: str, target: str, flow: tuple[str, ...]) -> list[str]:
    """The checklist stages a forward move from ``current`` to ``target`` enters."""
    if current not in flow or target not in flow:
        return []
    start, end = flow.index(current), flow.index(target)
    return [s for s in flow[start + 1:end + 1] if s in STAGES]


def require_complete(session: Session, appt: Appointment, target: str,
                     flow: tuple[str, ...]) -> None:
    """Refuse (pt-BR, ``checklist_incomplete``) a move into ``target`` while a required item
    of an entered stage has no answer. Called inside the move's transaction."""
    stages = stages_between(appt.status, target, flow)
    if not stages:
        return
    answered = {a.item_id for a in session.exec(
        select(ChecklistAnswer).where(ChecklistAnswer.appointment_id == appt.id)).all()}
    missing = [i for s in stages for i in items_of(session, appt.segment_id, s)
               if i.required and i.id not in answered]
    if missing:
        names = ", ".join(f"“{i.label}”" for i in missing)
        stage = STAGE_LABELS[missing[0].stage]
        raise ChecklistIncomplete(
            f"Checklist de {stage} incompleta: responda {names} antes de mudar o status.",
            details={"items": [i.id for i in missing]},
        )
