"""Errors of the scheduling core.

Every failure a user can cause is a :class:`CoreError` with:

- ``code``: a stable machine string (the REST API returns it; bot actions and the admin
  branch on it);
- ``message``: a pt-BR sentence that can be shown as is to a tutor or to staff;
- ``http_status``: a hint for the REST API (404, 409, 410, 422...);
- ``details``: optional JSON-safe data (ids, the conflicting appointment, the reason of a refusal).

Entry points map them with ``err.to_dict()`` / ``err.http_status`` and never show a stack trace.

Codes (stable; add new ones, never rename):

=============================  ======  ==================================================
code                           status  meaning
=============================  ======  ==================================================
``not_found``                  404     pet, service, appointment... does not exist
``validation``                 422     bad input (dates, services of two segments...)
``slot_taken``                 409     the chosen time is no longer free
``token_invalid``              422     the slot token is forged, damaged or for another use
``token_expired``              410     the slot token is too old; search the times again
``notice_too_short``           422     too close to the appointment for this channel
``not_cancellable``            409     the appointment's status does not allow cancelling
``paid_not_cancellable_by_bot`` 409    paid appointment: the bot hands off to a human
``not_reschedulable``          409     the appointment's status does not allow moving it
``invalid_transition``         409     status change not allowed
``action_disabled``            403     the shop switched this bot action off
``pet_not_bookable``           422     pet data missing, breed/porte not accepted...
``idempotency_key_reused``     422     the idempotency key was used for another booking request
``busy``                       503     the database stayed busy (locked) after the retries
``checklist_incomplete``       409     a required checklist item of the entered stage is
                                       unanswered (``checklists.answers``)
=============================  ======  ==================================================
"""

from __future__ import annotations

from typing import Any


class CoreError(Exception):
    """Base class: a refusal with a stable ``code`` and a pt-BR ``message``."""

    code: str = "error"
    http_status: int = 400
    default_message: str = "Não foi possível concluir a operação."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        http_status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the REST API returns: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class NotFound(CoreError):
    code = "not_found"
    http_status = 404
    default_message = "Registro não encontrado."


class ValidationFailed(CoreError):
    code = "validation"
    http_status = 422
    default_message = "Dados inválidos."


class SlotTaken(CoreError):
    code = "slot_taken"
    http_status = 409
    default_message = (
        "Que pena, esse horário acabou de ser ocupado. Vamos escolher outro horário?"
    )


class PetBusy(CoreError):
    code = "pet_busy"
    http_status = 409
    default_message = "Este pet já tem um agendamento nesse horário."


class TokenInvalid(CoreError):
    code = "token_invalid"
    http_status = 422
    default_message = "Não reconheci o horário escolhido. Vamos buscar os horários de novo?"


class TokenExpired(TokenInvalid):
    code = "token_expired"
    http_status = 410
    default_message = (
        "O horário escolhido expirou porque passou muito tempo desde a busca. "
        "Vamos buscar os horários de novo?"
    )


class NoticeTooShort(CoreError):
    code = "notice_too_short"
    http_status = 422
    default_message = "Esse agendamento está muito próximo para ser alterado por aqui."


class NotCancellable(CoreError):
    code = "not_cancellable"
    http_status = 409
    default_message = "Este agendamento não pode ser cancelado."


class PaidNotCancellableByBot(NotCancellable):
    code = "paid_not_cancellable_by_bot"
    http_status = 409
    default_message = (
        "Este agendamento já foi pago e não pode ser cancelado por aqui. "
        "Vou chamar um atendente para te ajudar."
    )


class NotReschedulable(CoreError):
    code = "not_reschedulable"
    http_status = 409
    default_message = "Este agendamento não pode ser remarcado."


class InvalidTransition(CoreError):
    code = "invalid_transition"
    http_status = 409
    default_message = "Essa mudança de status não é permitida."


class RevertNeedsConfirmation(InvalidTransition):
    """A backward status move the person has not confirmed yet (the panel asks, then resends)."""

    code = "revert_needs_confirmation"
    default_message = "Confirme que deseja voltar o status deste agendamento."


class ActionDisabled(CoreError):
    code = "action_disabled"
    http_status = 403
    default_message = "Essa opção não está disponível por aqui. Fale com um atendente."


class PetNotBookable(CoreError):
    code = "pet_not_bookable"
    http_status = 422
    default_message = "Não é possível agendar para este pet no momento."


class IdempotencyKeyReused(CoreError):
    code = "idempotency_key_reused"
    http_status = 422
    default_message = (
        "Esta chave de idempotência já foi usada em outro pedido de agendamento (outro pet, "
        "horário ou opções). Para um novo agendamento, use uma chave nova."
    )


class Busy(CoreError):
    """The database stayed busy after the unit of work's retries (:mod:`scheduler_core.db.engine`):
    nothing was saved; the same request can simply be sent again."""

    code = "busy"
    http_status = 503
    default_message = "O sistema está ocupado agora. Tente de novo em alguns segundos."


# Aliases for readers who look for the names used in the token module's docs.
TokenError = TokenInvalid

__all__ = [
    "ActionDisabled",
    "Busy",
    "CoreError",
    "IdempotencyKeyReused",
    "InvalidTransition",
    "NotCancellable",
    "NotFound",
    "NotReschedulable",
    "NoticeTooShort",
    "PaidNotCancellableByBot",
    "PetNotBookable",
    "SlotTaken",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "ValidationFailed",
]
