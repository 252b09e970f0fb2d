"""Passwords and secrets for staff accounts: argon2id hashes, the strength rule, random values.

Used by the login pages and by the command line (`python -m bot admin create`).
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; refusing megabytes keeps a login cheap to check
_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
# Checked when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """The message says what the password lacks; it never repeats the password."""


def check_strength(password: str, *, username: str = "") -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must be at most {MAX_LENGTH} characters long")
    if len(set(password)) < 5:
        raise WeakPassword("the password must use at least 5 different characters")
    if username and username.lower() in password.lower():
        raise WeakPassword("the password must not contain the username")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when password matches; with no hash (unknown user) it still spends the time."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A password shown once to an admin: 16 characters from an unambiguous alphabet."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def new_secret_token(prefix: str = "") -> tuple[str, str]:
    """A high-entropy token and the sha256 hex digest that is all we store of it."""
    token = prefix + secrets.token_urlsafe(32)
    return token, sha256(token)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
