"""A shop's notification settings per kind (text, on/off, template, moment) and its sending rules
(quiet hours, late-drop delay): read with defaults, saved with pt-BR validation
(:class:`~scheduler_core.kernel.errors.ValidationFailed`, ``details["fields"]``)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, select

from scheduler_core.kernel.clock import utc_now
from scheduler_core.kernel.errors import ValidationFailed
from scheduler_core.kernel.forms import Collector, flag, parse_hhmm, parse_int, text_of
from scheduler_core.notifications.models import NotificationPrefs, NotificationSetting
from scheduler_core.notifications.texts import (
    DEFAULT_TEMPLATE_LANGUAGE,
    DEFAULT_TEMPLATE_PARAMS,
    DEFAULT_TEXTS,
    KIND_TIMING,
    Kind,
    Timing,
    default_template_name,
    validate_template_params,
    validate_text,
)

TEMPLATE_NAME_MAX = 512


def _raw(values: Mapping, key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value)


def default_setting(shop_id: int, kind: Kind) -> NotificationSetting:
    """The setting a kind has until the shop saves one (not added to any session)."""
    _timing, hours, days, send_time = KIND_TIMING[kind]
    return NotificationSetting(
        shop_id=shop_id, kind=kind.value, enabled=True, text=DEFAULT_TEXTS[kind],
        template_name=default_template_name(kind), template_language=DEFAULT_TEMPLATE_LANGUAGE,
        template_params=list(DEFAULT_TEMPLATE_PARAMS[kind]), offset_hours=hours,
        offset_days=days, send_time=send_time)


def get_setting(session: Session, shop_id: int, kind: Kind | str) -> NotificationSetting:
    kind = Kind(kind)
    row = session.exec(select(NotificationSetting).where(
        NotificationSetting.shop_id == shop_id, NotificationSetting.kind == kind.value)).first()
    return row or default_setting(shop_id, kind)


def list_settings(session: Session, shop_id: int) -> list[NotificationSetting]:
    """Every kind's setting, in :class:`Kind` order (stored or default)."""
    stored = {row.kind: row for row in session.exec(
        select(NotificationSetting).where(NotificationSetting.shop_id == shop_id))}
    return [stored.get(kind.value) or default_setting(shop_id, kind) for kind in Kind]


def save_setting(session: Session, shop_id: int, kind: Kind | str,
                 values: Mapping) -> NotificationSetting:
    """Save one kind's form: ``text``, ``enabled`` (checkbox), ``template_name``,
    ``template_language``, ``template_params`` (names separated by commas or a list),
    ``offset_hours`` / ``offset_days`` / ``send_time`` where the kind has them. The caller
    commits."""
    try:
        kind = Kind(kind)
    except ValueError:
        raise ValidationFailed("Notificação desconhecida.",
                               details={"fields": {"kind": "Notificação desconhecida."}}) from None
    errs = Collector()
    text = str(values.get("text") or "").strip()
    if text_errors := validate_text(text):
        errs.add("text", " ".join(text_errors))
    template_name = text_of(values, "template_name", TEMPLATE_NAME_MAX)
    if template_name and not all(ch.isascii() and (ch.isalnum() or ch == "_")
                                 for ch in template_name):
        errs.add("template_name", "Nome do modelo: só letras minúsculas, números e _.")
    language = text_of(values, "template_language", 20) or DEFAULT_TEMPLATE_LANGUAGE
    raw_params = values.get("template_params") or []
    if isinstance(raw_params, str):
        raw_params = raw_params.split(",")
    params = [str(p).strip().strip("()").upper() for p in raw_params if str(p).strip()]
    if param_errors := validate_template_params(params):
        errs.add("template_params", " ".join(param_errors))
    timing = KIND_TIMING[kind][0]
    hours = days = None
    send_time = ""
    if timing in (Timing.HOURS_BEFORE, Timing.HOURS_AFTER):
        hours = errs.run("offset_hours", parse_int, _raw(values, "offset_hours"),
                         label="Horas", minimum=0, maximum=720)
    if timing in (Timing.DAYS_AFTER, Timing.DAYS_BEFORE):
        days = errs.run("offset_days", parse_int, _raw(values, "offset_days"),
                        label="Dias", minimum=0, maximum=365)
    if timing in (Timing.DAYS_AFTER, Timing.DAYS_BEFORE, Timing.ON_DATE):
        send_time = errs.run("send_time", parse_hhmm, _raw(values, "send_time"),
                             label="Horário de envio") or ""
    errs.check()
    row = session.exec(select(NotificationSetting).where(
        NotificationSetting.shop_id == shop_id, NotificationSetting.kind == kind.value)).first()
    if row is None:
        row = default_setting(shop_id, kind)
    row.text, row.enabled = text, flag(values, "enabled")
    row.template_name, row.template_language = template_name, language
    row.template_params = params
    if hours is not None:
        row.offset_hours = hours
    if days is not None:
        row.offset_days = days
    if send_time:
        row.send_time = send_time
    row.updated_at = utc_now()
    session.add(row)
    session.flush()
    return row


def get_prefs(session: Session, shop_id: int) -> NotificationPrefs:
    return session.get(NotificationPrefs, shop_id) or NotificationPrefs(shop_id=shop_id)


def save_prefs(session: Session, shop_id: int, values: Mapping) -> NotificationPrefs:
    """Save quiet hours (``quiet_start``, ``quiet_end``; equal = no quiet hours) and
    ``late_drop_hours`` (1–72). The caller commits."""
    errs = Collector()
    start = errs.run("quiet_start", parse_hhmm, _raw(values, "quiet_start"), label="Início")
    end = errs.run("quiet_end", parse_hhmm, _raw(values, "quiet_end"), label="Fim")
    late = errs.run("late_drop_hours", parse_int, _raw(values, "late_drop_hours"),
                    label="Atraso máximo (h)", minimum=1, maximum=72)
    errs.check()
    prefs = session.get(NotificationPrefs, shop_id) or NotificationPrefs(shop_id=shop_id)
    prefs.quiet_start, prefs.quiet_end, prefs.late_drop_hours = start, end, late
    session.add(prefs)
    session.flush()
    return prefs
