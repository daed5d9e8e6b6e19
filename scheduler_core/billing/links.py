"""The invoice's public link (no login): a signed token and what the page shows (issue 11 "Pix").

A token is ``base64url(compact JSON) "." base64url(HMAC-SHA256(secret, "fatura." + body))``
without padding, in the style of :mod:`scheduler_core.scheduling.tokens` (billing cannot import
scheduling, which depends on it); the ``"fatura."`` prefix keeps an invoice token from ever
verifying as a slot token and vice versa. It carries the invoice and shop ids; it does not
expire (the tutor may open an old WhatsApp message), unless ``expires_at`` is given. It is not
encrypted, only tamper-proof. :func:`public_invoice` reads the invoice for the page: amount,
items, status and — while something is open and the shop has a Pix key — the Pix code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from scheduler_core.billing import pix, qr
from scheduler_core.billing.invoices import InvoiceView, get_invoice, invoice_view
from scheduler_core.kernel.errors import NotFound, TokenExpired, TokenInvalid, ValidationFailed
from scheduler_core.shop.models import Shop

_PURPOSE = b"fatura."
_VERSION = 1


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), _PURPOSE + body.encode("ascii"), hashlib.sha256)
    return _b64encode(digest.digest())


def invoice_token(
    invoice_id: int, shop_id: int, secret: str, *, expires_at: datetime | None = None
) -> str:
    """The token of the invoice's public link."""
    if not secret:
        raise ValueError("secret must not be empty")
    payload: dict[str, int] = {"v": _VERSION, "i": int(invoice_id), "sh": int(shop_id)}
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        payload["exp"] = int(expires_at.timestamp())
    body = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret, body)}"


def verify_invoice_token(token: str, secret: str, now: datetime) -> tuple[int, int]:
    """(invoice id, shop id) of a genuine token; TokenInvalid / TokenExpired (pt-BR)."""
    bad = TokenInvalid("Link de fatura inválido.")
    if not secret:
        raise ValueError("secret must not be empty")
    if not isinstance(token, str) or token.count(".") != 1:
        raise bad
    body, signature = token.split(".")
    try:
        expected = _mac(secret, body)
    except UnicodeEncodeError as exc:
        raise bad from exc
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise bad
    try:
        payload = json.loads(_b64decode(body))
        if payload.get("v") != _VERSION:
            raise bad
        invoice_id, shop_id = int(payload["i"]), int(payload["sh"])
        expiry = payload.get("exp")
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise bad from exc
    if expiry is not None and now.timestamp() >= int(expiry):
        raise TokenExpired("Este link de fatura expirou. Peça um novo à loja.")
    return invoice_id, shop_id


def invoice_pix(session: Session, invoice_id: int) -> pix.PixCode:
    """The Pix code for the invoice's open amount (ValidationFailed without a Pix key or when
    nothing is open)."""
    invoice = get_invoice(session, invoice_id)
    view = invoice_view(session, invoice.id)
    if view.totals.open_cents == 0 or view.status == "cancelada":
        raise ValidationFailed("Esta fatura não tem valor em aberto.",
                               details={"invoice_id": invoice.id})
    shop = session.get(Shop, invoice.shop_id)
    return pix.br_code(
        key=shop.pix_key,
        merchant_name=shop.name,
        merchant_city=shop.city or "Brasil",
        amount_cents=view.totals.open_cents,
        txid=f"FATURA{invoice.number}",
    )


@dataclass(frozen=True)
class PublicInvoice:
    invoice: InvoiceView
    pix: pix.PixCode | None  # None when nothing is open or the shop has no Pix key
    shop_name: str

    @property
    def qr_svg(self) -> str:
        """The Pix QR image (inline SVG), "" without a Pix code."""
        return qr.pix_qr_svg(self.pix.payload) if self.pix is not None else ""


def public_invoice(session: Session, token: str, *, secret: str, now: datetime) -> PublicInvoice:
    """What the public invoice page shows for ``token`` (TokenInvalid, NotFound)."""
    invoice_id, shop_id = verify_invoice_token(token, secret, now)
    view = invoice_view(session, invoice_id)
    if view.shop_id != shop_id:
        raise NotFound("Fatura não encontrada.")
    shop = session.get(Shop, shop_id)
    code = None
    if view.totals.open_cents > 0 and view.status != "cancelada" and shop.pix_key:
        try:
            code = invoice_pix(session, invoice_id)
        except ValidationFailed:
            code = None  # a key the panel should have refused: show the amount without Pix
    return PublicInvoice(invoice=view, pix=code, shop_name=shop.name)
