"""The WhatsApp output channel: everything the shop sends to a tutor.

- :meth:`Output.deliver`: one message stored (``WaMessage``, what staff see) and sent through
  pywa (``bot.sender``), inside WhatsApp's 24-hour window only (outside it the row is kept as
  ``failed`` with the pt-BR reason); an interactive message the Graph API refuses falls back to
  numbered text once.
- :meth:`Output.send_template`: an approved template, allowed outside the window.
- :meth:`Output.notify`: one notification of the outbox (scheduler_core.notifications): free-form
  text (with its reply buttons) inside the 24-hour window, the notification's approved template
  outside it, and the template too when Meta refuses the text with 131047 (re-engagement: our
  record of the window and Meta's disagree).
- Statuses: a send's status, and receipts that arrived before the send returned, move a
  message's status only up (``STATUS_RANK``).
- Read receipts: :meth:`Output.mark_read` for a message the bot handles; an attendant opening
  a conversation marks the tutor's unread messages read (:meth:`Output.attendant_seen`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from bot import render as rnd
from bot.models import (
    STATUS_RANK,
    Author,
    Direction,
    OutStatus,
    WaConversation,
    WaMessage,
    WaStatusEvent,
)
from bot.runtime import Runtime
from bot.sender import GraphSender, SendError
from bot.texts import t
from scheduler_core.db.engine import read_session, write_connection, write_session
from scheduler_core.notifications.outbox import REENGAGEMENT_CODE
from scheduler_core.notifications.sending import Send
from scheduler_core.notifications.service import SendResult

WINDOW = timedelta(hours=24)


class Output:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self._senders: dict[tuple[str, str], GraphSender] = {}

    def sender_for(self, phone_id: str) -> GraphSender:
        config = self.rt.config
        base = config.base_for(phone_id)
        key = (base, phone_id)
        if key not in self._senders:
            self._senders[key] = GraphSender(
                base_url=base,
                token=config.token,
                phone_id=phone_id,
                api_version=config.api_version,
                rate=config.send_rate,
                retries=config.send_retries,
                retry_base_s=config.retry_base_s,
            )
        return self._senders[key]

    async def close(self) -> None:
        for sender in self._senders.values():
            await sender.close()

    # ------------------------------------------------------------------ messages

    async def deliver(
        self, conv_id: int, out: rnd.Out, author: str, actor: str = "", *, fallback: bool = True
    ) -> WaMessage:
        """Store and send one message to the conversation's tutor (24-hour window enforced)."""
        row, _code = await self._deliver(conv_id, out, author, actor, fallback=fallback)
        return row

    async def _deliver(
        self, conv_id: int, out: rnd.Out, author: str, actor: str = "", *, fallback: bool = True
    ) -> tuple[WaMessage, int | None]:
        """:meth:`deliver`, with Meta's error code when the send was refused."""
        db = self.rt.db
        stored = await db(self._store_out, conv_id, out, author, actor, self.rt.now())
        row_id, to, phone_id, in_window = stored
        if not in_window:
            return await db(self._message, row_id), None
        try:
            wamid = await self.sender_for(phone_id).send(to, out)
        except SendError as exc:
            await db(self._set_sent, row_id, None, OutStatus.FAILED, str(exc))
            if (fallback and isinstance(out, rnd.ButtonsOut | rnd.ListOut) and not exc.retryable
                    and exc.code != REENGAGEMENT_CODE):
                choices = out.buttons if isinstance(out, rnd.ButtonsOut) else out.rows
                return await self._deliver(
                    conv_id, rnd.numbered(out.body, choices), author, actor, fallback=False
                )
            return await db(self._message, row_id), exc.code
        await db(self._set_sent, row_id, wamid, OutStatus.SENT, "")
        return await db(self._message, row_id), None

    def _store_out(self, conv_id: int, out: rnd.Out, author: str, actor: str, now: datetime):
        with write_session(self.rt.engine) as s:
            conv = s.get(WaConversation, conv_id)
            row = WaMessage(
                conversation_id=conv_id,
                direction=Direction.OUT,
                author=author,
                actor=actor,
                kind=out.kind,
                text=_out_text(out),
                body=_out_body(out),
                status=OutStatus.PENDING,
                created_at=now,
            )
            in_window = conv.last_inbound_at is not None and now - conv.last_inbound_at < WINDOW
            if not in_window:
                row.status = OutStatus.FAILED
                row.error = t("out_of_window")
            s.add(row)
            s.flush()
            return row.id, conv.key, conv.business_phone_id, in_window

    def _set_sent(self, row_id: int, wamid: str | None, status: str, error: str) -> None:
        with write_connection(self.rt.engine) as conn:
            conn.execute(
                WaMessage.__table__.update()
                .where(WaMessage.__table__.c.id == row_id)
                .values(wa_id=wamid, status=status, error=error)
            )
            if wamid:
                events = conn.execute(
                    select(WaStatusEvent.status, WaStatusEvent.error).where(
                        WaStatusEvent.wa_id == wamid
                    )
                ).all()
                for st, err in events:  # statuses that arrived before the send returned
                    _apply_status(conn, wamid, st, err)

    def _message(self, row_id: int) -> WaMessage:
        with read_session(self.rt.engine) as s:
            row = s.get(WaMessage, row_id)
            s.expunge(row)
            return row

    # ------------------------------------------------------------------ read receipts

    def mark_read(self, phone_id: str, wa_id: str) -> None:
        """Send the read receipt for one tutor message, in the background."""
        self.rt.spawn(self.sender_for(phone_id).mark_read(wa_id))

    async def attendant_seen(self, conv_id: int) -> int:
        """An attendant opened the conversation: the tutor's unread messages are marked read
        (one Graph API call for the latest; WhatsApp marks the earlier ones with it). Returns
        how many messages were unread."""
        found = await self.rt.db(self._mark_seen, conv_id)
        if found is None:
            return 0
        latest, phone_id, count = found
        self.mark_read(phone_id, latest)
        return count

    def _mark_seen(self, conv_id: int) -> tuple[str, str, int] | None:
        with write_session(self.rt.engine) as s:
            conv = s.get(WaConversation, conv_id)
            unread = s.exec(
                select(WaMessage)
                .where(
                    WaMessage.conversation_id == conv_id,
                    WaMessage.direction == Direction.IN,
                    WaMessage.status == "received",
                )
                .order_by(WaMessage.id)
            ).all()
            if conv is None or not unread:
                return None
            for row in unread:
                row.status = "read"
                s.add(row)
            latest = next((r.wa_id for r in reversed(unread) if r.wa_id), None)
            if latest is None:
                return None
            return latest, conv.business_phone_id, len(unread)

    # ------------------------------------------------------------------ templates

    async def send_template(
        self,
        to: str,
        name: str,
        language: str = "pt_BR",
        params: list | None = None,
        *,
        phone_id: str | None = None,
        text: str = "",
        shop_id: int | None = None,
    ) -> WaMessage:
        """Send an approved template (allowed outside the 24-hour window).

        ``to`` is a phone "+55..." or a BSUID; ``params`` are pywa template params;
        ``text`` is what staff see in the conversation history. Errors are kept on the row
        (status ``failed``) rather than raised.
        """
        db = self.rt.db
        phone_id = phone_id or self.rt.config.phone_id
        row_id = await db(self._store_template, to, name, language, phone_id, text,
                          shop_id, self.rt.now())
        try:
            wamid = await self.sender_for(phone_id).send_template(to, name, language, params)
        except SendError as exc:
            await db(self._set_sent, row_id, None, OutStatus.FAILED, str(exc))
            return await db(self._message, row_id)
        await db(self._set_sent, row_id, wamid, OutStatus.SENT, "")
        return await db(self._message, row_id)

    def _store_template(self, to, name, language, phone_id, text, shop_id, now) -> int:
        with write_session(self.rt.engine) as s:
            conv = _conversation(s, shop_id or self.rt.shop_id(s), to, phone_id, now)
            row = WaMessage(
                conversation_id=conv.id,
                direction=Direction.OUT,
                author=Author.SYSTEM,
                kind="template",
                text=text or f"[modelo {name}]",
                body={"template": name, "language": language},
                status=OutStatus.PENDING,
                created_at=now,
            )
            s.add(row)
            s.flush()
            return row.id


    # ------------------------------------------------------------------ notifications

    async def notify(self, send: Send) -> SendResult:
        """Send one notification (see the module docstring); errors are kept on the message
        row and returned, never raised."""
        now = self.rt.now()
        conv_id, in_window = await self.rt.db(self._notify_conversation, send, now)
        if in_window and not send.template_only:
            buttons = [rnd.Choice(id=b["id"], title=b["title"]) for b in send.buttons]
            out = rnd.ButtonsOut(send.text, buttons) if buttons else rnd.TextOut(send.text)
            row, code = await self._deliver(conv_id, out, Author.SYSTEM, "notificacao")
            if code != REENGAGEMENT_CODE:
                return SendResult(row.wa_id, "texto", row.status, row.error)
        params = [{"type": "body", "parameters": [
            {"type": "text", "text": p} for p in send.template_params]}] \
            if send.template_params else []
        row = await self.send_template(send.recipient, send.template_name,
                                       send.template_language, params,
                                       text=send.template_text, shop_id=send.shop_id)
        return SendResult(row.wa_id, "modelo", row.status, row.error)

    def _notify_conversation(self, send: Send, now: datetime) -> tuple[int, bool]:
        with write_session(self.rt.engine) as s:
            conv = _conversation(s, send.shop_id, send.recipient, self.rt.config.phone_id, now)
            in_window = (conv.last_inbound_at is not None
                         and now - conv.last_inbound_at < WINDOW)
            return conv.id, in_window


