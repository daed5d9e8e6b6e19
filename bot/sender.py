"""Outbound WhatsApp messages through pywa_async, pointed at Meta or at the simulator.

- pywa fixes its base URL to graph.facebook.com; :class:`_Rebase` rewrites the host of each
  request so the same client talks to the simulator (same paths, same JSON).
- 429 and 5xx answers (and connection errors) are retried with exponential backoff.
- A per-number rate cap (token spacing) keeps us under Meta's messages-per-second limit.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from pywa_async import WhatsApp
from pywa_async.errors import WhatsAppError
from pywa_async.types import Button, Section, SectionList, SectionRow

from bot.render import ButtonsOut, ListOut, Out, TextOut
from bot.texts import t

log = logging.getLogger(__name__)
T = TypeVar("T")


# Meta error codes worth retrying whatever the HTTP status: throughput / pair rate limits,
# "service temporarily unavailable" and generic transient errors.
RETRYABLE_CODES = frozenset({4, 80007, 130429, 131016, 131056, 131000, 133004})
PAIR_RATE_CODE = 131056  # too many messages to the same user: wait several seconds
PAIR_RATE_WAIT_S = 6.0


class SendError(Exception):
    """A message could not be sent; ``message`` is a pt-BR explanation for staff."""

    def __init__(self, message: str, *, code: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class _Rebase(httpx.AsyncBaseTransport):
    def __init__(self, base: str):
        self._base = httpx.URL(base)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self._base.scheme, host=self._base.host, port=self._base.port
        )
        request.headers["host"] = self._base.netloc.decode()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class RateLimiter:
    """At most ``rate`` acquisitions per second (evenly spaced)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)


class GraphSender:
    """Sends from one phone-number id through one Graph API base URL."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        phone_id: str,
        api_version: str | None,
        rate: float,
        retries: int = 4,
        retry_base_s: float = 0.5,
    ):
        rebase = not base_url.startswith("https://graph.facebook.com")
        self._http = httpx.AsyncClient(
            transport=_Rebase(base_url) if rebase else None, timeout=httpx.Timeout(15.0)
        )
        kwargs: dict[str, Any] = {"phone_id": phone_id, "token": token, "session": self._http}
        if api_version:
            kwargs["api_version"] = api_version
        self.wa = WhatsApp(**kwargs)
        self.phone_id = phone_id
        self.limiter = RateLimiter(rate)
        self.retries = retries
        self.retry_base_s = retry_base_s

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, fn: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            pair_limited = False
            await self.limiter.acquire()
            try:
                return await fn()
            except WhatsAppError as exc:
                status = exc.status_code or 0
                retryable = (
                    status == 429
                    or status >= 500
                    or exc.code in RETRYABLE_CODES
                    or bool(exc.is_transient)
                )
                if not retryable or attempt >= self.retries:
                    raise SendError(
                        t("send_refused", reason=exc.message),
                        code=exc.code,
                        retryable=retryable,
                    ) from exc
                pair_limited = exc.code == PAIR_RATE_CODE
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise SendError(
                        t("send_unreachable"), retryable=True
                    ) from exc
            delay = self.retry_base_s * (2**attempt) * (0.8 + 0.4 * random.random())
            if pair_limited:
                # ~6 s with the default base of 0.5 s (tests shorten the base)
                delay = max(delay, PAIR_RATE_WAIT_S * self.retry_base_s / 0.5)
            attempt += 1
            log.info("send retry %s in %.2fs", attempt, delay)
            await asyncio.sleep(delay)

    async def send(self, to: str, out: Out) -> str:
        """Send one rendered message; returns WhatsApp's message id."""
        if isinstance(out, TextOut):
            sent = await self._call(lambda: self.wa.send_message(to=to, text=out.body))
        elif isinstance(out, ButtonsOut):
            buttons = [Button(title=c.title, callback_data=c.id) for c in out.buttons]
            sent = await self._call(
                lambda: self.wa.send_message(to=to, text=out.body, buttons=buttons)
            )
        elif isinstance(out, ListOut):
            rows = [
                SectionRow(title=c.title, callback_data=c.id, description=c.description or None)
                for c in out.rows
            ]
            section_list = SectionList(
                button_title=out.button, sections=[Section(title=t("list_section"), rows=rows)]
            )
            sent = await self._call(
                lambda: self.wa.send_message(to=to, text=out.body, buttons=section_list)
            )
        else:  # pragma: no cover - exhaustive
            raise TypeError(out)
        return sent.id

    async def send_template(
        self, to: str, name: str, language: str, params: list | None = None
    ) -> str:
        from pywa_async.types.templates import TemplateLanguage

        lang = TemplateLanguage(language)
        sent = await self._call(
            lambda: self.wa.send_template(to=to, name=name, language=lang, params=params or [])
        )
        return sent.id

    async def mark_read(self, wa_id: str) -> None:
        try:
            await self._call(lambda: self.wa.mark_message_as_read(message_id=wa_id))
        except SendError as exc:
            log.info("mark as read failed for %s: %s", wa_id, exc)
