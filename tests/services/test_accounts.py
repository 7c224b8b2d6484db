"""Service-level checks of the accounts area: challenge signing, purge, revocation."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from app.models.base import utcnow
from app.models.chat import ChatHistory
from app.models.user import User
from app.services import accounts
from app.services.context import AppContext
from app.services.purge import run_purge_cycle
from tests.factories.chat import make_chat
from tests.factories.users import make_user, token_for


async def test_challenge_roundtrip_expiry_and_tampering(ctx: AppContext) -> None:
    settings = ctx.settings
    user = await make_user()
    now = utcnow()
    value = accounts.make_challenge(settings, str(user.id), now)
    assert accounts.read_challenge(settings, value, now) == user.id
    later = now + timedelta(seconds=settings.OTP_TTL_SECONDS + 1)
    assert accounts.read_challenge(settings, value, later) is None
    other = await make_user()
    _user_id, expires, signature = value.split(".")
    forged = f"{other.id}.{expires}.{signature}"
    assert accounts.read_challenge(settings, forged, now) is None
    assert accounts.read_challenge(settings, "junk", now) is None
    assert accounts.read_challenge(settings, None, now) is None


async def test_purge_removes_users_trashed_longer_than_retention(ctx: AppContext, s3: Any) -> None:
    now = utcnow()
    retention = timedelta(days=ctx.settings.TRASH_RETENTION_DAYS)
    old = await make_user(deleted=True, deletedAt=now - retention - timedelta(minutes=1))
    key = f"videodesk_logos/{old.id}/1_abc.png"
    stored = await ctx.storage.put_bytes(key, base64.b64decode("iVBORw0KGgo="), "image/png")
    await User.get_pymongo_collection().update_one({"_id": old.id}, {"$set": {"logo": stored.url}})
    recent = await make_user(deleted=True, deletedAt=now - timedelta(days=1))
    active = await make_user()
    await make_chat(old)
    kept_chat = await make_chat(recent)

    report = await run_purge_cycle(ctx, now)
    assert report.removed["users"] == 1
    assert await User.get(old.id) is None
    assert await User.get(recent.id) is not None
    assert await User.get(active.id) is not None
    assert await ChatHistory.find({"userId": old.id}).count() == 0
    assert await ChatHistory.get(kept_chat.id) is not None
    assert not s3.list_objects_v2(Bucket=ctx.settings.S3_BUCKET_NAME, Prefix=key).get("KeyCount")


async def test_a_stale_token_cannot_revoke_a_newer_session(ctx: AppContext) -> None:
    user = await make_user()
    first = token_for(ctx, user)
    await accounts.logout(ctx, first)
    fresh = await User.get(user.id)
    assert fresh is not None
    assert fresh.tokenVersion == 1
    await accounts.logout(ctx, first)  # replayed logout with the revoked token
    again = await User.get(user.id)
    assert again is not None
    assert again.tokenVersion == 1
    await accounts.logout(ctx, "not-a-jwt")


async def test_email_lookup_is_case_insensitive_for_legacy_rows(ctx: AppContext) -> None:
    legacy = await make_user(email="Mixed.Case+tag@Example.test")
    found = await User.find_by_email("  mixed.case+TAG@example.TEST ")
    assert found is not None
    assert found.id == legacy.id
    assert await User.find_by_email("mixed.case+tag@example.tes") is None
    assert await User.find_by_email(".*") is None
