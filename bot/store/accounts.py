"""AccountStore: every query about staff accounts, one method each.

It shares the OutcomeStore's engine and its one `_session()` (so there is one kind of session and
one pool per database). Methods take and return plain values, never ORM objects.
Passwords arrive already hashed: hashing is bot/web/staff/passwords.py's job.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from . import validation as check
from .account_models import ROLES, ApiToken, AuditEntry, LoginThrottle, StaffSession, User
from .errors import InvalidValue, StoreError
from .models import utcnow
from .outcome_store import OutcomeStore

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
USER_FIELDS = ("display_name", "role", "language", "disabled", "password_hash",
               "totp_secret", "totp_enabled", "totp_last_step")


class UnknownUser(StoreError):
    """No user has the given id or name."""


class UsernameTaken(InvalidValue):
    """The username belongs to someone already."""


def normalise_username(raw: str) -> str:
    """Usernames compare case-insensitively and without surrounding spaces."""
    return raw.strip().lower() if isinstance(raw, str) else raw


def check_username(raw: Any) -> str:
    username = normalise_username(check.text("username", raw, max_length=64))
    if not USERNAME.fullmatch(username):
        raise InvalidValue(
            "username must be 2-64 characters: lowercase letters a-z, digits, '.', '_' or '-', "
            f"starting with a letter or digit; got {raw!r}"
        )
    return username


class AccountStore:
    def __init__(self, store: OutcomeStore) -> None:
        self._session = store._session  # the one place sessions are opened

    # Users

    def create_user(
        self, *, username: str, display_name: str, password_hash: str, role: str, language: str
    ) -> dict[str, Any]:
        values = {
            "username": check_username(username),
            "display_name": _display_name(display_name, username),
            "password_hash": check.text("password_hash", password_hash, max_length=255),
            "role": check.choice("role", role, ROLES),
            "language": check.choice("language", language, check.LANGUAGES),
        }
        try:
            with self._session(write=True) as session:
                if session.scalar(select(User.id).where(User.username == values["username"])):
                    raise UsernameTaken(f"the username {values['username']!r} is already taken")
                row = User(**values)
                session.add(row)
                session.flush()
                return _user_dict(row)
        except IntegrityError:  # a concurrent insert of the same name won
            raise UsernameTaken(f"the username {values['username']!r} is already taken") from None

    def get_user(self, user_id: int) -> dict[str, Any] | None:
        with self._session() as session:
            row = session.get(User, user_id)
            return None if row is None else _user_dict(row)

    def get_user_by_username(self, username: str) -> dict[str, Any] | None:
        name = normalise_username(check.text("username", username, max_length=255))
        with self._session() as session:
            row = session.scalars(select(User).where(User.username == name)).first()
            return None if row is None else _user_dict(row)

    def list_users(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_user_dict(row) for row in session.scalars(select(User).order_by(User.username))]

    def count_users(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count(User.id))) or 0)

    def update_user(self, user_id: int, **changes: Any) -> dict[str, Any]:
        """Change the named fields; disabling a user or changing the password ends their
        browser sessions (other than `keep_session`, the one making the change)."""
        keep_session = changes.pop("keep_session", None)
        unknown = set(changes) - set(USER_FIELDS)
        if unknown:
            raise InvalidValue(f"cannot change {', '.join(sorted(unknown))} of a user")
        if "role" in changes:
            check.choice("role", changes["role"], ROLES)
        if "language" in changes:
            check.choice("language", changes["language"], check.LANGUAGES)
        if "display_name" in changes:
            changes["display_name"] = _display_name(changes["display_name"], "")
        with self._session(write=True) as session:
            row = session.get(User, user_id)
            if row is None:
                raise UnknownUser(f"no user with id {user_id}")
            for name, value in changes.items():
                setattr(row, name, value)
            if changes.get("disabled") is True or "password_hash" in changes:
                query = delete(StaffSession).where(StaffSession.user_id == user_id)
                if keep_session is not None:
                    query = query.where(StaffSession.id_hash != keep_session)
                session.execute(query.execution_options(synchronize_session=False))
            session.flush()
            return _user_dict(row)

    # Browser sessions

    def create_session(
        self, *, id_hash: str, user_id: int, expires_at: datetime, client_address: str | None,
        second_factor_pending: bool = False,
    ) -> None:
        with self._session(write=True) as session:
            session.add(StaffSession(
                id_hash=id_hash, user_id=user_id, expires_at=expires_at,
                client_address=_address(client_address),
                second_factor_pending=second_factor_pending,
            ))

    def get_session(self, id_hash: str, *, now: datetime) -> dict[str, Any] | None:
        """The live session and its user, or None (unknown, expired, or the user disabled)."""
        query = (
            select(StaffSession, User)
            .join(User, User.id == StaffSession.user_id)
            .where(StaffSession.id_hash == id_hash, StaffSession.expires_at > now,
                   User.disabled.is_(False))
        )
        with self._session() as session:
            found = session.execute(query).first()
            if found is None:
                return None
            row, user = found
            return {
                "id_hash": row.id_hash,
                "created_at": row.created_at,
                "last_seen_at": row.last_seen_at,
                "expires_at": row.expires_at,
                "second_factor_pending": row.second_factor_pending,
                "user": _user_dict(user),
            }

    def touch_session(self, id_hash: str, *, now: datetime, expires_at: datetime) -> None:
        with self._session(write=True) as session:
            session.execute(
                update(StaffSession).where(StaffSession.id_hash == id_hash)
                .values(last_seen_at=now, expires_at=expires_at)
            )

    def complete_second_factor(self, id_hash: str, *, expires_at: datetime) -> None:
        with self._session(write=True) as session:
            session.execute(
                update(StaffSession).where(StaffSession.id_hash == id_hash)
                .values(second_factor_pending=False, expires_at=expires_at)
            )

    def delete_session(self, id_hash: str) -> None:
        with self._session(write=True) as session:
            session.execute(delete(StaffSession).where(StaffSession.id_hash == id_hash))

    def delete_expired_sessions(self, *, now: datetime) -> int:
        with self._session(write=True) as session:
            return session.execute(
                delete(StaffSession).where(StaffSession.expires_at <= now)
            ).rowcount

    def count_sessions(self, user_id: int) -> int:
        with self._session() as session:
            query = select(func.count()).where(StaffSession.user_id == user_id)
            return int(session.scalar(query.select_from(StaffSession)) or 0)

    # API tokens

    def create_api_token(self, *, user_id: int, name: str, token_hash: str) -> dict[str, Any]:
        name = check.text("name", name, max_length=100).strip()
        if not name:
            raise InvalidValue("the token needs a name, so you know later what it is for")
        with self._session(write=True) as session:
            row = ApiToken(user_id=user_id, name=name, token_hash=token_hash)
            session.add(row)
            session.flush()
            return _token_dict(row)

    def user_for_api_token(self, token_hash: str, *, now: datetime) -> dict[str, Any] | None:
        """The owner of a live token (not revoked, user not disabled); records its use."""
        query = (
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None),
                   User.disabled.is_(False))
        )
        with self._session(write=True) as session:
            found = session.execute(query).first()
            if found is None:
                return None
            token, user = found
            token.last_used_at = now
            return {**_user_dict(user), "token_id": token.id, "token_name": token.name}

    def list_api_tokens(self, user_id: int) -> list[dict[str, Any]]:
        query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        with self._session() as session:
            return [_token_dict(row) for row in session.scalars(query)]

    def revoke_api_token(self, *, user_id: int, token_id: int, now: datetime) -> dict[str, Any]:
        with self._session(write=True) as session:
            row = session.get(ApiToken, token_id)
            if row is None or row.user_id != user_id:
                raise InvalidValue(f"you have no API token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = now
            session.flush()
            return _token_dict(row)

    # Audit log

    def add_audit(
        self, *, user_id: int | None, username: str | None, action: str, target: str,
        detail: dict[str, Any] | None, client_address: str | None,
    ) -> None:
        with self._session(write=True) as session:
            session.add(AuditEntry(
                user_id=user_id, username=username, action=action[:64], target=target[:255],
                detail=check.details(detail) if detail else None,
                client_address=_address(client_address),
            ))

    def list_audit(
        self, *, username: str | None = None, action: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
        limit: int = 50, offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Audit rows newest first; `action` matches exactly or as a prefix ending in '.'."""
        check.page(limit, offset)
        query = _audit_filtered(select(AuditEntry), username, action, since, until)
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        with self._session() as session:
            rows = session.scalars(query.limit(limit).offset(offset))
            return [_audit_dict(row) for row in rows]

    def count_audit(
        self, *, username: str | None = None, action: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
    ) -> int:
        query = _audit_filtered(select(func.count(AuditEntry.id)), username, action, since, until)
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def audit_actions(self) -> list[str]:
        with self._session() as session:
            query = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
            return list(session.scalars(query))

    # Login throttles

    def throttles(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        with self._session() as session:
            rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
            return {row.key: _throttle_dict(row) for row in rows}

    def record_failure(self, key: str, *, now: datetime, window: timedelta,
                       block_for: Any) -> dict[str, Any]:
        """Count one failed sign-in for key; `block_for(failures) -> timedelta | None` says how
        long the key must wait now. Failures older than `window` are forgotten."""
        with self._session(write=True) as session:
            row = session.get(LoginThrottle, key)
            if row is None:
                row = LoginThrottle(key=key, failures=0, last_failure_at=now)
                session.add(row)
            elif row.last_failure_at <= now - window and (
                row.blocked_until is None or row.blocked_until <= now
            ):
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            wait = block_for(row.failures)
            row.blocked_until = None if wait is None else now + wait
            session.flush()
            return _throttle_dict(row)

    def clear_throttle(self, key: str) -> None:
        with self._session(write=True) as session:
            session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _audit_filtered(query, username, action, since, until):  # type: ignore[no-untyped-def]
    if username:
        query = query.where(AuditEntry.username == normalise_username(username))
    if action:
        if action.endswith("."):
            query = query.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query


def _display_name(value: Any, fallback: str) -> str:
    name = check.text("display_name", value, max_length=255).strip()
    if not name and not fallback:
        raise InvalidValue("display name must not be empty")
    return name or fallback.strip()


def _address(value: str | None) -> str | None:
    return None if value is None else value[:64]


def _user_dict(row: User) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "password_hash": row.password_hash,
        "role": row.role,
        "language": row.language,
        "totp_secret": row.totp_secret,
        "totp_enabled": row.totp_enabled,
        "totp_last_step": row.totp_last_step,
        "disabled": row.disabled,
        "created_at": row.created_at,
    }


def _token_dict(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "name": row.name,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }


def _audit_dict(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "user_id": row.user_id,
        "username": row.username,
        "action": row.action,
        "target": row.target,
        "detail": row.detail,
        "client_address": row.client_address,
    }


def _throttle_dict(row: LoginThrottle) -> dict[str, Any]:
    return {
        "key": row.key,
        "failures": row.failures,
        "last_failure_at": row.last_failure_at,
        "blocked_until": row.blocked_until,
    }


__all__ = ["AccountStore", "UnknownUser", "UsernameTaken", "check_username", "utcnow"]
