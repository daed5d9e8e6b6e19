"""An edit that lengthens a visit races with bookings for the time it needs: exactly one of
them gets it, never both (SQLite BEGIN IMMEDIATE, PostgreSQL row locks)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.kernel.errors import CoreError
from scheduler_core.scheduling import booking, visit_edit
from tests.scheduler_core.booking_helpers import SECRET, book_at, offer, slot_at
from tests.scheduler_core.factories import NOW, build_shop

BOOKERS = 15


@pytest.fixture
def world(db_engine):
    return build_shop(db_engine, employees={"ana": ["banho", "tosa"]})


def test_an_added_service_and_bookings_racing_for_its_time_never_overlap(world):
    thor = book_at(world, "10:00")
    tokens = [slot_at(offer(world, pet_id=world.add_pet(name=f"Pet {i}"), employee="ana"),
                      "11:00").token for i in range(BOOKERS)]
    barrier = threading.Barrier(BOOKERS + 1)

    def edit():
        barrier.wait()
        result = visit_edit.edit_visit(world.engine, appointment_id=thor.id, now=NOW,
                                       actor="staff:1", add_service_ids=[world.services["tosa"]])
        return "edit" if result.fits else None

    def book(token):
        barrier.wait()
        try:
            booking.book(world.engine, token=token, now=NOW, secret=SECRET, origin="staff",
                         actor="staff:2")
            return "book"
        except CoreError:
            return None

    with ThreadPoolExecutor(max_workers=BOOKERS + 1) as pool:
        futures = [pool.submit(edit)] + [pool.submit(book, t) for t in tokens]
        winners = [f.result() for f in futures if f.result() is not None]

    assert len(winners) == 1
    with Session(world.engine) as s:
        items = s.exec(select(AppointmentItem).join(
            Appointment, Appointment.id == AppointmentItem.appointment_id).where(
            Appointment.status == "agendado").order_by(AppointmentItem.start)).all()
    for before, after in zip(items, items[1:], strict=False):
        assert before.end <= after.start  # Ana is never in two places
