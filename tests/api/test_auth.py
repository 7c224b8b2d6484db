"""Sign-in flow against real servers: the OTP is read out of the mail the SMTP sink captured."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import bcrypt
import httpx
import pytest

from app.core.config import Settings
from app.core.security import sha256_hex
from app.models.base import utcnow
from app.models.user import Role, User, UserStatus
from app.services.context import AppContext
from tests.conftest import make_client, running_app
from tests.factories.users import DEFAULT_PASSWORD, cookies_for, make_user, token_for
from tests.support.smtp_sink import SmtpSink, extract_otp, extract_url

SECRET_KEYS = {
    "password",
    "OTP",
    "resetPasswordToken",
    "resetPasswordExpire",
    "otpHash",
    "otpExpiresAt",
    "otpAttempts",
    "tokenVersion",
}


async def mail_otp(smtp: SmtpSink, to: str, subject: str = "Login Verification OTP") -> str:
    mail = await asyncio.to_thread(smtp.wait_for, to, subject_contains=subject)
    return extract_otp(mail.text)


def set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]


async def login(client: httpx.AsyncClient, email: str, password: str = DEFAULT_PASSWORD) -> None:
    response = await client.post("/api/v1/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text


# --------------------------------------------------------------------------- register/verify


async def test_register_then_verify_with_only_the_otp_signs_in(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    response = await client.post(
        "/api/v1/register",
        json={"email": "New.User@Example.test ", "password": "pw-123456", "role": "landlord"},
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "OTP Sent to your email successfully"}
    assert "token" not in response.cookies
    challenge = set_cookie_headers(response, "otp_challenge")[0].lower()
    assert "httponly" in challenge
    assert "path=/" in challenge
    assert "samesite=lax" in challenge

    mail = await asyncio.to_thread(
        smtp.wait_for, "new.user@example.test", subject_contains="Account Verification OTP"
    )
    assert mail.subject == "Videodesk - Account Verification OTP"
    otp = extract_otp(mail.text)
    assert "Your OTP verification code is: " + otp in mail.text
    assert mail.html is not None
    assert otp in mail.html

    response = await client.post("/api/v1/verify", json={"OTP": otp})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Welcome back, new.user@example.test"
    user = body["user"]
    assert user["email"] == "new.user@example.test"
    assert user["role"] == "landlord"
    assert len(user["_id"]) == 24
    assert "id" not in user
    assert not SECRET_KEYS & set(user)
    assert user["messageSettings"] == {
        "messageOption": "",
        "tailoredMessage": "",
        "defaultTextSize": "14px",
        "tailoredTextSize": "14px",
        "selectedButtonColor": "bg-green-800",
    }
    assert user["currentLoginTime"].endswith("Z")
    token_cookie = set_cookie_headers(response, "token")[0].lower()
    for attribute in ("httponly", "path=/", "samesite=lax", "max-age=1296000"):
        assert attribute in token_cookie
    assert "secure" not in token_cookie  # NODE_ENV=test is plain HTTP

    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["_id"] == user["_id"]
    assert not SECRET_KEYS & set(me.json()["user"])

    # The code is single use.
    again = await client.post("/api/v1/verify", json={"OTP": otp})
    assert again.status_code == 401


async def test_verify_accepts_a_numeric_otp_and_an_email_instead_of_the_cookie(
    app: object, ctx: AppContext, smtp: SmtpSink
) -> None:
    user = await make_user(email="numeric@example.test")
    async with make_client(app) as first:  # type: ignore[arg-type]
        await login(first, user.email)
    otp = await mail_otp(smtp, user.email)
    async with make_client(app) as other_browser:  # type: ignore[arg-type]
        response = await other_browser.post(
            "/api/v1/verify", json={"OTP": int(otp), "email": "NUMERIC@example.test"}
        )
    if otp.startswith("0"):
        assert response.status_code == 401  # a leading zero is lost in a JSON number
    else:
        assert response.status_code == 200
        assert response.json()["user"]["email"] == user.email


async def test_verify_without_binding_or_otp_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/verify", json={"OTP": "1234"})
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "message": None,
        "data": "Invalid OTP or maybe expired",
    }
    response = await client.post("/api/v1/verify", json={})
    assert response.status_code == 401
    assert response.json()["data"] == "All fields are required"


async def test_a_code_only_works_for_the_user_it_was_sent_to(app: object, smtp: SmtpSink) -> None:
    alice = await make_user(email="alice@example.test")
    bob = await make_user(email="bob@example.test")
    async with make_client(app) as alice_browser, make_client(app) as bob_browser:  # type: ignore[arg-type]
        await login(alice_browser, alice.email)
        await login(bob_browser, bob.email)
        bob_code = await mail_otp(smtp, bob.email)
        alice_code = await mail_otp(smtp, alice.email)
        if bob_code != alice_code:
            stolen = await alice_browser.post("/api/v1/verify", json={"OTP": bob_code})
            assert stolen.status_code == 401
        response = await bob_browser.post("/api/v1/verify", json={"OTP": bob_code})
        assert response.status_code == 200
        assert response.json()["user"]["email"] == bob.email


async def test_register_refuses_duplicates_missing_fields_and_privileged_roles(
    client: httpx.AsyncClient,
) -> None:
    await make_user(email="taken@example.test")
    response = await client.post(
        "/api/v1/register",
        json={"email": "TAKEN@example.test", "password": "x" * 8, "role": "landlord"},
    )
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": None, "data": "Email already exist"}

    response = await client.post("/api/v1/register", json={"email": "a@example.test"})
    assert response.status_code == 401
    assert response.json()["data"] == "All fields are required"

    for role in ("admin", "superadmin", "company-admin", "wizard"):
        response = await client.post(
            "/api/v1/register",
            json={"email": f"{role}@example.test", "password": "x" * 8, "role": role},
        )
        assert response.status_code == 400, role
        assert await User.find_one({"email": f"{role}@example.test"}) is None


async def test_unverified_registration_can_be_repeated(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    body = {"email": "pending@example.test", "password": "first-pass", "role": "resident"}
    assert (await client.post("/api/v1/register", json=body)).status_code == 200
    await mail_otp(smtp, "pending@example.test", "Account Verification")
    body["password"] = "second-pass"
    assert (await client.post("/api/v1/register", json=body)).status_code == 200
    otp = await mail_otp(smtp, "pending@example.test", "Account Verification")
    response = await client.post("/api/v1/verify", json={"OTP": otp})
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "resident"
    # Verified now: a third registration is a duplicate.
    response = await client.post("/api/v1/register", json=body)
    assert response.status_code == 401


async def test_register_mail_failure_leaves_no_account(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    smtp.fail_next = 1
    body = {"email": "flaky@example.test", "password": "pw-123456", "role": "landlord"}
    response = await client.post("/api/v1/register", json=body)
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "Email could not be sent"}
    assert await User.find_one({"email": "flaky@example.test"}) is None
    response = await client.post("/api/v1/register", json=body)
    assert response.status_code == 200


# --------------------------------------------------------------------------- login


async def test_login_failures_look_the_same(client: httpx.AsyncClient, smtp: SmtpSink) -> None:
    await make_user(email="known@example.test")
    expected = {"success": False, "message": None, "data": "Incorrect Email or Password"}
    wrong = await client.post(
        "/api/v1/login", json={"email": "known@example.test", "password": "nope"}
    )
    unknown = await client.post(
        "/api/v1/login", json={"email": "ghost@example.test", "password": "nope"}
    )
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert (unknown.status_code, unknown.json()) == (401, expected)
    missing = await client.post("/api/v1/login", json={"email": "known@example.test"})
    assert missing.status_code == 401
    assert missing.json()["data"] == "All fields are required"
    assert smtp.snapshot() == []


async def test_login_mail_failure_stores_no_code(client: httpx.AsyncClient, smtp: SmtpSink) -> None:
    user = await make_user(email="nomail@example.test")
    smtp.fail_next = 1
    response = await client.post(
        "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 500
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.otpHash is None


async def test_wrong_codes_lock_the_code_after_five_tries(
    settings_factory: Callable[..., Settings], smtp: SmtpSink
) -> None:
    async with running_app(settings_factory(RATE_LIMIT_EMAIL=50)) as app:
        user = await make_user(email="guess@example.test")
        async with make_client(app) as browser:
            await login(browser, user.email)
            otp = await mail_otp(smtp, user.email)
            wrong = f"{(int(otp) + 1) % 10000:04d}"
            for _ in range(5):
                response = await browser.post("/api/v1/verify", json={"OTP": wrong})
                assert response.status_code == 401
            response = await browser.post("/api/v1/verify", json={"OTP": otp})
            assert response.status_code == 401
            assert response.json()["data"] == "Invalid OTP or maybe expired"


async def test_an_expired_code_is_refused(client: httpx.AsyncClient, smtp: SmtpSink) -> None:
    user = await make_user(email="late@example.test")
    await login(client, user.email)
    otp = await mail_otp(smtp, user.email)
    await User.get_pymongo_collection().update_one(
        {"_id": user.id}, {"$set": {"otpExpiresAt": utcnow() - timedelta(seconds=1)}}
    )
    response = await client.post("/api/v1/verify", json={"OTP": otp})
    assert response.status_code == 401
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.otpHash is None


async def test_codes_are_stored_hashed(client: httpx.AsyncClient, smtp: SmtpSink) -> None:
    user = await make_user(email="hashed@example.test")
    await login(client, user.email)
    otp = await mail_otp(smtp, user.email)
    raw = await User.get_pymongo_collection().find_one({"_id": user.id})
    assert raw is not None
    assert otp not in str(raw)
    assert raw["otpAttempts"] == 0


async def test_login_is_rate_limited_per_email(
    settings_factory: Callable[..., Settings], smtp: SmtpSink
) -> None:
    async with running_app(settings_factory(RATE_LIMIT_EMAIL=2)) as app:
        user = await make_user(email="busy@example.test")
        async with make_client(app) as browser:
            for _ in range(2):
                await login(browser, user.email)
            response = await browser.post(
                "/api/v1/login", json={"email": "BUSY@example.test", "password": DEFAULT_PASSWORD}
            )
            assert response.status_code == 429
            assert response.json()["success"] is False
            assert response.json()["message"]
            # Another address from the same IP is still fine.
            other = await make_user(email="calm@example.test")
            await login(browser, other.email)


async def test_register_verify_and_forgot_are_rate_limited_per_ip(
    settings_factory: Callable[..., Settings],
) -> None:
    async with running_app(settings_factory(RATE_LIMIT_IP=2)) as app:
        async with make_client(app) as browser:
            for path, body in (
                ("/api/v1/register", {"email": "r{}@example.test", "password": "p", "role": "x"}),
                ("/api/v1/verify", {"OTP": "1234", "email": "v{}@example.test"}),
                ("/api/v1/forgot-password", {"email": "f{}@example.test"}),
                ("/api/v1/login", {"email": "l{}@example.test", "password": "p"}),
            ):
                statuses = []
                for n in range(3):
                    payload = {k: v.format(n) if isinstance(v, str) else v for k, v in body.items()}
                    if path == "/api/v1/register":
                        payload["role"] = "landlord"
                    statuses.append((await browser.post(path, json=payload)).status_code)
                assert statuses[-1] == 429, (path, statuses)
                assert 429 not in statuses[:2], (path, statuses)


async def test_frozen_user_cannot_sign_in_and_old_cookies_stop_working(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user(email="ice@example.test")
    cookies = cookies_for(ctx, user)
    assert (await client.get("/api/v1/me", cookies=cookies)).status_code == 200
    await User.get_pymongo_collection().update_one(
        {"_id": user.id}, {"$set": {"status": UserStatus.FROZEN.value}}
    )
    assert (await client.get("/api/v1/me", cookies=cookies)).status_code == 401
    response = await client.post(
        "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 401


async def test_trashed_user_cannot_sign_in(client: httpx.AsyncClient) -> None:
    user = await make_user(email="binned@example.test", deleted=True, deletedAt=utcnow())
    response = await client.post(
        "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 401


async def test_bcrypt_hash_from_the_original_verifies_and_is_upgraded(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    legacy = bcrypt.hashpw(b"legacy-pass", bcrypt.gensalt(rounds=10)).decode()
    assert legacy.startswith("$2b$10$")
    user = await make_user(email="Legacy.User@Example.test")
    await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": {"password": legacy}})
    await login(client, "legacy.user@example.test", "legacy-pass")
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.password.startswith("$argon2")
    otp = await mail_otp(smtp, user.email)
    response = await client.post("/api/v1/verify", json={"OTP": otp})
    assert response.status_code == 200


async def test_me_requires_a_valid_token(client: httpx.AsyncClient, ctx: AppContext) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "Unauthorize user"}
    response = await client.get("/api/v1/me", cookies={"token": "garbage"})
    assert response.status_code == 401
    user = await make_user()
    response = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token_for(ctx, user)}"}
    )
    assert response.status_code == 200


# --------------------------------------------------------------------------- logout


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_logout_clears_the_cookie_and_revokes_the_token(
    client: httpx.AsyncClient, ctx: AppContext, method: str
) -> None:
    user = await make_user()
    cookies = cookies_for(ctx, user)
    response = await client.request(method, "/api/v1/logout", cookies=cookies)
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Logged Out Successfully"}
    cleared = set_cookie_headers(response, "token")[0].lower()
    assert "max-age=0" in cleared
    assert "path=/" in cleared
    assert "httponly" in cleared
    assert (await client.get("/api/v1/me", cookies=cookies)).status_code == 401


async def test_logout_without_a_cookie_still_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/logout")
    assert response.status_code == 200


async def test_cookie_attributes_follow_settings(
    settings_factory: Callable[..., Settings], smtp: SmtpSink
) -> None:
    settings = settings_factory(
        NODE_ENV="production", COOKIE_SAMESITE="none", COOKIE_DOMAIN="example.test"
    )
    async with running_app(settings) as app:
        user = await make_user(email="prod@example.test")
        async with make_client(app) as browser:
            response = await browser.post(
                "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
            )
            challenge = set_cookie_headers(response, "otp_challenge")[0].lower()
            for attribute in ("secure", "samesite=none", "domain=example.test", "httponly"):
                assert attribute in challenge
            otp = await mail_otp(smtp, user.email)
            response = await browser.post("/api/v1/verify", json={"OTP": otp, "email": user.email})
            assert response.status_code == 200
            token = set_cookie_headers(response, "token")[0].lower()
            out = await browser.get("/api/v1/logout")
            cleared = set_cookie_headers(out, "token")[0].lower()
            for attribute in ("secure", "samesite=none", "domain=example.test", "path=/"):
                assert attribute in token
                assert attribute in cleared


# --------------------------------------------------------------------------- resident


async def test_register_resident_signs_in_at_once(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/register-resident", json={"email": "Res@Example.test", "password": "pw-123456"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Resident account created successfully"
    assert body["user"]["role"] == "resident"
    assert body["user"]["email"] == "res@example.test"
    assert not SECRET_KEYS & set(body["user"])
    assert "token" in response.cookies
    assert (await client.get("/api/v1/me")).status_code == 200

    again = await client.post(
        "/api/v1/register-resident", json={"email": "res@example.test", "password": "x"}
    )
    assert again.status_code == 409
    assert again.json() == {"success": False, "message": None, "data": "Email already exists"}
    missing = await client.post("/api/v1/register-resident", json={"email": "x@example.test"})
    assert missing.status_code == 400
    assert missing.json()["data"] == "Email and password are required"


# --------------------------------------------------------------------------- passwords


async def test_forgot_and_reset_password_at_the_root_path(
    client: httpx.AsyncClient, ctx: AppContext, smtp: SmtpSink
) -> None:
    user = await make_user(email="forgetful@example.test")
    old_cookies = cookies_for(ctx, user)
    response = await client.post("/api/v1/forgot-password", json={"email": user.email})
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": None,
        "data": "Reset link has been sent to forgetful@example.test",
    }
    mail = await asyncio.to_thread(smtp.wait_for, user.email, subject_contains="Password Reset")
    assert mail.subject == "Password Reset Request"
    url = extract_url(mail.text, "/reset-password/")
    assert url.startswith("http://localhost:3000/reset-password/")
    token = url.rsplit("/", 1)[1].rstrip(".")
    assert len(token) == 40
    assert all(c in "0123456789abcdef" for c in token)
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.resetPasswordToken == sha256_hex(token)

    short = await client.put(f"/reset-password/{token}", json={"password": "short"})
    assert short.status_code == 400
    response = await client.put(f"/reset-password/{token}", json={"password": "brand-new-pass"})
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": None,
        "data": "Password Changed Successfully",
    }
    reused = await client.put(f"/reset-password/{token}", json={"password": "another-pass"})
    assert reused.status_code == 401
    assert reused.json() == {"success": False, "message": "Token is invalid or has been expired"}
    assert (await client.get("/api/v1/me", cookies=old_cookies)).status_code == 401
    await login(client, user.email, "brand-new-pass")


async def test_reset_under_api_prefix_and_expiry(client: httpx.AsyncClient, smtp: SmtpSink) -> None:
    user = await make_user(email="expiry@example.test")
    await client.post("/api/v1/forgot-password", json={"email": user.email})
    mail = await asyncio.to_thread(smtp.wait_for, user.email, subject_contains="Password Reset")
    token = extract_url(mail.text, "/reset-password/").rsplit("/", 1)[1].rstrip(".")
    await User.get_pymongo_collection().update_one(
        {"_id": user.id}, {"$set": {"resetPasswordExpire": utcnow() - timedelta(seconds=1)}}
    )
    response = await client.put(f"/api/v1/reset-password/{token}", json={"password": "x" * 10})
    assert response.status_code == 401
    response = await client.put("/api/v1/reset-password/nothex", json={"password": "x" * 10})
    assert response.status_code == 401


async def test_forgot_password_errors(client: httpx.AsyncClient, smtp: SmtpSink) -> None:
    response = await client.post("/api/v1/forgot-password", json={})
    assert (response.status_code, response.json()) == (
        400,
        {"success": False, "message": "Email is required"},
    )
    response = await client.post("/api/v1/forgot-password", json={"email": "nobody@example.test"})
    assert (response.status_code, response.json()) == (
        400,
        {"success": False, "message": "User not found"},
    )
    user = await make_user(email="mailfail@example.test")
    smtp.fail_next = 1
    response = await client.post("/api/v1/forgot-password", json={"email": user.email})
    assert (response.status_code, response.json()) == (
        500,
        {"success": False, "message": "Email could not be sent"},
    )
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.resetPasswordToken is None


async def test_change_password_revokes_other_sessions_and_keeps_this_one(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user()
    cookies = cookies_for(ctx, user)
    response = await client.put(
        "/api/v1/user/change-password",
        json={"oldpassword": "wrong", "newpassword": "new-password-1"},
        cookies=cookies,
    )
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": None, "data": "Incorrect old password"}
    response = await client.put(
        "/api/v1/user/change-password",
        json={"oldpassword": DEFAULT_PASSWORD, "newpassword": "new-password-1"},
        cookies=cookies,
    )
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": None,
        "data": "Password update successfully",
    }
    fresh = response.cookies["token"]
    assert (await client.get("/api/v1/me", cookies=cookies)).status_code == 401
    assert (await client.get("/api/v1/me", cookies={"token": fresh})).status_code == 200
    missing = await client.put("/api/v1/user/change-password", json={}, cookies={"token": fresh})
    assert missing.status_code == 400
    client.cookies.clear()
    assert (await client.put("/api/v1/user/change-password", json={})).status_code == 401


async def test_dashboard_reset_password_validation_order(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user()
    cookies = cookies_for(ctx, user)
    url = "/api/v1/user/reset-password"
    cases = [
        (
            {"newPassword": "abcdefgh", "confirmPassword": "abcdefgh"},
            "Current password is required",
        ),
        (
            {"currentPassword": DEFAULT_PASSWORD},
            "New password and confirm password are required",
        ),
        (
            {"currentPassword": "x", "newPassword": "abcdefgh", "confirmPassword": "abcdefgX"},
            "New passwords do not match",
        ),
        (
            {
                "currentPassword": DEFAULT_PASSWORD,
                "newPassword": DEFAULT_PASSWORD,
                "confirmPassword": DEFAULT_PASSWORD,
            },
            "New password must be different from current password",
        ),
        (
            {"currentPassword": "x", "newPassword": "short", "confirmPassword": "short"},
            "Password must be at least 8 characters long",
        ),
        (
            {
                "currentPassword": "wrong-one",
                "newPassword": "abcdefgh",
                "confirmPassword": "abcdefgh",
            },
            "Current password is incorrect",
        ),
    ]
    for body, message in cases:
        response = await client.put(url, json=body, cookies=cookies)
        assert (response.status_code, response.json()) == (
            400,
            {"success": False, "message": message},
        ), body
    response = await client.put(
        url,
        json={
            "currentPassword": DEFAULT_PASSWORD,
            "newPassword": "abcdefgh",
            "confirmPassword": "abcdefgh",
        },
        cookies=cookies,
    )
    assert response.status_code == 200
    assert response.json()["data"] == "Password updated successfully"


async def test_dashboard_reset_of_a_temporary_password(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user(isTemporaryPassword=True)
    response = await client.put(
        "/api/v1/user/reset-password",
        json={"newPassword": "abcdefgh", "confirmPassword": "abcdefgh"},
        cookies=cookies_for(ctx, user),
    )
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": None,
        "data": "Temporary password changed successfully",
    }
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.isTemporaryPassword is False


async def test_update_email(client: httpx.AsyncClient, ctx: AppContext) -> None:
    user = await make_user()
    other = await make_user(role=Role.RESIDENT)
    cookies = cookies_for(ctx, user)
    response = await client.put(
        "/api/v1/user/update", json={"email": "Changed@Example.test"}, cookies=cookies
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": None, "data": "Update successfully"}
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.email == "changed@example.test"
    duplicate = await client.put(
        "/api/v1/user/update", json={"email": other.email.upper()}, cookies=cookies
    )
    assert (duplicate.status_code, duplicate.json()) == (
        400,
        {"success": False, "message": "Duplicate email Entered"},
    )
    assert (await client.put("/api/v1/user/update", json={"email": "x@y.z"})).status_code == 401


async def test_legacy_secrets_never_reach_the_client(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user(email="old-row@example.test")
    await User.get_pymongo_collection().update_one(
        {"_id": user.id},
        {"$set": {"OTP": "4821", "__v": 0, "resetPasswordToken": "abc", "folders": []}},
    )
    response = await client.get("/api/v1/me", cookies=cookies_for(ctx, user))
    assert response.status_code == 200
    body = response.text
    assert "4821" not in body
    assert not SECRET_KEYS & set(response.json()["user"])
