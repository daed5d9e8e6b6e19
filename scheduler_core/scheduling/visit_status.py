"""Where a visit goes after it is booked (spec/scheduling.md §2.6): the status flow
Agendado → Confirmado → Recebido → Em atendimento → Finalizado → Entregue (:func:`set_status`)
and the two exits that free the capacity, :func:`cancel` (the bot never cancels a paid visit,
:func:`is_paid`) and :func:`mark_no_show`; both call :mod:`scheduler_core.plans.service` inside
their
write transaction. Conventions as in :mod:`scheduler_core.scheduling.booking`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler_core.agenda.history import change_status
from scheduler_core.agenda.labels import STATUS_LABELS
from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.billing.invoices import invoice_for_visit
from scheduler_core.billing.models import Invoice, InvoiceStatus, Payment
from scheduler_core.checklists.answers import require_complete, stages_between
from scheduler_core.db.engine import write_session
from scheduler_core.kernel.channels import Channel
from scheduler_core.kernel.clock import from_utc_naive, to_utc
from scheduler_core.kernel.errors import (
    ActionDisabled,
    InvalidTransition,
    NotCancellable,
    NoticeTooShort,
    PaidNotCancellableByBot,
    RevertNeedsConfirmation,
    ValidationFailed,
)
from scheduler_core.plans import service as plans
from scheduler_core.scheduling.booking_support import (
    audit_appointment,
    check_owner,
    get_appointment,
    hours_delta,
    require_aware,
    valid_channel,
)
from scheduler_core.scheduling.notice import change_refusal
from scheduler_core.scheduling.snapshot import get_bot_settings

S = AppointmentStatus

#: The normal forward path of a visit (spec/scheduling.md §2.6).
FLOW: tuple[str, ...] = (
    S.AGENDADO,
    S.CONFIRMADO,
    S.RECEBIDO,
    S.EM_ATENDIMENTO,
    S.FINALIZADO,
    S.ENTREGUE,
)
#: Statuses the tutor may still move or cancel (through the bot).
OPEN_STATUSES = frozenset({S.AGENDADO, S.CONFIRMADO})
#: Statuses that end a visit for good.
CLOSED_STATUSES = frozenset({S.CANCELADO, S.NAO_COMPARECEU})


@dataclass(frozen=True)
class Move:
    """A status a visit can be moved to from where it is: ``backward`` moves need the revert
    permission and a confirmation; ``stages`` are the checklist stages a forward move enters."""

    status: str
    label: str
    backward: bool
    stages: tuple[str, ...]


def is_backward(current: str, target: str) -> bool:
    """``target`` comes before ``current`` on the flow (a revert)."""
    return current in FLOW and target in FLOW and FLOW.index(target) < FLOW.index(current)


def moves_from(current: str, *, may_revert: bool) -> list[Move]:
    """Every status :func:`set_status` accepts from ``current``, in flow order: forward ones
    (skipping allowed) and, with ``may_revert``, the earlier ones. None from a closed visit."""
    if current not in FLOW:
        return []
    return [
        Move(status=s, label=STATUS_LABELS[s], backward=is_backward(current, s),
             stages=tuple(stages_between(current, s, FLOW)))
        for s in FLOW
        if s != current and (may_revert or not is_backward(current, s))
    ]

def is_paid(session: Session, appointment_id: int) -> bool:
    """An invoice of the appointment is paid, or any (not reversed) payment was made on one."""
    invoice_ids = [
        iid
        for (iid,) in session.execute(
            select(Invoice.id).where(
                Invoice.appointment_id == appointment_id,
                Invoice.status != InvoiceStatus.CANCELADA,
            )
        ).all()
    ]
    paid_invoice = session.execute(
        select(Invoice.id).where(
            Invoice.appointment_id == appointment_id, Invoice.status == InvoiceStatus.PAGA
        )
    ).first()
    if paid_invoice is not None:
        return True
    if not invoice_ids:
        return False
    payment = session.execute(
        select(Payment.id).where(
            Payment.invoice_id.in_(invoice_ids),
            Payment.reversed_at.is_(None),
            Payment.amount_cents > 0,
        )
    ).first()
    return payment is not None


def cancel(
    engine: Engine,
    *,
    appointment_id: int,
    now: datetime,
    actor: str,
    channel: str,
    reason: str = "",
    pet_id: int | None = None,
    tutor_id: int | None = None,
) -> Appointment:
    """Cancel an appointment; its professional(s) and resources are free at once.

    Bot channel: only Agendado/Confirmado in the future, the action enabled, at least
    ``cancel_min_notice_hours`` ahead (``notice_too_short``), and never a paid appointment
    (``paid_not_cancellable_by_bot``: the bot hands off to a human). Staff channel: any status
    before Finalizado; permission checks (cancel, "cancel with a paid invoice", "cancel after
    started") are the caller's. The audit entry records whether the cancellation was inside the
    minimum notice (``late``), which decides plan-session consumption. ``pet_id`` /
    ``tutor_id``, when given, must own the appointment (else ``not_found``).
    """
    require_aware(now)
    channel = valid_channel(channel)
    with write_session(engine, expire_on_commit=False) as session:
        appt = get_appointment(session, appointment_id, lock=True)
        check_owner(appt, pet_id=pet_id, tutor_id=tutor_id)
        label = STATUS_LABELS.get(appt.status, appt.status)
        if appt.status == S.CANCELADO:
            raise NotCancellable("Este agendamento já está cancelado.")
        if appt.status == S.NAO_COMPARECEU:
            raise NotCancellable("Este agendamento já foi marcado como falta (não compareceu).")
        if appt.status in (S.FINALIZADO, S.ENTREGUE):
            raise NotCancellable(
                f"Este agendamento já foi {label.lower()} e não pode ser cancelado."
            )
        settings = get_bot_settings(session, appt.shop_id)
        start = from_utc_naive(appt.start, "UTC")
        notice_hours = settings.cancel_min_notice_hours
        late = start - now < hours_delta(notice_hours)
        paid = is_paid(session, appt.id)
        if channel == Channel.BOT:
            if not settings.cancel_enabled:
                raise ActionDisabled(
                    "O cancelamento pelo WhatsApp não está disponível. Vou chamar um atendente."
                )
            if appt.status not in OPEN_STATUSES:
                raise NotCancellable(
                    f"Este agendamento está com status {label} e não pode ser cancelado por aqui."
                )
            if paid:
                raise PaidNotCancellableByBot()
            refusal = change_refusal(settings, "cancelar", start, now)
            if refusal is not None:
                raise NoticeTooShort(refusal)
        old_status = appt.status
        change_status(session, appt, S.CANCELADO, now, actor)
        appt.cancelled_at = to_utc(now)
        appt.cancel_reason = (reason or "").strip()
        session.add(appt)
        plans.release(session, appt, late=late, now=now, actor=actor)
        audit_appointment(
            session,
            appt,
            "appointment.cancel",
            actor=actor,
            now=now,
            details={
                "channel": channel,
                "from_status": old_status,
                "reason": appt.cancel_reason,
                "late": late,
                "paid": paid,
                "pet_plan_id": appt.pet_plan_id,
            },
        )
        session.flush()
        return appt


def mark_no_show(
    engine: Engine, *, appointment_id: int, now: datetime, actor: str
) -> Appointment:
    """Mark "Não compareceu" (only from Agendado/Confirmado); frees the capacity."""
    require_aware(now)
    with write_session(engine, expire_on_commit=False) as session:
        appt = get_appointment(session, appointment_id, lock=True)
        if appt.status not in OPEN_STATUSES:
            raise InvalidTransition(
                "Só é possível marcar falta em agendamentos com status Agendado ou Confirmado.",
                details={"from": appt.status, "to": S.NAO_COMPARECEU},
            )
        old_status = appt.status
        change_status(session, appt, S.NAO_COMPARECEU, now, actor)
        session.add(appt)
        plans.forfeit(session, appt, now=now, actor=actor)
        audit_appointment(
            session,
            appt,
            "appointment.no_show",
            actor=actor,
            now=now,
            details={"from_status": old_status, "pet_plan_id": appt.pet_plan_id},
        )
        session.flush()
        return appt


def set_status(
    engine: Engine,
    *,
    appointment_id: int,
    status: str,
    now: datetime,
    actor: str,
    allow_revert: bool = False,
    confirmed_revert: bool = False,
    reason: str = "",
) -> Appointment:
    """Move a visit along Agendado → Confirmado → Recebido → Em atendimento → Finalizado →
    Entregue; reaching Finalizado (or Entregue) makes the visit's invoice
    (:func:`scheduler_core.billing.invoices.invoice_for_visit`). Skipping forward is allowed
    (Agendado → Recebido); going back needs
    ``allow_revert=True`` (a permission the caller checked) and ``confirmed_revert=True`` (the
    person confirmed it; else ``revert_needs_confirmation``); the audit entry marks it
    ``revert``. Setting the current status again is
    a no-op. A forward move needs the required checklist items of the stages it enters
    (``checklist_incomplete``, :func:`scheduler_core.checklists.answers.require_complete`).
    "cancelado" is delegated to :func:`cancel` (staff channel) and "nao_compareceu" to
    :func:`mark_no_show`. Cancelled and no-show visits never change status again.
    """
    require_aware(now)
    target = str(status)
    if target == S.CANCELADO:
        return cancel(
            engine, appointment_id=appointment_id, now=now, actor=actor, channel="staff",
            reason=reason,
        )
    if target == S.NAO_COMPARECEU:
        return mark_no_show(engine, appointment_id=appointment_id, now=now, actor=actor)
    if target not in FLOW:
        raise ValidationFailed("Status inválido.", details={"status": target})
    with write_session(engine, expire_on_commit=False) as session:
        appt = get_appointment(session, appointment_id, lock=True)
        current = appt.status
        if current in CLOSED_STATUSES:
            raise InvalidTransition(
                f"Este agendamento está {STATUS_LABELS[current].lower()} e não pode mudar de "
                "status.",
                details={"from": current, "to": target},
            )
        if current == target:
            return appt
        backward = is_backward(current, target)
        if backward and not allow_revert:
            raise InvalidTransition(
                f"Não é possível voltar o status de {STATUS_LABELS[current]} para "
                f"{STATUS_LABELS[target]}.",
                details={"from": current, "to": target},
            )
        if backward and not confirmed_revert:
            raise RevertNeedsConfirmation(
                f"Voltar o status de {STATUS_LABELS[current]} para {STATUS_LABELS[target]}? "
                "Confirme para continuar.",
                details={"from": current, "to": target},
            )
        require_complete(session, appt, target, FLOW)
        change_status(session, appt, target, now, actor)
        session.add(appt)
        if target in (S.FINALIZADO, S.ENTREGUE):
            # TecPet bills at the visit: the invoice is made when the visit is finalised
            # (billing.invoices docstring); idempotent, so Finalizado → Entregue adds nothing.
            session.flush()
            invoice_for_visit(session, appt.id, now, actor=actor)
        audit_appointment(
            session,
            appt,
            "appointment.status",
            actor=actor,
            now=now,
            details={
                "from": current,
                "to": target,
                "revert": backward,
            },
        )
        session.flush()
        return appt
