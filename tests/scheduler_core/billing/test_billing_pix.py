"""Pix BR Code ("copia e cola") and the invoice's signed public link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler_core.billing import links, pix
from scheduler_core.db.engine import read_session, write_session
from scheduler_core.kernel.errors import TokenExpired, TokenInvalid, ValidationFailed
from scheduler_core.shop.models import Shop
from tests.scheduler_core.billing.billing_helpers import new_invoice, pay
from tests.scheduler_core.factories import NOW, build_shop

# The example of the Banco Central do Brasil's "Manual de Padrões para Iniciação do Pix"
# (BR Code, static QR with a random key, no amount, txid "***"), reproduced in the BCB's
# documentation and countless Pix libraries. Its fields, checked by hand against the EMV layout:
#   00 02 "01" | 26 58 (00 14 "br.gov.bcb.pix", 01 36 "123e4567-e12b-12d1-a456-426655440000")
#   52 04 "0000" | 53 03 "986" | 58 02 "BR" | 59 13 "Fulano de Tal" | 60 08 "BRASILIA"
#   62 07 (05 03 "***") | 63 04 CRC "1D3D"
BCB_EXAMPLE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


def test_crc16_matches_the_standard_check_value_and_the_bcb_example():
    # CRC-16/CCITT-FALSE's catalogue check value: CRC("123456789") = 0x29B1.
    assert pix.crc16("123456789") == "29B1"
    assert pix.crc16(BCB_EXAMPLE[:-4]) == "1D3D"
    assert pix.is_valid(BCB_EXAMPLE)
    assert not pix.is_valid(BCB_EXAMPLE.replace("Fulano", "Fulana"))


def test_br_code_reproduces_the_bcb_example():
    code = pix.br_code(key="123e4567-e12b-12d1-a456-426655440000",
                       merchant_name="Fulano de Tal", merchant_city="BRASILIA")
    assert code.payload == BCB_EXAMPLE


def test_br_code_amount_names_and_txid():
    code = pix.br_code(key="patas@exemplo.com.br", merchant_name="Pátas & Cia Banho e Tosa Ltda",
                       merchant_city="São José dos Campos", amount_cents=12345,
                       txid="FATURA-00042")
    fields = pix.parse_fields(code.payload)
    assert fields["00"] == "01" and fields["52"] == "0000" and fields["53"] == "986"
    assert fields["54"] == "123.45" and fields["58"] == "BR"
    assert fields["59"] == "Patas & Cia Banho e Tosa" and len(fields["59"]) <= 25
    assert fields["60"] == "Sao Jose dos Ca" and len(fields["60"]) == 15
    assert pix.parse_fields(fields["26"]) == {"00": "br.gov.bcb.pix",
                                              "01": "patas@exemplo.com.br"}
    assert pix.parse_fields(fields["62"]) == {"05": "FATURA00042"}
    assert code.payload.isascii() and pix.is_valid(code.payload)
    assert pix.parse_fields(pix.br_code(key="+55 (11) 98765-4321", merchant_name="X",
                                        merchant_city="Y", amount_cents=5).payload)["54"] == "0.05"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+55 11 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("529.982.247-25", "52998224725"),  # a valid CPF
        ("12.345.678/0001-95", "12345678000195"),
        ("Loja@Exemplo.COM", "loja@exemplo.com"),
        ("123E4567-E12B-12D1-A456-426655440000", "123e4567-e12b-12d1-a456-426655440000"),
    ],
)
def test_pix_key_normalisation(raw, key):
    assert pix.normalize_key(raw) == key


def test_bad_pix_keys_are_refused_in_pt_br():
    for raw in ("", "abc", "+1 555 1234", "a@b"):
        with pytest.raises(ValidationFailed, match="[Cc]have Pix"):
            pix.normalize_key(raw)


# --------------------------------------------------------------------------- public link

SECRET = "segredo-de-teste"


def test_invoice_token_round_trip_tamper_and_expiry():
    token = links.invoice_token(42, 7, SECRET)
    assert links.verify_invoice_token(token, SECRET, NOW) == (42, 7)
    body, mac = token.split(".")
    with pytest.raises(TokenInvalid):
        links.verify_invoice_token(token, "outro-segredo", NOW)
    with pytest.raises(TokenInvalid):
        links.verify_invoice_token(body[:-2] + "xy." + mac, SECRET, NOW)
    with pytest.raises(TokenInvalid):
        links.verify_invoice_token("nada", SECRET, NOW)
    short = links.invoice_token(42, 7, SECRET, expires_at=NOW + timedelta(days=1))
    assert links.verify_invoice_token(short, SECRET, NOW) == (42, 7)
    with pytest.raises(TokenExpired, match="expirou"):
        links.verify_invoice_token(short, SECRET, NOW + timedelta(days=2))


def test_slot_tokens_do_not_verify_as_invoice_tokens():
    from scheduler_core.scheduling import tokens

    slot_like = tokens.sign({"v": 1, "i": 42, "sh": 7}, SECRET, NOW + timedelta(days=1))
    with pytest.raises(TokenInvalid):
        links.verify_invoice_token(slot_like, SECRET, NOW)


def test_public_invoice_shows_open_amount_and_pix(db_engine):
    world = build_shop(db_engine)
    with write_session(world.engine) as s:
        shop = s.get(Shop, world.shop_id)
        shop.pix_key, shop.city = "patas@exemplo.com.br", "São Paulo"
        s.add(shop)
    invoice_id = new_invoice(world, ("Banho", 5000), ("Tosa", 4000))
    pay(world, invoice_id, amount=2000)
    token = links.invoice_token(invoice_id, world.shop_id, SECRET)
    with read_session(world.engine) as s:
        page = links.public_invoice(s, token, secret=SECRET, now=NOW)
    assert page.invoice.totals.open_cents == 7000
    assert [ln.name for ln in page.invoice.lines] == ["Banho", "Tosa"]
    fields = pix.parse_fields(page.pix.payload)
    assert fields["54"] == "70.00" and fields["60"] == "Sao Paulo"
    assert pix.parse_fields(fields["62"])["05"] == "FATURA1"
    pay(world, invoice_id, amount=7000)
    with read_session(world.engine) as s:
        page = links.public_invoice(s, token, secret=SECRET, now=NOW)
    assert page.invoice.status == "paga" and page.pix is None
    forged = links.invoice_token(invoice_id, world.shop_id + 1, SECRET)
    with read_session(world.engine) as s, pytest.raises(Exception, match="não encontrada"):
        links.public_invoice(s, forged, secret=SECRET, now=NOW)
