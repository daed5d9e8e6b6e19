"""Staff accounts: passwords (argon2), operator PINs, sessions, login throttling, the owner.

Everything here takes an Engine or a Session and an explicit ``now`` (aware); no request objects.

Login throttling (decisions):

- Failures lock a **(login, address)** pair, not the login: someone elsewhere typing the
  owner's login wrongly cannot lock the owner out. After :data:`FREE_FAILURES` failures in a row
  the pair waits :data:`FIRST_LOCK`, and each further failure doubles the wait up to
  :data:`MAX_LOCK`; a success clears the pair and failures older than :data:`FAILURE_MEMORY`
  are forgotten. Attempts refused during a wait are not recorded (they cost nothing and do not
  lengthen it).
- One address failing for many logins (:data:`MAX_FAILURES_PER_IP` in :data:`THROTTLE_WINDOW`)
  is refused for every login: password spraying from one place.
- The address is the one :func:`app.http_security.client_address` gives (X-Forwarded-For only
  from TRUSTED_PROXIES). Left open: guessing one login from thousands of addresses is slowed only
  by the argon2 cost of each try; people sharing one address (a shop's Wi-Fi) share its locks;
  tries sent at the same moment are counted against the failures recorded when each starts, so
  a burst gets at most one extra try per worker thread (a handful) before the first wait.
- An unknown or disabled login costs the same argon2 verification as a wrong password (against
  a dummy hash), so the answer time does not tell which logins exist.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, delete, select

from admin.models import LoginAttempt, Role, StaffSession, StaffUser
from scheduler_core.audit import log as audit
from scheduler_core.db.engine import locked_session, write_session
from scheduler_core.kernel.clock import to_utc
from scheduler_core.kernel.errors import Busy
from scheduler_core.shop.models import Employee, Shop
from scheduler_core.shop.service import OPERATOR_PIN_FORMAT, is_operator_pin

SESSION_LIFETIME = timedelta(hours=12)
log = logging.getLogger(__name__)
IDLE_TIMEOUT = timedelta(hours=4)
FREE_FAILURES = 5  # per (login, address) before the first wait
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=24)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_IP = 20
OWNER_LOGIN = "dono"

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A refusal with a pt-BR message for the staff member."""


class TooManyAttempts(AccountError):
    pass


# --------------------------------------------------------------------------- hashing


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise AccountError("A senha deve ter pelo menos 8 caracteres.")


def check_pin_format(pin: str) -> None:
    if not is_operator_pin(pin):
        raise AccountError(OPERATOR_PIN_FORMAT)


# --------------------------------------------------------------------------- owner


def _owner_password_file():
    from scheduler_core.kernel import settings as settings_mod

    return settings_mod.VAR / "owner_password"


def ensure_owner(engine: Engine) -> tuple[str, str | None]:
    """Make sure an owner account exists; create "dono" with a random password if none does.

    Returns ``(login, password)`` where ``password`` is the new password the first time and
    ``None`` afterwards. The new password is also written to ``var/owner_password``.
    """
    with locked_session(engine) as session:
        owner = session.exec(
            select(StaffUser).where(StaffUser.role == Role.DONO).order_by(StaffUser.id)
        ).first()
        if owner is not None:
            return owner.login, None
        shop = session.exec(select(Shop).order_by(Shop.id)).first()
        password = secrets.token_urlsafe(9)
        login = OWNER_LOGIN
        if session.exec(select(StaffUser).where(StaffUser.login == login)).first():
            login = f"{OWNER_LOGIN}{secrets.randbelow(1000)}"
        owner = StaffUser(
            shop_id=shop.id if shop else None,
            login=login,
            name="Dono(a)",
            role=Role.DONO,
            password_hash=hash_secret(password),
            must_change_password=False,
        )
        session.add(owner)
        session.flush()
        audit.record(
            session, actor="system", action="staff.owner_created", entity="staffuser",
            entity_id=owner.id, shop_id=owner.shop_id,
        )
        session.commit()
    path = _owner_password_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"login: {login}\nsenha: {password}\n")
    path.chmod(0o600)
    return login, password


# --------------------------------------------------------------------------- staff users


