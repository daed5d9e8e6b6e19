"""The indexes the report queries need, declared here (the read side owns them) on the other
packages' tables; ``scheduler_core.metadata`` imports this module so migrations see them.

Each serves one access path of the panels (bench/reports.py measures them):
- covering, a shop's visits by start with the columns the panels group by (status, discount,
  origin, tutor: every panel reads the period from the index alone) and a visit's lines with
  what the panels sum (employee, service, price, minutes, plan), so the sums in SQL need no
  table lookups; covering, a shop's visits per tutor with status and start (Clientes: one
  ordered pass per tutor);
- a shop's bot bookings by creation (Robô);
- a shop's invoices by creation, due date and paid date (Financeiro bases);
- payments by date (received), tutors by registration (new tutors).
"""

from __future__ import annotations

from sqlalchemy import Index

from scheduler_core.agenda.models import Appointment, AppointmentItem
from scheduler_core.billing.models import Invoice, Payment
from scheduler_core.people.models import Tutor

APPT, ITEM, INV, PAY, TUTOR = (Appointment.__table__.c, AppointmentItem.__table__.c,
                                Invoice.__table__.c, Payment.__table__.c, Tutor.__table__.c)

INDEXES = [
    Index("ix_report_appointment_period", APPT.shop_id, APPT.start, APPT.status,
          APPT.discount_cents, APPT.origin, APPT.tutor_id),
    Index("ix_report_item_lines", ITEM.appointment_id, ITEM.position, ITEM.employee_id,
          ITEM.service_id, ITEM.price_cents, ITEM.duration_min, ITEM.in_plan),
    Index("ix_report_appointment_shop_tutor_status", APPT.shop_id, APPT.tutor_id, APPT.status,
          APPT.start),
    Index("ix_report_appointment_shop_origin_created", APPT.shop_id, APPT.origin, APPT.created_at),
    Index("ix_report_invoice_shop_created", INV.shop_id, INV.created_at),
    Index("ix_report_invoice_shop_due", INV.shop_id, INV.due_date),
    Index("ix_report_invoice_shop_paid", INV.shop_id, INV.paid_at),
    Index("ix_report_payment_at", PAY.at),
    Index("ix_report_tutor_shop_created", TUTOR.shop_id, TUTOR.created_at),
]
