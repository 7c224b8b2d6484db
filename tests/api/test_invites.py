"""Invite links by SMS / e-mail, room sender info, token info, friend link and
demo code, against the real SMTP sink and the fake Twilio endpoint."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bson import ObjectId

from app.core.config import Settings
from app.models.user import LandlordInfo, MessageSettings, User, UserStatus
from app.services.context import AppContext
from tests.conftest import FRONTEND, make_client, running_app
from tests.factories.users import cookies_for, make_user
from tests.support.fake_twilio import FakeTwilio
from tests.support.smtp_sink import SmtpSink, extract_url

INVITE_SUBJECT = "Video Call from Your Landlord"
UK_MOBILE = "07700 900123"
UK_MOBILE_E164 = "+447700900123"


def sid_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["sid"][0]


async def branded_landlord(**fields: Any) -> User:
    return await make_user(
        firstName="Lena",
        lastName="Lord",
        logo="https://cdn.example.test/logo.png",
        landlordInfo=LandlordInfo(
            landlordName="Acme Homes",
            landlordLogo="https://cdn.example.test/acme.png",
            redirectUrlDefault="https://acme.example.test",
        ),
        messageSettings=MessageSettings(
            messageOption="tailored",
            tailoredMessage="Please join so we can look at the damp together.",
            selectedButtonColor="bg-blue-800",
        ),
        **fields,
    )


@pytest.fixture
def limited(settings_factory: Callable[..., Settings]) -> Callable[..., Any]:
    """An app with overridden settings: ``async with limited(**overrides) as (http, ctx)``.
    Rate-limit counters live in the test's database, so use one per test."""

    @contextlib.asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
        async with running_app(settings_factory(**overrides)) as app, make_client(app) as http:
            yield http, app.state.ctx

    return factory


# --- /send-token --------------------------------------------------------------