def create_user(
    session: Session,
    *,
    login: str,
    password: str,
    role: str,
    name: str = "",
    shop_id: int | None = None,
    employee_id: int | None = None,
    pin: str | None = None,
) -> StaffUser:
    login = (login or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9._-]{3,40}", login):
        raise AccountError(
            "O login deve ter de 3 a 40 caracteres: letras minúsculas, números, ponto, hífen."
        )
    if role not in set(Role):
        raise AccountError("Escolha um perfil válido.")
    check_password_strength(password)
    if session.exec(select(StaffUser).where(StaffUser.login == login)).first():
        raise AccountError("Já existe uma conta com esse login.")
    if employee_id is not None and session.get(Employee, employee_id) is None:
        raise AccountError("Funcionário não encontrado.")
    user = StaffUser(
        login=login, name=name.strip() or login, role=role, shop_id=shop_id,
        employee_id=employee_id, password_hash=hash_secret(password),
    )
    if pin:
        check_pin_format(pin)
        user.pin_hash = hash_secret(pin)
    session.add(user)
    session.flush()
    return user


def change_password(session: Session, user: StaffUser, current: str, new: str) -> None:
    if not verify_secret(user.password_hash, current):
        raise AccountError("A senha atual não confere.")
    check_password_strength(new)
    user.password_hash = hash_secret(new)
    user.must_change_password = False
    session.add(user)


def set_pin(session: Session, user: StaffUser, password: str, pin: str) -> None:
    if not verify_secret(user.password_hash, password):
        raise AccountError("A senha atual não confere.")
    check_pin_format(pin)
    user.pin_hash = hash_secret(pin)
    session.add(user)


def check_pin(user: StaffUser, pin: str | None) -> None:
    """Refuse a sensitive action unless ``pin`` is the user's operator PIN."""
    if not user.pin_hash:
        raise AccountError(
            "Defina seu PIN de operador em “Minha conta” antes de fazer ações sensíveis."
        )
    if not pin:
        raise AccountError("Digite seu PIN de operador para confirmar esta ação.")
    if not verify_secret(user.pin_hash, pin.strip()):
        raise AccountError("PIN de operador incorreto.")


# --------------------------------------------------------------------------- login


@cache
def _dummy_hash() -> str:
    """An argon2 hash of nothing anybody knows, verified for unknown logins."""
    return _hasher.hash(secrets.token_urlsafe(24))


