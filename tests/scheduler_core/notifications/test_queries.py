"""What the owner sees: the next 7 days of planned sends, the history with statuses, a preview
of a text on a real appointment, the invoice link sent on demand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.notifications.queries import history, preview, send_invoice_now, upcoming
from tests.scheduler_core.billing.billing_helpers import new_invoice
from tests.scheduler_core.booking_helpers import MONDAY, book_at
from tests.scheduler_core.factories import NOW, build_shop
from tests.scheduler_core.notifications.helpers import FakeChannel, link, tick


def test_next_seven_days_and_history(db_engine) -> None:
    world = build_shop(db_engine)
    book_at(world, "10:00")
    book_at(world, "10:00", day=MONDAY + timedelta(days=7))  # confirmation after 7 days
    channel = FakeChannel()
    tick(db_engine, NOW, channel)
    tick(db_engine, NOW + timedelta(seconds=6), channel)  # the second one, after the pace
    with Session(db_engine) as s:
        planned = upcoming(s, world.shop_id, NOW)
        assert [(p.kind_label, p.tutor_name, p.pet_name) for p in planned] == [
            ("Confirmação de agendamento", "Maria Silva", "Thor")]
        assert planned[0].due_at.strftime("%d/%m %H:%M") == "08/03 10:00"
        lines, total = history(s, world.shop_id)
        assert total == 2 and {line.status_label for line in lines} == {"Enviada"}
        assert history(s, world.shop_id, status="falhou") == ([], 0)
        with pytest.raises(ValidationFailed):
            history(s, world.shop_id, status="bogus")


def test_preview_on_a_real_appointment(db_engine) -> None:
    world = build_shop(db_engine)
    appt = book_at(world, "10:00")
    with Session(db_engine) as s:
        text = preview(s, world.shop_id, "lembrete", "(NOME_PET) às (HORARIO_AGENDAMENTO) "
                       "em (DATA_AGENDAMENTO), (NOME_SERVICO), (VALOR_TOTAL)", appt.id)
        assert text == "Thor às 10:00 em 09/03/2026, Banho, R$ 50,00"
        assert preview(s, world.shop_id, "lembrete", "Oi (NOME_TUTOR)") == "Oi Maria"
        with pytest.raises(ValidationFailed) as err:
            preview(s, world.shop_id, "lembrete", "Oi (CUPOM)", appt.id)
        assert "(CUPOM)" in err.value.message
        with pytest.raises(NotFound):
            preview(s, world.shop_id, "lembrete", "Oi", 999_999)


def test_invoice_link_on_demand_goes_at_the_next_tick(db_engine) -> None:
    world = build_shop(db_engine)
    invoice_id = new_invoice(world, ("Banho", 5000), due=NOW.date() + timedelta(days=10))
    with Session(db_engine) as s:
        row_id = send_invoice_now(s, invoice_id, NOW, invoice_link=link)
        assert send_invoice_now(s, invoice_id, NOW, invoice_link=link) == row_id
        s.commit()
    channel = FakeChannel()
    tick(db_engine, NOW + timedelta(seconds=30), channel)
    [sent] = channel.sent
    assert sent.row_id == row_id and f"/fatura/{world.shop_id}-{invoice_id}" in sent.text
