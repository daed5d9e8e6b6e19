"""Staff accounts: passwords (argon2), operator PINs, sessions, login throttling, the owner.

Everything here takes an Engine or a Session and an explicit ``now`` (aware); no request objects.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, delete, select

from admin.models import LoginAttempt, Role, StaffSession, StaffUser
from admin.panel import auditing as audit
from scheduler_core.models import Employee, Shop

SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=4)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
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
    if not re.fullmatch(r"\d{6}", pin or ""):
        raise AccountError("O PIN de operador deve ter exatamente 6 dígitos.")


# --------------------------------------------------------------------------- owner


def _owner_password_file():
    from scheduler_core import settings as settings_mod

    return settings_mod.VAR / "owner_password"


def ensure_owner(engine: Engine) -> tuple[str, str | None]:
    """Make sure an owner account exists; create "dono" with a random password if none does.

    Returns ``(login, password)`` where ``password`` is the new password the first time and
    ``None`` afterwards. The new password is also written to ``var/owner_password``.
    """
    with Session(engine) as session:
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


def _failures_since(session: Session, column, value: str, since: datetime) -> int:
    return session.exec(
        select(func.count()).select_from(LoginAttempt).where(
            column == value, LoginAttempt.at >= since, LoginAttempt.success.is_(False)
        )
    ).one()


def authenticate(
    session: Session, *, login: str, password: str, ip: str, now: datetime
) -> StaffUser:
    """The active user for these credentials, or AccountError (pt-BR). Every try is recorded."""
    login = (login or "").strip().lower()
    at = now.astimezone(UTC)
    since = at - THROTTLE_WINDOW
    if (
        _failures_since(session, LoginAttempt.login, login, since) >= MAX_FAILURES_PER_LOGIN
        or _failures_since(session, LoginAttempt.ip, ip, since) >= MAX_FAILURES_PER_IP
    ):
        raise TooManyAttempts(
            "Muitas tentativas de login sem sucesso. Aguarde 15 minutos e tente de novo."
        )
    user = session.exec(select(StaffUser).where(StaffUser.login == login)).first()
    ok = user is not None and user.active and verify_secret(user.password_hash, password or "")
    session.add(LoginAttempt(login=login, ip=ip, at=at, success=ok))
    if not ok:
        session.commit()
        raise AccountError("Login ou senha incorretos.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_secret(password)
    return user


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
        session.delete(row)
        session.commit()
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    if at - row.last_seen > timedelta(minutes=1):
        row.last_seen = at
        session.add(row)
        session.commit()
    return row, user


def close_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    ).first()
    if row is not None:
        session.delete(row)