def _wait_message(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    unit = "minuto" if minutes == 1 else "minutos"
    return (f"Muitas tentativas de login sem sucesso. Aguarde {minutes} {unit} "
            "e tente de novo.")


def lock_wait(session: Session, *, login: str, ip: str, now: datetime) -> timedelta | None:
    """How long this (login, address) must still wait before trying again, or None."""
    at = now.astimezone(UTC)
    rows = session.exec(
        select(LoginAttempt.at, LoginAttempt.success)
        .where(LoginAttempt.login == login, LoginAttempt.ip == ip,
               LoginAttempt.at >= at - FAILURE_MEMORY)
        .order_by(col(LoginAttempt.at).desc())
        .limit(FREE_FAILURES + 10)
    ).all()
    failures = []
    for when, success in rows:
        if success:
            break
        failures.append(when)
    waits = []
    if len(failures) >= FREE_FAILURES:
        lock = min(FIRST_LOCK * 2 ** (len(failures) - FREE_FAILURES), MAX_LOCK)
        waits.append(to_utc(failures[0]) + lock - at)
    from_ip = session.exec(
        select(LoginAttempt.at)
        .where(LoginAttempt.ip == ip, LoginAttempt.at >= at - THROTTLE_WINDOW,
               LoginAttempt.success.is_(False))
        .order_by(col(LoginAttempt.at).desc())
        .limit(MAX_FAILURES_PER_IP)
    ).all()
    if len(from_ip) >= MAX_FAILURES_PER_IP:
        waits.append(to_utc(from_ip[-1]) + THROTTLE_WINDOW - at)
    wait = max(waits, default=timedelta(0))
    return wait if wait > timedelta(0) else None


def check_credentials(user: StaffUser | None, password: str) -> bool:
    """The password check, with the same argon2 cost whether the login exists or not."""
    stored = user.password_hash if user is not None and user.password_hash else ""
    ok = verify_secret(stored or _dummy_hash(), password or "")
    return ok and bool(stored) and user.active


def _normal_login(login: str) -> str:
    return (login or "").strip().lower()


def authenticate(
    session: Session, *, login: str, password: str, ip: str, now: datetime
) -> StaffUser:
    """The active user for these credentials, or AccountError (pt-BR). Every try is recorded
    (committed on failure). See :func:`sign_in` for the request path."""
    login = _normal_login(login)
    if (wait := lock_wait(session, login=login, ip=ip, now=now)) is not None:
        raise TooManyAttempts(_wait_message(wait))
    user = session.exec(select(StaffUser).where(StaffUser.login == login)).first()
    ok = check_credentials(user, password)
    session.add(LoginAttempt(login=login, ip=ip, at=now.astimezone(UTC), success=ok))
    if not ok:
        session.commit()
        raise AccountError("Login ou senha incorretos.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_secret(password)
    return user


def sign_in(
    engine: Engine, *, login: str, password: str, ip: str, now: datetime, user_agent: str = ""
) -> tuple[StaffUser, NewSession]:
    """Check the credentials and open a session: the login form's whole use case.

    Reads first, verifies the password with no transaction open (argon2 takes a few hundred
    milliseconds; no write lock is held meanwhile), then records the attempt and, on success,
    the session and the audit entry in one write transaction. Blocking: run it off the event
    loop.
    """
    login = _normal_login(login)
    with Session(engine, expire_on_commit=False) as session:
        wait = lock_wait(session, login=login, ip=ip, now=now)
        user = None if wait else session.exec(
            select(StaffUser).where(StaffUser.login == login)).first()
    if wait is not None:
        raise TooManyAttempts(_wait_message(wait))
    ok = check_credentials(user, password)
    with write_session(engine, expire_on_commit=False) as session:
        session.add(LoginAttempt(login=login, ip=ip, at=now.astimezone(UTC), success=ok))
        if ok:
            user = session.get(StaffUser, user.id)
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_secret(password)
            opened = open_session(session, user, now=now, ip=ip, user_agent=user_agent)
            audit.record(session, at=now, actor=f"staff:{user.id}", action="staff.login",
                         entity="staffuser", entity_id=user.id, shop_id=user.shop_id)
    if not ok:
        raise AccountError("Login ou senha incorretos.")
    return user, opened


@dataclass
class NewSession:
    token: str
    row: StaffSession


def open_session(
    session: Session, user: StaffUser, *, now: datetime, ip: str = "", user_agent: str = ""
) -> NewSession:
    token = secrets.token_urlsafe(32)
    at = now.astimezone(UTC)
    # Housekeeping: forget expired sessions and old login attempts.
    session.exec(delete(StaffSession).where(StaffSession.expires_at < at))
    session.exec(delete(LoginAttempt).where(LoginAttempt.at < at - timedelta(days=7)))
    row = StaffSession(
        token_hash=_token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        created_at=at, last_seen=at, expires_at=at + SESSION_LIFETIME, ip=ip,
        user_agent=user_agent[:200],
    )
    session.add(row)
    session.flush()
    return NewSession(token=token, row=row)


def load_session(
    session: Session, token: str | None, *, now: datetime
) -> tuple[StaffSession, StaffUser] | None:
    if not token:
        return None
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    at = now.astimezone(UTC)
    if at >= row.expires_at or at - row.last_seen >= IDLE_TIMEOUT:
        _write_session_row(session, row.id, None)
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    if at - row.last_seen > timedelta(minutes=1):
        _write_session_row(session, row.id, at)
        set_committed_value(row, "last_seen", at)
    return row, user


def _write_session_row(session: Session, row_id: int, last_seen: datetime | None) -> None:
    """Touch (``last_seen``) or, with None, delete a panel session row in its own short write
    transaction: ``session`` may be a read-only one. A busy database skips the touch (it is
    done on a later request); a session that expired is gone either way."""
    try:
        with write_session(session.get_bind()) as w:
            if last_seen is None:
                w.exec(delete(StaffSession).where(col(StaffSession.id) == row_id))
            else:
                w.exec(update(StaffSession).where(col(StaffSession.id) == row_id)
                       .values(last_seen=last_seen))
    except Busy:
        log.warning("panel session %s not touched: database busy", row_id)


def close_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    ).first()
    if row is not None:
        session.delete(row)
