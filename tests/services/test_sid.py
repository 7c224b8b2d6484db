"""Room-link ``sid``: signed links of the port and the original's keyless ones
(core-api.md §1.5). Legacy sids are made here with the original's algorithm."""

from __future__ import annotations

import random
import re
import string

import pytest
from bson import ObjectId

from app.core.config import Settings
from app.core.errors import BadRequest
from app.services.context import AppContext
from app.services.invites import (
    decode_signed_sid,
    encode_sid,
    legacy_candidates,
    resolve_sid,
)
from tests.factories.users import make_user

SECRET = "test-secret-0123456789abcdef"
_HEX24 = re.compile(r"^[a-f0-9]{24}$", re.IGNORECASE)


def original_encrypt(user_id: str, rng: random.Random) -> str:
    """``encryptUserId``: reversed id between 3–5 random lowercase letters each side."""

    def padding() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 5)))

    return padding() + user_id[::-1] + padding()


def original_decrypt(sid: str) -> str | None:
    """``decryptUserId`` with its bug: the first 24-hex window wins."""
    for prefix in range(3, 6):
        for suffix in range(3, 6):
            window = sid[prefix : len(sid) - suffix][::-1]
            if _HEX24.match(window):
                return window
    return None


# --- signed sids ------------------------------------------------------------


def test_signed_sid_round_trips_and_is_url_safe() -> None:
    user_id = str(ObjectId())
    sid = encode_sid(user_id, SECRET)
    assert re.fullmatch(r"[0-9a-f]{24}\.[0-9a-f]{32}", sid)
    assert decode_signed_sid(sid, SECRET) == user_id


@pytest.mark.parametrize(
    "tamper",
    [
        lambda sid: sid[:-1] + ("0" if sid[-1] != "0" else "1"),  # signature changed
        lambda sid: ("0" if sid[0] != "0" else "1") + sid[1:],  # id changed, old signature
        lambda sid: sid.split(".")[0] + ".",  # signature dropped
        lambda sid: sid.split(".")[0] + "." + "0" * 32,
        lambda sid: "zz" + sid[2:],
    ],
)
def test_forged_signed_sid_is_refused(tamper: object) -> None:
    sid = encode_sid(str(ObjectId()), SECRET)
    assert callable(tamper)
    assert decode_signed_sid(tamper(sid), SECRET) is None


def test_signed_sid_from_another_secret_is_refused() -> None:
    sid = encode_sid(str(ObjectId()), "another-secret-entirely-123456")
    assert decode_signed_sid(sid, SECRET) is None


# --- legacy windows ---------------------------------------------------------


def test_the_originals_bug_is_real_for_hex_padding() -> None:
    # Prefix ends in "b" (a hex digit): the original's (3, 4) window is tried
    # before the true (4, 3) one and yields a wrong id.
    user_id = str(ObjectId())
    sid = "xyzb" + user_id[::-1] + "qqq"
    assert original_decrypt(sid) != user_id
    candidates = legacy_candidates(sid)
    assert candidates[0] == original_decrypt(sid)
    assert user_id in candidates


def test_candidates_are_every_hex_window_once() -> None:
    user_id = "0123456789abcdef01234567"
    sid = "qwe" + user_id[::-1] + "rty"
    assert legacy_candidates(sid) == [user_id]
    assert legacy_candidates("no-hex-here-at-all-really") == []


# --- resolution against the users collection --------------------------------


async def test_every_legacy_sid_resolves_to_its_sender(ctx: AppContext) -> None:
    rng = random.Random(20240607)
    users = [await make_user() for _ in range(40)]
    original_wrong = 0
    for user in users:
        for _ in range(10):
            sid = original_encrypt(str(user.id), rng)
            assert await resolve_sid(ctx.settings, sid) == str(user.id), sid
            original_wrong += original_decrypt(sid) != str(user.id)
    # the same sids the original decoded wrongly (about one in ten) now resolve
    assert original_wrong > 0


async def test_legacy_sid_with_hex_padding_resolves(ctx: AppContext) -> None:
    paddings = [
        ("xyzb", "qqq"),
        ("qweab", "abc"),
        ("abc", "def"),
        ("fedcb", "abcde"),
        ("xyzab", "zza"),
    ]
    for prefix, suffix in paddings:
        user = await make_user()
        sid = prefix + str(user.id)[::-1] + suffix
        assert await resolve_sid(ctx.settings, sid) == str(user.id), sid


async def test_legacy_sid_of_nobody_falls_back_to_the_first_match(ctx: AppContext) -> None:
    unknown = str(ObjectId())
    sid = "xyzb" + unknown[::-1] + "qqq"
    assert await resolve_sid(ctx.settings, sid) == original_decrypt(sid)


async def test_signed_sid_resolves_without_the_database(ctx: AppContext) -> None:
    user_id = str(ObjectId())
    assert await resolve_sid(ctx.settings, encode_sid(user_id, ctx.settings.JWT_SECRET)) == user_id


async def test_undecodable_sids_are_400(ctx: AppContext) -> None:
    for sid in ("", "abc", "x" * 40, "0" * 24 + "." + "0" * 32, "a" * 500, "../../etc/passwd"):
        with pytest.raises(BadRequest) as caught:
            await resolve_sid(ctx.settings, sid)
        assert caught.value.body() == {
            "success": False,
            "message": "Invalid or un-decryptable userId",
            "decrypted": None,
        }


async def test_legacy_sids_can_be_switched_off(settings: Settings, ctx: AppContext) -> None:
    user = await make_user()
    sid = "qwe" + str(user.id)[::-1] + "rty"
    off = settings.model_copy(update={"LEGACY_SID_ENABLED": False})
    with pytest.raises(BadRequest):
        await resolve_sid(off, sid)
    assert await resolve_sid(off, encode_sid(str(user.id), off.JWT_SECRET)) == str(user.id)
