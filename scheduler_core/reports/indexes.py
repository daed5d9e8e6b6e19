"""The indexes the report queries need, declared here (the read side owns them) on the other
packages' tables; ``scheduler_core.metadata`` imports this module so migrations see them.

Each serves one access path of the panels (bench/reports.py measures them):
- a shop's visits by start (every panel) and, covering, a shop's visits per tutor with
  status and start (Clientes: one ordered pass per tutor, no table lookups);
- a shop's bot bookings by creation (Robô);
- a shop's invoices by creation, due date and paid date (Financeiro bases);
- payments by date (received), tutors by registration (new tutors).
"""

from __future__ import annotations

from sqlalchemy import Index

from scheduler_core.agenda.models import Appointment
from scheduler_core.billing.models import Invoice, Payment
from scheduler_core.people.models import Tutor

APPT, INV, PAY, TUTOR = (Appointment.__table__.c, Invoice.__table__.c, Payment.__table__.c,
                          Tutor.__table__.c)

INDEXES = [
    Index("ix_report_appointment_shop_start", APPT.shop_id, APPT.start),
    Index("ix_report_appointment_shop_tutor_status", APPT.shop_id, APPT.tutor_id, APPT.status,
          APPT.start),
    Index("ix_report_appointment_shop_origin_created", APPT.shop_id, APPT.origin, APPT.created_at),
    Index("ix_report_invoice_shop_created", INV.shop_id, INV.created_at),
    Index("ix_report_invoice_shop_due", INV.shop_id, INV.due_date),
    Index("ix_report_invoice_shop_paid", INV.shop_id, INV.paid_at),
    Index("ix_report_payment_at", PAY.at),
    Index("ix_report_tutor_shop_created", TUTOR.shop_id, TUTOR.created_at),
]
