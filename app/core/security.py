"""Passwords, JWTs, one-time codes and opaque tokens.

Password hashing is CPU-bound (argon2 by design), so the async helpers run it
in a worker thread to keep the event loop free.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

# Argon2 for new hashes; bcrypt so hashes imported from the Node original
# ($2a$/$2b$, cost 10) still verify and are upgraded on the next sign-in.
password_hash = PasswordHash((Argon2Hasher(), BcryptHasher()))

# Verified when an email is unknown so that timing does not reveal accounts.
_DUMMY_HASH = password_hash.hash("videodesk-dummy-password")

JWT_ALGORITHM = "HS256"


def hash_password_sync(password: str) -> str:
    return password_hash.hash(password)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(password_hash.hash, password)


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Return ``(valid, new_hash)``; ``new_hash`` is set when the stored hash should be upgraded."""
    if not hashed:
        await asyncio.to_thread(password_hash.verify, password, _DUMMY_HASH)
        return False, None
    try:
        return await asyncio.to_thread(password_hash.verify_and_update, password, hashed)
    except Exception:  # an unknown or corrupt hash format is a failed login, not a 500
        return False, None


def create_access_token(
    user_id: str, secret: str, lifetime: timedelta, token_version: int = 0
) -> str:
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "_id": user_id,
        "tv": token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, secret: str) -> dict[str, Any]:
    """Decode and verify; raises ``jwt.PyJWTError`` on any problem."""
    payload: dict[str, Any] = jwt.decode(
        token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp", "_id"]}
    )
    return payload


def sign_value(value: str, secret: str, purpose: str) -> str:
    """A short HMAC of ``value``; ``purpose`` separates keys for different uses."""
    key = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def verify_signed_value(value: str, signature: str, secret: str, purpose: str) -> bool:
    return hmac.compare_digest(sign_value(value, secret, purpose), signature)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_code(code: str, secret: str, salt: str) -> str:
    """Hash a short one-time code. A keyed hash (not a bare SHA-256): with only
    10^4 possible codes an unkeyed hash would be reversed instantly from a DB dump."""
    return sign_value(f"{salt}:{code}", secret, "otp")


# The original's 15 straight runs: 0123..7890 ascending, 0987..4321 descending.
_STRAIGHT_RUNS = {"01234567890"[i : i + 4] for i in range(8)} | {
    "0987654321"[i : i + 4] for i in range(7)
}


def generate_otp(length: int = 4) -> str:
    """CSPRNG digits; like the original, re-draw all-equal codes and straight runs."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(length))
        if len(set(code)) == 1:
            continue
        if length == 4 and code in _STRAIGHT_RUNS:
            continue
        return code


def random_token_hex(nbytes: int = 20) -> str:
    return secrets.token_hex(nbytes)
