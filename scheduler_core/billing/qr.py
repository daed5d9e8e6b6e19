"""The QR image of a Pix "copia e cola" code (issue 11 "Pix"): an inline SVG drawn with segno.

A regular QR (never a Micro QR, which banking apps do not read) at error correction level M,
with the standard 4-module quiet zone. The SVG carries the payload in its ``<desc>`` (it is the
same public text shown beside the image) and ``<title>`` "QR Code Pix" for screen readers. The
payload must be a BR Code with a valid CRC (:func:`scheduler_core.billing.pix.is_valid`), so a
broken code is never drawn.
"""

from __future__ import annotations

import segno

from scheduler_core.billing import pix
from scheduler_core.kernel.errors import ValidationFailed

TITLE = "QR Code Pix"


def pix_qr(payload: str) -> segno.QRCode:
    """The QR symbol of ``payload`` (refused when it is not a valid BR Code)."""
    if not isinstance(payload, str) or not pix.is_valid(payload):
        raise ValidationFailed("Código Pix inválido.", details={"field": "payload"})
    return segno.make(payload, error="m", micro=False, boost_error=False)


def pix_qr_svg(payload: str, *, scale: int = 4) -> str:
    """The QR image of ``payload`` as an inline ``<svg>`` element."""
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= 20:
        raise ValidationFailed("Escala inválida.", details={"field": "scale"})
    return pix_qr(payload).svg_inline(scale=scale, border=4, title=TITLE, desc=payload)
