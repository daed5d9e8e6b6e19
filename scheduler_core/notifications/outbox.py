"""The outbox: planned notifications as rows, planned at most once, claimed by one sender.

- **Planned once**: ``(event_key, kind, recipient)`` is unique; :func:`plan_rows` inserts with
  ``INSERT … ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL), so the planner may run in every
  app worker, after every restart and as often as it likes.
- **Claimed once**: :func:`claim_due` moves a due row from ``planejada`` to ``enviando`` in one
  conditional ``UPDATE … WHERE id = :id AND status = 'planejada' RETURNING id`` and keeps the
  ids it got back. Two workers racing for a row: on PostgreSQL the second UPDATE waits for the
  first to commit, re-reads the row and matches nothing; on SQLite writers are serialised
  (``BEGIN IMMEDIATE``). On PostgreSQL the candidates are first picked with ``FOR UPDATE SKIP
  LOCKED`` so the workers take different rows instead of queueing on the same ones. No lock of
  our own, no Redis needed.
- **At most once after a crash**: a row left ``enviando`` by a process that died mid-send may or
  may not have reached Meta; :func:`recover_stuck` marks it ``falhou`` ("envio interrompido")
  instead of sending it again: a tutor never gets the same notification twice.
- **Statuses**: ``enviada`` when Meta accepted it, then ``entregue`` / ``lida`` / ``falhou`` from
  the status webhooks (:func:`record_receipts`, rank only goes up); ``descartada`` with the
  pt-BR reason when it was not sent on purpose (late, opted out, switched off, event gone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from scheduler_core.db.engine import is_postgres
from scheduler_core.kernel.clock import to_utc
from scheduler_core.notifications.models import Notification, OutboxStatus

S = OutboxStatus
TABLE = Notification.__table__

#: How receipts rank: a status only moves up (a late "delivered" never hides "read").
RECEIPT_STATUS = {"sent": S.ENVIADA, "delivered": S.ENTREGUE, "read": S.LIDA, "failed": S.FALHOU}
RANK = {S.ENVIADA: 1, S.ENTREGUE: 2, S.LIDA: 3, S.FALHOU: 4}
#: Meta's "re-engagement" error: more than 24 h since the tutor's last message.
REENGAGEMENT_CODE = 131047

STATUS_LABELS = {
    S.PLANEJADA: "Planejada",
    S.ENVIANDO: "Enviando",
    S.ENVIADA: "Enviada",
    S.ENTREGUE: "Entregue",
    S.LIDA: "Lida",
    S.FALHOU: "Falhou",
    S.DESCARTADA: "Descartada",
}


@dataclass(frozen=True)
class Planned:
    """One notification a source wants sent (see :mod:`scheduler_core.notifications.planner`)."""

    kind: str
    event_key: str
    recipient: str
    due_at: datetime
    tutor_id: int | None = None
    appointment_id: int | None = None
    pet_id: int | None = None
    values: dict[str, str] = field(default_factory=dict)
    extra_text: str = ""
    buttons: tuple[dict, ...] = ()
    expires_at: datetime | None = None


def plan_rows(session: Session, shop_id: int, rows: Iterable[Planned], now: datetime) -> int:
    """Insert the planned rows that are not planned yet; returns how many were new."""
    payload = [{
        "shop_id": shop_id, "kind": str(p.kind), "event_key": p.event_key[:250],
        "recipient": p.recipient, "tutor_id": p.tutor_id, "appointment_id": p.appointment_id,
        "pet_id": p.pet_id, "due_at": to_utc(p.due_at), "expires_at": to_utc(p.expires_at),
        "values": dict(p.values), "extra_text": p.extra_text, "buttons": list(p.buttons),
        "status": S.PLANEJADA.value, "reason": "", "sent_as": "", "attempts": 0,
        "created_at": to_utc(now),
    } for p in rows if p.recipient]
    if not payload:
        return 0
    insert = pg_insert if is_postgres(session) else sqlite_insert
    new = 0
    for row in payload:  # one statement per row: RETURNING tells what was new on both dialects
        result = session.execute(insert(TABLE).values(**row).on_conflict_do_nothing(
            index_elements=["event_key", "kind", "recipient"]).returning(TABLE.c.id))
        new += result.first() is not None
    return new


def claim_due(session: Session, now: datetime, *, limit: int = 50,
              shop_id: int | None = None) -> list[int]:
    """Claim up to ``limit`` due rows for this worker (``planejada`` → ``enviando``) and return
    their ids, earliest first. The caller commits at once, before sending."""
    now = to_utc(now)
    pick = (select(TABLE.c.id).where(TABLE.c.status == S.PLANEJADA.value, TABLE.c.due_at <= now)
            .order_by(TABLE.c.due_at, TABLE.c.id).limit(limit))
    if shop_id is not None:
        pick = pick.where(TABLE.c.shop_id == shop_id)
    if is_postgres(session):
        pick = pick.with_for_update(skip_locked=True)
    claimed = []
    for row_id in session.execute(pick).scalars().all():
        if claim(session, row_id, now):
            claimed.append(row_id)
    return claimed


def claim(session: Session, row_id: int, now: datetime) -> bool:
    """The atomic claim of one row: True when this caller moved it to ``enviando``."""
    result = session.execute(
        update(TABLE)
        .where(TABLE.c.id == row_id, TABLE.c.status == S.PLANEJADA.value)
        .values(status=S.ENVIANDO.value, claimed_at=to_utc(now), attempts=TABLE.c.attempts + 1)
        .returning(TABLE.c.id))
    return result.first() is not None


def _set(session: Session, row_id: int, **values: object) -> None:
    session.execute(update(TABLE).where(TABLE.c.id == row_id).values(**values))


def mark_sent(session: Session, row_id: int, *, wa_message_id: str | None, sent_as: str,
              now: datetime, status: str = S.ENVIADA.value) -> None:
    _set(session, row_id, status=status, wa_message_id=wa_message_id, sent_as=sent_as,
         sent_at=to_utc(now), status_at=to_utc(now), reason="")


def mark_failed(session: Session, row_id: int, reason: str, now: datetime, *,
                sent_as: str | None = None) -> None:
    extra = {} if sent_as is None else {"sent_as": sent_as}
    _set(session, row_id, status=S.FALHOU.value, reason=reason[:500], status_at=to_utc(now),
         **extra)


def discard(session: Session, row_id: int, reason: str, now: datetime) -> None:
    _set(session, row_id, status=S.DESCARTADA.value, reason=reason[:500], status_at=to_utc(now))


def postpone(session: Session, row_id: int, until: datetime, *, as_template: bool = False) -> None:
    """Back to ``planejada`` at ``until`` (quiet hours, the per-user pace, a template retry)."""
    values = {"status": S.PLANEJADA.value, "due_at": to_utc(until), "claimed_at": None}
    if as_template:
        values["sent_as"] = "modelo"
    _set(session, row_id, **values)


def recover_stuck(session: Session, now: datetime, *, older_than: timedelta = timedelta(
        minutes=10)) -> list[int]:
    """Rows a crashed process left ``enviando``: marked ``falhou`` (never resent, see the module
    docstring). Returns their ids."""
    limit = to_utc(now) - older_than
    ids = session.execute(select(TABLE.c.id).where(
        TABLE.c.status == S.ENVIANDO.value, TABLE.c.claimed_at < limit)).scalars().all()
    for row_id in ids:
        session.execute(update(TABLE).where(TABLE.c.id == row_id,
                                            TABLE.c.status == S.ENVIANDO.value)
                        .values(status=S.FALHOU.value, status_at=to_utc(now),
                                reason="Envio interrompido (o aplicativo reiniciou); não "
                                       "reenviado para não duplicar a mensagem."))
    return list(ids)


def last_sent_to(session: Session, recipient: str) -> datetime | None:
    """When the last notification to ``recipient`` left (the per-user pace)."""
    return session.execute(select(TABLE.c.sent_at).where(
        TABLE.c.recipient == recipient, TABLE.c.sent_at.is_not(None))
        .order_by(TABLE.c.sent_at.desc()).limit(1)).scalar_one_or_none()


def record_receipts(conn: Connection | Session, receipts: Sequence[tuple[str, str, str]],
                    now: datetime) -> int:
    """Apply Meta's status webhooks ``(wa_message_id, status, error)`` to the outbox rows with
    that message id (status only moves up). A ``failed`` with 131047 on a free-form text puts
    the row back as ``planejada`` to go out as the approved template. Returns rows changed."""
    changed = 0
    wanted = [r for r in receipts if r[0] and r[1] in RECEIPT_STATUS]
    found = {}
    ids = sorted({r[0] for r in wanted})
    for start in range(0, len(ids), 500):  # one query per 500 message ids
        for row in conn.execute(select(TABLE.c.id, TABLE.c.status, TABLE.c.sent_as,
                                       TABLE.c.wa_message_id)
                                .where(TABLE.c.wa_message_id.in_(ids[start:start + 500]))):
            found[row.wa_message_id] = dict(row._mapping)
    for wa_id, status, error in wanted:
        target = RECEIPT_STATUS[status]
        row = found.get(wa_id)
        if row is None:
            continue
        if (target == S.FALHOU and row["sent_as"] == "texto"
                and str(error or "").startswith(str(REENGAGEMENT_CODE))):
            conn.execute(update(TABLE).where(TABLE.c.id == row["id"]).values(
                status=S.PLANEJADA.value, due_at=to_utc(now), sent_as="modelo",
                wa_message_id=None, reason=str(error)[:500], claimed_at=None))
            del found[wa_id]
            changed += 1
            continue
        if RANK.get(target, 0) <= RANK.get(row["status"], 0):
            continue
        values = {"status": target.value, "status_at": to_utc(now)}
        if error:
            values["reason"] = str(error)[:500]
        conn.execute(update(TABLE).where(TABLE.c.id == row["id"]).values(**values))
        row["status"] = target.value
        changed += 1
    return changed


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)  # type: ignore[call-overload]