def _conversation(s, shop_id: int, to: str, phone_id: str, now: datetime) -> WaConversation:
    """The conversation with ``to`` (its key, or its phone when it is keyed by the BSUID),
    created when the shop never talked to them."""
    conv = s.exec(select(WaConversation).where(
        WaConversation.shop_id == shop_id, WaConversation.key == to)).first()
    if conv is None and to.startswith("+"):
        conv = s.exec(select(WaConversation).where(
            WaConversation.shop_id == shop_id, WaConversation.phone == to)
            .order_by(WaConversation.id)).first()
    if conv is None:
        conv = WaConversation(
            shop_id=shop_id,
            key=to,
            phone=to if to.startswith("+") else None,
            wa_user_id=None if to.startswith("+") else to,
            business_phone_id=phone_id,
            created_at=now,
        )
        s.add(conv)
        s.flush()
    return conv


def _apply_status(conn, wa_id: str, status: str, error: str) -> None:
    table = WaMessage.__table__
    row = conn.execute(select(table.c.id, table.c.status).where(table.c.wa_id == wa_id)).first()
    if row is None:
        return
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(row.status, 0):
        values: dict[str, Any] = {"status": status}
        if error:
            values["error"] = error
        conn.execute(table.update().where(table.c.id == row.id).values(**values))


def _out_text(out: rnd.Out) -> str:
    if isinstance(out, rnd.ButtonsOut):
        return out.body + "\n" + " | ".join(f"[{c.title}]" for c in out.buttons)
    if isinstance(out, rnd.ListOut):
        return out.body + "\n" + "\n".join(f"• {c.title}" for c in out.rows)
    return out.body


def _out_body(out: rnd.Out) -> dict:
    if isinstance(out, rnd.ButtonsOut):
        return {"type": "buttons", "body": out.body, "buttons": [c.to_dict() for c in out.buttons]}
    if isinstance(out, rnd.ListOut):
        return {"type": "list", "body": out.body, "button": out.button,
                "rows": [c.to_dict() for c in out.rows]}
    return {"type": "text", "body": out.body}


__all__ = ["WINDOW", "Output"]
