"""The Pix QR image: a regular QR whose modules are those of the BR Code payload."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import segno

from scheduler_core.billing import pix, qr
from scheduler_core.kernel.errors import ValidationFailed
from tests.scheduler_core.billing.test_billing_pix import BCB_EXAMPLE


def _modules(svg: str, scale: int) -> set[tuple[int, int]]:
    """The dark modules drawn by the SVG's path (segno's "M x y.5 h n m dx dy" runs)."""
    path = ET.fromstring(svg).find("path")
    assert path.get("transform") == f"scale({scale})"
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d")):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(x) + i, int(y)) for i in range(int(a))}
            x += float(a)
    return dark


def test_the_svg_draws_the_regular_qr_of_the_payload():
    code = pix.br_code(key="123e4567-e12b-12d1-a456-426655440000", merchant_name="Patas & Cia",
                       merchant_city="São Paulo", amount_cents=12345, txid="FAT00042")
    svg = qr.pix_qr_svg(code.payload, scale=3)
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    assert root.find("title").text == "QR Code Pix"
    desc = root.find("desc").text
    assert desc == code.payload and pix.is_valid(desc)
    symbol = segno.make(code.payload, error="m", micro=False)
    assert not symbol.is_micro and symbol.error == "M"
    size = symbol.symbol_size(scale=3, border=4)
    assert (int(root.get("width")), int(root.get("height"))) == size
    expected = {(x + 4, y + 4) for y, row in enumerate(symbol.matrix)
                for x, bit in enumerate(row) if bit}
    assert _modules(svg, 3) == expected
    # The three finder patterns (7×7 squares with a dark border) sit in their corners.
    n = len(symbol.matrix)
    for cx, cy in ((0, 0), (n - 7, 0), (0, n - 7)):
        assert all((cx + i + 4, cy + 4) in expected for i in range(7))


def test_the_bcb_example_is_drawn_and_a_broken_code_is_refused():
    assert qr.pix_qr_svg(BCB_EXAMPLE).startswith("<svg")
    with pytest.raises(ValidationFailed, match="Código Pix inválido"):
        qr.pix_qr_svg(BCB_EXAMPLE.replace("Fulano", "Fulana"))
    with pytest.raises(ValidationFailed):
        qr.pix_qr_svg("")
