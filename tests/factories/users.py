"""Users and their auth cookies."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from app.core.security import create_access_token, hash_password_sync
from app.models.user import Role, User
from app.services.context import AppContext

_counter = itertools.count(1)
DEFAULT_PASSWORD = "Correct-Horse-9"
# Hashing is deliberately slow; tests share one hash of the default password.
_DEFAULT_HASH = hash_password_sync(DEFAULT_PASSWORD)


async def make_user(
    *,
    role: Role | str = Role.LANDLORD,
    email: str | None = None,
    password: str | None = None,
    **fields: Any,
) -> User:
    number = next(_counter)
    user = User(
        email=email or f"user{number}@example.test",
        password=_DEFAULT_HASH if password is None else hash_password_sync(password),
        role=Role(role),
        **fields,
    )
    await user.insert()
    return user


def token_for(ctx: AppContext, user: User) -> str:
    return create_access_token(
        str(user.id),
        ctx.settings.JWT_SECRET,
        timedelta(days=ctx.settings.JWT_LIFETIME_DAYS),
        user.tokenVersion,
    )


def cookies_for(ctx: AppContext, user: User) -> dict[str, str]:
    return {"token": token_for(ctx, user)}