async def test_send_token_by_sms_without_cookie(
    client: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    landlord = await branded_landlord()
    response = await client.get(
        "/send-token", params={"number": UK_MOBILE, "senderId": str(landlord.id)}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "url"}
    token = body["token"]
    assert str(uuid.UUID(token)) == token
    assert body["url"].startswith(f"{FRONTEND}/room/{token}?sid=")

    sms = twilio.wait_for(UK_MOBILE_E164)
    assert sms.body == f"Please click on the link below to connect: {body['url']}"
    assert sms.from_ == "+15005550006"

    info = await client.get("/api/v1/room-user-info", params={"userId": sid_of(body["url"])})
    assert info.status_code == 200
    assert info.json()["user"]["_id"] == str(landlord.id)


async def test_send_token_by_email_uses_the_senders_branding(
    client: httpx.AsyncClient, smtp: SmtpSink, twilio: FakeTwilio
) -> None:
    landlord = await branded_landlord()
    response = await client.get(
        "/send-token", params={"email": "Resident@Example.test", "senderId": str(landlord.id)}
    )
    assert response.status_code == 200
    url = response.json()["url"]

    mail = smtp.wait_for("resident@example.test", subject_contains=INVITE_SUBJECT)
    assert mail.subject == INVITE_SUBJECT
    assert f"Please click on the link below to connect: {url}" in mail.text
    assert "Acme Homes has invited you to a video call." in mail.text
    assert "Please join so we can look at the damp together." in mail.text
    assert extract_url(mail.text, "/room/") == url
    assert mail.html is not None
    assert "<strong>Acme Homes</strong>" in mail.html
    assert "Join Video Session" in mail.html
    assert "#1e40af" in mail.html  # bg-blue-800
    assert extract_url(mail.html, "/room/") == url
    assert twilio.snapshot() == []

    info = await client.get("/api/v1/room-user-info", params={"userId": sid_of(url)})
    assert info.json()["user"]["_id"] == str(landlord.id)


async def test_send_token_with_both_sends_both(
    client: httpx.AsyncClient, smtp: SmtpSink, twilio: FakeTwilio
) -> None:
    landlord = await make_user()
    response = await client.get(
        "/send-token",
        params={
            "number": "+447700900456",
            "email": "both@example.test",
            "senderId": str(landlord.id),
            "landlordName": "ignored",
            "tokenLandlordInfo": '{"x": 1}',
        },
    )
    assert response.status_code == 200
    url = response.json()["url"]
    assert twilio.wait_for("+447700900456").body.endswith(url)
    mail = smtp.wait_for("both@example.test", subject_contains=INVITE_SUBJECT)
    # an unbranded sender: the default greeting and message
    assert "Your Landlord has invited you to a video call." in mail.text
    assert "Please click on the link below to connect with your landlord." in mail.text
    assert "#166534" in (mail.html or "")  # default bg-green-800


async def test_plus_lost_in_an_unencoded_query_is_restored(
    client: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    landlord = await make_user()
    response = await client.get(f"/send-token?number=+447700900789&senderId={landlord.id}")
    assert response.status_code == 200
    twilio.wait_for("+447700900789")


async def test_branding_is_escaped_in_the_invitation(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    landlord = await make_user(
        landlordInfo=LandlordInfo(landlordName="<script>alert(1)</script>"),
        messageSettings=MessageSettings(messageOption="tailored", tailoredMessage="<b>hi</b>"),
    )
    await client.get(
        "/send-token", params={"email": "x@example.test", "senderId": str(landlord.id)}
    )
    mail = smtp.wait_for("x@example.test")
    assert mail.html is not None
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "&lt;b&gt;hi&lt;/b&gt;" in mail.html


async def test_cookie_user_is_the_sender(client: httpx.AsyncClient, ctx: AppContext) -> None:
    signed_in = await make_user()
    other = await make_user()
    response = await client.get(
        "/send-token",
        params={"email": "r@example.test", "senderId": str(other.id)},
        cookies=cookies_for(ctx, signed_in),
    )
    assert response.status_code == 200
    info = await client.get(
        "/api/v1/room-user-info", params={"userId": sid_of(response.json()["url"])}
    )
    assert info.json()["user"]["_id"] == str(signed_in.id)
    # with a cookie, senderId may be left out
    alone = await client.get(
        "/send-token", params={"email": "r@example.test"}, cookies=cookies_for(ctx, signed_in)
    )
    assert alone.status_code == 200


SEND_TOKEN_REFUSALS: list[tuple[dict[str, str], int, str]] = [
    ({"senderId": "SENDER"}, 400, "Either phone number or email is required"),
    (
        {"number": " ", "email": "", "senderId": "SENDER"},
        400,
        "Either phone number or email is required",
    ),
    ({"email": "a@example.test"}, 400, "Sender ID is required"),
    ({"email": "a@example.test", "senderId": "not-an-id"}, 400, "Invalid sender ID"),
    ({"email": "a@example.test", "senderId": "UNKNOWN"}, 404, "Sender not found"),
    ({"email": "not-an-email", "senderId": "SENDER"}, 400, "Invalid email address"),
    ({"email": "a@b.c\r\nBcc: x@y.z", "senderId": "SENDER"}, 400, "Invalid email address"),
    ({"number": "call me", "senderId": "SENDER"}, 400, "Invalid phone number"),
]


async def test_send_token_validation_keeps_the_error_key(
    client: httpx.AsyncClient, twilio: FakeTwilio, smtp: SmtpSink
) -> None:
    landlord = await make_user()
    for params, status, error in SEND_TOKEN_REFUSALS:
        resolved = {
            key: {"SENDER": str(landlord.id), "UNKNOWN": str(ObjectId())}.get(value, value)
            for key, value in params.items()
        }
        response = await client.get("/send-token", params=resolved)
        assert response.status_code == status, params
        assert response.json() == {"error": error}
    assert twilio.snapshot() == []
    assert smtp.snapshot() == []


async def test_inactive_senders_cannot_send(client: httpx.AsyncClient) -> None:
    for fields in (
        {"deleted": True},
        {"status": UserStatus.FROZEN},
        {"status": UserStatus.SUSPENDED},
    ):
        landlord = await make_user(**fields)
        response = await client.get(
            "/send-token", params={"email": "a@example.test", "senderId": str(landlord.id)}
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Sender not found"}


async def test_restricted_region_is_answered_but_not_sent(
    client: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    landlord = await make_user()
    response = await client.get(
        "/send-token", params={"number": "+919876543210", "senderId": str(landlord.id)}
    )
    assert response.status_code == 200
    assert twilio.snapshot() == []


async def test_provider_failures_do_not_fail_the_request(
    client: httpx.AsyncClient, twilio: FakeTwilio, smtp: SmtpSink
) -> None:
    landlord = await make_user()
    twilio.fail_with = (400, 21211, "The 'To' number +447700900111 is not a valid phone number.")
    smtp.fail_next = 1
    response = await client.get(
        "/send-token",
        params={"number": "+447700900111", "email": "f@example.test", "senderId": str(landlord.id)},
    )
    assert response.status_code == 200
    assert len(twilio.rejected) == 1
    assert smtp.snapshot() == []


async def test_invite_rate_limits_per_recipient_and_sender(
    limited: Callable[..., Any], twilio: FakeTwilio
) -> None:
    async with limited(RATE_LIMIT_INVITE_RECIPIENT=2, RATE_LIMIT_INVITE=4) as (http, _):
        landlord = await make_user()
        params = {"number": "+447700900222", "senderId": str(landlord.id)}
        for _ in range(2):
            assert (await http.get("/send-token", params=params)).status_code == 200
        refused = await http.get("/send-token", params=params)
        assert refused.status_code == 429
        assert set(refused.json()) == {"error"}
        assert int(refused.headers["retry-after"]) >= 1
        assert len(twilio.snapshot()) == 2

        # every attempt counts against the sender (4): one more, then refused
        other = await http.get(
            "/send-token", params={"number": "+447700900333", "senderId": str(landlord.id)}
        )
        assert other.status_code == 200
        spent = await http.get(
            "/send-token", params={"number": "+447700900444", "senderId": str(landlord.id)}
        )
        assert spent.status_code == 429


async def test_invite_ip_limit_comes_before_the_sender_lookup(limited: Callable[..., Any]) -> None:
    async with limited(RATE_LIMIT_INVITE_IP=1) as (http, _):
        landlord = await make_user()
        ok_first = await http.get(
            "/send-token", params={"email": "a@example.test", "senderId": str(landlord.id)}
        )
        assert ok_first.status_code == 200
        # the IP budget is checked before the sender is looked up (no id probing)
        probe = await http.get(
            "/send-token", params={"email": "a@example.test", "senderId": str(ObjectId())}
        )
        assert probe.status_code == 429


async def test_daily_sms_cap(limited: Callable[..., Any], twilio: FakeTwilio) -> None:
    async with limited(INVITE_SMS_DAILY_CAP=1) as (http, _):
        landlord = await make_user()
        first = await http.get(
            "/send-token", params={"number": "+447700900501", "senderId": str(landlord.id)}
        )
        assert first.status_code == 200
        second = await http.get(
            "/send-token", params={"number": "+447700900502", "senderId": str(landlord.id)}
        )
        assert second.status_code == 429
        assert len(twilio.snapshot()) == 1


# --- /resend-token ------------------------------------------------------------


async def test_resend_token_keeps_the_token(
    client: httpx.AsyncClient, twilio: FakeTwilio, smtp: SmtpSink
) -> None:
    landlord = await branded_landlord()
    token = str(uuid.uuid4())
    response = await client.get(
        "/resend-token",
        params={
            "number": UK_MOBILE,
            "email": "again@example.test",
            "token": token,
            "senderId": str(landlord.id),
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Link resent successfully"
    assert body["token"] == token
    assert body["url"].startswith(f"{FRONTEND}/room/{token}?sid=")
    assert twilio.wait_for(UK_MOBILE_E164).body.endswith(body["url"])
    mail = smtp.wait_for("again@example.test", subject_contains=INVITE_SUBJECT)
    assert body["url"] in mail.text
    info = await client.get("/api/v1/room-user-info", params={"userId": sid_of(body["url"])})
    assert info.json()["user"]["_id"] == str(landlord.id)


async def test_resend_token_validation(client: httpx.AsyncClient) -> None:
    landlord = await make_user()
    cases: list[tuple[dict[str, str | None], str]] = [
        ({"token": "T"}, "Either phone number or email is required"),
        ({"email": "a@example.test"}, "Token is required"),
        ({"email": "a@example.test", "token": "../../admin"}, "Invalid token"),
        ({"email": "a@example.test", "token": "T", "senderId": None}, "Sender ID is required"),
    ]
    for params, error in cases:
        query = {"senderId": str(landlord.id)}
        for key, value in params.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = str(uuid.uuid4()) if value == "T" else value
        response = await client.get("/resend-token", params=query)
        assert response.status_code == 400
        assert response.json() == {"error": error}


# --- /room-user-info ------------------------------------------------------------


async def test_room_user_info_returns_exactly_the_public_branding(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    landlord = await branded_landlord()
    response = await client.get(
        "/api/v1/room-user-info",
        params={"userId": f"qwe{str(landlord.id)[::-1]}rty"},  # an original-style sid
    )
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "user": {
            "_id": str(landlord.id),
            "email": landlord.email,
            "role": "landlord",
            "logo": "https://cdn.example.test/logo.png",
            "landlordInfo": {
                "landlordName": "Acme Homes",
                "landlordLogo": "https://cdn.example.test/acme.png",
                "officerImage": None,
                "useLandlordLogoAsProfile": False,
                "profileShape": None,
                "redirectUrlDefault": "https://acme.example.test",
                "redirectUrlTailored": "www.",
            },
            "messageSettings": {
                "messageOption": "tailored",
                "tailoredMessage": "Please join so we can look at the damp together.",
                "defaultTextSize": "14px",
                "tailoredTextSize": "14px",
                "selectedButtonColor": "bg-blue-800",
            },
        },
        "isDefaultRedirectUrl": True,
        "redirectUrl": "https://acme.example.test",
    }


async def test_room_user_info_redirect_rules(client: httpx.AsyncClient, ctx: AppContext) -> None:
    from app.services.invites import encode_sid

    cases = [
        (" https://t.example.test ", "https://d.example.test", (False, "https://t.example.test")),
        ("www.", "https://d.example.test", (True, "https://d.example.test")),
        ("", "  ", (True, "")),
        ("www.", "", (True, "")),
        ("javascript:alert(1)", "data:text/html,x", (True, "")),
    ]
    for tailored, default, expected in cases:
        landlord = await make_user(
            landlordInfo=LandlordInfo(redirectUrlTailored=tailored, redirectUrlDefault=default)
        )
        sid = encode_sid(str(landlord.id), ctx.settings.JWT_SECRET)
        body = (await client.get("/api/v1/room-user-info", params={"userId": sid})).json()
        assert (body["isDefaultRedirectUrl"], body["redirectUrl"]) == expected


async def test_room_user_info_errors(client: httpx.AsyncClient, ctx: AppContext) -> None:
    from app.services.invites import encode_sid

    missing = await client.get("/api/v1/room-user-info")
    assert missing.status_code == 400
    assert missing.json() == {"success": False, "message": "userId (sid) is required"}

    invalid_body = {
        "success": False,
        "message": "Invalid or un-decryptable userId",
        "decrypted": None,
    }
    garbage = await client.get("/api/v1/room-user-info", params={"userId": "hello"})
    assert garbage.status_code == 400
    assert garbage.json() == invalid_body

    landlord = await make_user()
    sid = encode_sid(str(landlord.id), ctx.settings.JWT_SECRET)
    forged_for = str(ObjectId())
    forged = await client.get("/api/v1/room-user-info", params={"userId": forged_for + sid[24:]})
    assert forged.status_code == 400
    assert forged.json() == invalid_body

    unknown = str(ObjectId())
    nobody = await client.get("/api/v1/room-user-info", params={"userId": f"qwe{unknown[::-1]}rty"})
    assert nobody.status_code == 404
    assert nobody.json() == {"success": False, "message": "User not found", "userId": unknown}

    trashed = await make_user(deleted=True)
    gone = await client.get(
        "/api/v1/room-user-info",
        params={"userId": encode_sid(str(trashed.id), ctx.settings.JWT_SECRET)},
    )
    assert gone.status_code == 404


async def test_room_user_info_is_rate_limited(limited: Callable[..., Any]) -> None:
    async with limited(RATE_LIMIT_PUBLIC=2) as (http, _):
        for _ in range(2):
            assert (await http.get("/api/v1/room-user-info")).status_code == 400
        refused = await http.get("/api/v1/room-user-info")
        assert refused.status_code == 429
        assert refused.json()["success"] is False


# --- /get-token-info ------------------------------------------------------------


async def test_get_token_info_echoes_the_query(client: httpx.AsyncClient) -> None:
    echoed = await client.get(
        "/api/v1/get-token-info/abc",
        params={"landlordName": "Acme", "landlordLogo": "https://x.test/l.png", "other": "x"},
    )
    assert echoed.status_code == 200
    assert echoed.json() == {
        "success": True,
        "tokenInfo": {"landlordName": "Acme", "landlordLogo": "https://x.test/l.png"},
    }
    empty = await client.get("/api/v1/get-token-info/abc")
    assert empty.json() == {"success": True, "tokenInfo": None}


# --- /send-friend-link ------------------------------------------------------------


def friend_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "fromName": "Mallory",
        "fromEmail": "ceo@bank.example",
        "toEmail": "friend@example.test",
        "message": "You should try <b>this</b>!",
        "websiteLink": "https://evil.example/phish",
        "landlordName": "ignored",
        "senderProfile": "ignored",
    }
    body.update(overrides)
    return body


async def test_friend_link_requires_sign_in(client: httpx.AsyncClient, smtp: SmtpSink) -> None:
    response = await client.post("/api/v1/send-friend-link", json=friend_body())
    assert response.status_code == 401
    assert smtp.snapshot() == []


async def test_friend_link_is_sent_from_the_account_with_the_products_template(
    client: httpx.AsyncClient, ctx: AppContext, smtp: SmtpSink
) -> None:
    user = await make_user(firstName="Lena", lastName="Lord")
    response = await client.post(
        "/api/v1/send-friend-link", json=friend_body(), cookies=cookies_for(ctx, user)
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Friend link sent successfully!"}
    mail = smtp.wait_for("friend@example.test")
    assert mail.subject == "Lena Lord has shared a video platform with you!"
    assert mail.message["Reply-To"] == user.email
    assert "Lena Lord has recommended this video platform to you!" in mail.text
    assert "Message: You should try <b>this</b>!" in mail.text
    assert f"Visit: {FRONTEND}" in mail.text
    assert "ceo@bank.example" not in mail.text
    assert "Mallory" not in mail.text + (mail.html or "")
    assert mail.html is not None
    assert "You should try &lt;b&gt;this&lt;/b&gt;!" in mail.html
    assert "evil.example" not in mail.html
    assert "Visit Platform" in mail.html


async def test_friend_link_keeps_a_link_to_our_own_frontend(
    client: httpx.AsyncClient, ctx: AppContext, smtp: SmtpSink
) -> None:
    user = await make_user()
    link = f"{FRONTEND}/pricing"
    await client.post(
        "/api/v1/send-friend-link",
        json=friend_body(websiteLink=link),
        cookies=cookies_for(ctx, user),
    )
    mail = smtp.wait_for("friend@example.test")
    assert f"Visit: {link}" in mail.text
    # an unnamed account is named by its address
    assert mail.subject == f"{user.email} has shared a video platform with you!"


async def test_friend_link_validation_is_400(
    client: httpx.AsyncClient, ctx: AppContext, smtp: SmtpSink
) -> None:
    user = await make_user()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"toEmail": ""}, "All fields are required: toEmail, message"),
        ({"message": "  "}, "All fields are required: toEmail, message"),
        ({"toEmail": "nope"}, "Invalid email format"),
        ({"message": "x" * 2001}, "Message is too long (at most 2000 characters)"),
    ]
    for overrides, error in cases:
        response = await client.post(
            "/api/v1/send-friend-link",
            json=friend_body(**overrides),
            cookies=cookies_for(ctx, user),
        )
        assert response.status_code == 400
        assert response.json() == {
            "success": False,
            "message": "Failed to send friend link",
            "error": error,
        }
    assert smtp.snapshot() == []


async def test_friend_link_mail_failure_is_500(
    client: httpx.AsyncClient, ctx: AppContext, smtp: SmtpSink
) -> None:
    user = await make_user()
    smtp.fail_next = 1
    response = await client.post(
        "/api/v1/send-friend-link", json=friend_body(), cookies=cookies_for(ctx, user)
    )
    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "message": "Failed to send friend link",
        "error": "Email could not be sent",
    }


async def test_friend_link_is_rate_limited_per_user(limited: Callable[..., Any]) -> None:
    async with limited(RATE_LIMIT_FRIEND_LINK=2) as (http, ctx):
        user = await make_user()
        cookies = cookies_for(ctx, user)
        for _ in range(2):
            sent = await http.post("/api/v1/send-friend-link", json=friend_body(), cookies=cookies)
            assert sent.status_code == 200
        refused = await http.post("/api/v1/send-friend-link", json=friend_body(), cookies=cookies)
        assert refused.status_code == 429
        assert refused.json()["success"] is False


# --- /request-demo ------------------------------------------------------------------


async def test_request_demo_mails_the_use_cases_code(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    cases = [
        ("karla", "Chat Karla", "7002"),
        ("analyzer", "Image Analyzer", "6868"),
        ("something-else", "Chat Karla", "7002"),
        (None, "Chat Karla", "7002"),
    ]
    for number, (use_case, display, code) in enumerate(cases):
        address = f"dana{number}@example.test"
        body: dict[str, Any] = {"name": "Dana <Demo>", "email": address}
        if use_case is not None:
            body["useCase"] = use_case
        response = await client.post("/api/v1/request-demo", json=body)
        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": None,
            "data": "Demo code sent successfully to your email",
        }
        mail = smtp.wait_for(address)
        assert mail.subject == f"Your Demo Code - {display}"
        assert f"Your demo code for {display} is: {code}" in mail.text
        assert mail.html is not None
        assert code in mail.html
        assert "Dana &lt;Demo&gt;" in mail.html


async def test_request_demo_validation_is_a_swapped_400(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"email": "a@example.test"}, "Name and email are required"),
        ({"name": "A", "email": ""}, "Name and email are required"),
        ({"name": "A", "email": "not-an-address"}, "Please provide a valid email address"),
    ]
    for body, text in cases:
        response = await client.post("/api/v1/request-demo", json=body)
        assert response.status_code == 400
        assert response.json() == {"success": False, "message": None, "data": text}
    non_string = await client.post(
        "/api/v1/request-demo", json={"name": "A", "email": {"$ne": None}}
    )
    assert non_string.status_code == 400
    assert non_string.json()["message"] is None
    assert non_string.json()["data"].startswith("Invalid email")
    assert smtp.snapshot() == []


async def test_request_demo_mail_failure_is_a_swapped_500(
    client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    smtp.fail_next = 1
    response = await client.post(
        "/api/v1/request-demo", json={"name": "A", "email": "a@example.test"}
    )
    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "message": None,
        "data": "Failed to send demo code. Please try again.",
    }


async def test_request_demo_is_rate_limited_per_email_and_ip(
    limited: Callable[..., Any], smtp: SmtpSink
) -> None:
    async with limited(RATE_LIMIT_DEMO_REQUEST=2) as (http, _):
        body = {"name": "A", "email": "a@example.test"}
        for _ in range(2):
            assert (await http.post("/api/v1/request-demo", json=body)).status_code == 200
        refused = await http.post("/api/v1/request-demo", json=body)
        assert refused.status_code == 429
        assert "retry-after" in refused.headers
        assert len(smtp.snapshot()) == 2
