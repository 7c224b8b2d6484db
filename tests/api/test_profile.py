"""Profile, branding images and settings (core-api.md §5) against real MongoDB and S3 (moto)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from app.models.user import User
from app.services.context import AppContext
from tests.factories.users import cookies_for, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def key_of(ctx: AppContext, url: str) -> str:
    key = ctx.storage.key_from_url(url)
    assert key is not None
    return key


def object_exists(s3: Any, bucket: str, key: str) -> bool:
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


@pytest.fixture
async def landlord(ctx: AppContext) -> tuple[User, dict[str, str]]:
    user = await make_user()
    return user, cookies_for(ctx, user)


async def test_update_logo_stores_the_image_and_replaces_the_old_one(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, landlord: tuple[User, dict[str, str]]
) -> None:
    user, cookies = landlord
    bucket = ctx.settings.S3_BUCKET_NAME
    first = await client.put(
        "/api/v1/user/update-logo", json={"logoData": PNG_URL}, cookies=cookies
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["success"] is True
    assert body["message"] == "Logo updated successfully"
    assert body["user"]["logo"] == body["logoUrl"]
    assert "password" not in body["user"]
    first_key = key_of(ctx, body["logoUrl"])
    assert first_key.startswith(f"videodesk_logos/{user.id}/")
    assert first_key.endswith(".png")
    stored = s3.get_object(Bucket=bucket, Key=first_key)
    assert stored["Body"].read() == PNG
    assert stored["ContentType"] == "image/png"

    second = await client.put(
        "/api/v1/user/update-logo", json={"logoData": PNG_URL}, cookies=cookies
    )
    assert second.status_code == 200
    assert not object_exists(s3, bucket, first_key)
    assert object_exists(s3, bucket, key_of(ctx, second.json()["logoUrl"]))


async def test_update_logo_refuses_bad_input(
    client: httpx.AsyncClient, landlord: tuple[User, dict[str, str]]
) -> None:
    _, cookies = landlord
    url = "/api/v1/user/update-logo"
    missing = await client.put(url, json={}, cookies=cookies)
    assert (missing.status_code, missing.json()) == (
        400,
        {"success": False, "message": "Logo data is required"},
    )
    svg = "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode()
    assert (await client.put(url, json={"logoData": svg}, cookies=cookies)).status_code == 400
    broken = await client.put(url, json={"logoData": "data:image/png;base64,@@@@"}, cookies=cookies)
    assert broken.status_code == 400
    big = "data:image/png;base64," + base64.b64encode(b"\0" * (5 * 1024 * 1024 + 3)).decode()
    assert (await client.put(url, json={"logoData": big}, cookies=cookies)).status_code == 413
    assert (await client.put(url, json={"logoData": PNG_URL})).status_code == 401


async def test_landlord_images_upload_save_and_delete(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, landlord: tuple[User, dict[str, str]]
) -> None:
    user, cookies = landlord
    bucket = ctx.settings.S3_BUCKET_NAME
    url = "/api/v1/user/update-landlord-info"
    logo = await client.put(
        url, json={"type": "landlordLogo", "logoData": PNG_URL}, cookies=cookies
    )
    assert logo.status_code == 200
    assert set(logo.json()) == {"success", "message", "logoUrl"}
    assert logo.json()["message"] == "Landlord logo uploaded successfully"
    logo_url = logo.json()["logoUrl"]
    assert key_of(ctx, logo_url).startswith(f"landlord_logos/{user.id}/")

    officer = await client.put(
        url, json={"type": "officerImage", "imageData": PNG_URL}, cookies=cookies
    )
    assert officer.status_code == 200
    assert officer.json()["message"] == "Officer image uploaded successfully"
    officer_url = officer.json()["imageUrl"]
    assert key_of(ctx, officer_url).startswith(f"officer_images/{user.id}/")

    saved = await client.put(
        url,
        json={
            "type": "saveLandlordInfo",
            "landlordName": "Acme Homes",
            "landlordLogo": logo_url,
            "officerImage": officer_url,
            "useLandlordLogoAsProfile": True,
            "profileShape": "circle",
            "redirectUrlDefault": "https://acme.example/thanks",
            "redirectUrlTailored": "www.",
        },
        cookies=cookies,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["message"] == "Landlord information saved successfully"
    info = saved.json()["user"]["landlordInfo"]
    assert info == {
        "landlordName": "Acme Homes",
        "landlordLogo": logo_url,
        "officerImage": officer_url,
        "useLandlordLogoAsProfile": True,
        "profileShape": "circle",
        "redirectUrlDefault": "https://acme.example/thanks",
        "redirectUrlTailored": "www.",
    }
    got = await client.get("/api/v1/user/landlord-info", cookies=cookies)
    assert got.json() == {"success": True, "landlordInfo": info}

    deleted = await client.put(url, json={"type": "deleteLandlordLogo"}, cookies=cookies)
    assert deleted.status_code == 200
    assert deleted.json()["message"] == "Landlord logo deleted successfully"
    assert deleted.json()["user"]["landlordInfo"]["useLandlordLogoAsProfile"] is False
    assert deleted.json()["user"]["landlordInfo"].get("landlordLogo") is None
    assert not object_exists(s3, bucket, key_of(ctx, logo_url))
    again = await client.put(url, json={"type": "deleteLandlordLogo"}, cookies=cookies)
    assert (again.status_code, again.json()) == (
        400,
        {"success": False, "message": "No landlord logo to delete"},
    )

    gone = await client.put(url, json={"type": "deleteOfficerImage"}, cookies=cookies)
    assert gone.status_code == 200
    assert gone.json()["message"] == "Officer image deleted successfully"
    assert not object_exists(s3, bucket, key_of(ctx, officer_url))
    again = await client.put(url, json={"type": "deleteOfficerImage"}, cookies=cookies)
    assert again.json()["message"] == "No officer image to delete"


async def test_save_landlord_info_validates_urls_and_shape(
    client: httpx.AsyncClient, landlord: tuple[User, dict[str, str]]
) -> None:
    _, cookies = landlord
    url = "/api/v1/user/update-landlord-info"
    for bad in (
        {"redirectUrlTailored": "javascript:alert(1)"},
        {"redirectUrlDefault": "data:text/html,hi"},
        {"landlordLogo": "javascript:alert(1)"},
        {"officerImage": "ftp://example.test/x.png"},
        {"profileShape": "triangle"},
    ):
        response = await client.put(url, json={"type": "saveLandlordInfo", **bad}, cookies=cookies)
        assert response.status_code == 400, bad
    ok = await client.put(
        url,
        json={
            "type": "saveLandlordInfo",
            "landlordName": "Videodesk",
            "landlordLogo": None,
            "officerImage": None,
            "redirectUrlTailored": "www.acme-homes.co.uk/after-call",
        },
        cookies=cookies,
    )
    assert ok.status_code == 200
    info = ok.json()["user"]["landlordInfo"]
    assert info["redirectUrlTailored"] == "www.acme-homes.co.uk/after-call"
    assert info["landlordLogo"] is None
    invalid = await client.put(url, json={"type": "somethingElse"}, cookies=cookies)
    assert (invalid.status_code, invalid.json()) == (
        400,
        {"success": False, "message": "Invalid request type"},
    )


async def test_a_foreign_image_url_is_never_deleted(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any
) -> None:
    victim = await make_user()
    victim_cookies = cookies_for(ctx, victim)
    uploaded = await client.put(
        "/api/v1/user/update-landlord-info",
        json={"type": "landlordLogo", "logoData": PNG_URL},
        cookies=victim_cookies,
    )
    victim_url = uploaded.json()["logoUrl"]
    attacker = await make_user()
    cookies = cookies_for(ctx, attacker)
    url = "/api/v1/user/update-landlord-info"
    await client.put(
        url, json={"type": "saveLandlordInfo", "landlordLogo": victim_url}, cookies=cookies
    )
    response = await client.put(url, json={"type": "deleteLandlordLogo"}, cookies=cookies)
    assert response.status_code == 200
    assert object_exists(s3, ctx.settings.S3_BUCKET_NAME, key_of(ctx, victim_url))


async def test_message_settings_roundtrip_and_push(
    client: httpx.AsyncClient, ctx: AppContext, landlord: tuple[User, dict[str, str]]
) -> None:
    user, cookies = landlord
    pushed: list[tuple[str, Any, str]] = []

    class Recorder:
        async def emit(self, event: str, data: Any, room: str) -> None:
            pushed.append((event, data, room))

    ctx.notifier.attach(Recorder())
    got = await client.get("/api/v1/user/message-settings", cookies=cookies)
    assert got.json() == {
        "success": True,
        "messageSettings": {
            "messageOption": "",
            "tailoredMessage": "",
            "defaultTextSize": "14px",
            "tailoredTextSize": "14px",
            "selectedButtonColor": "bg-green-800",
        },
    }
    response = await client.put(
        "/api/v1/user/message-settings",
        json={
            "messageOption": "tailored",
            "tailoredMessage": "Hello <b>there</b>",
            "defaultTextSize": "",
            "tailoredTextSize": "18px",
            "selectedButtonColor": "bg-blue-800",
        },
        cookies=cookies,
    )
    assert response.status_code == 200
    body = response.json()
    expected = {
        "messageOption": "tailored",
        "tailoredMessage": "Hello <b>there</b>",
        "defaultTextSize": "14px",
        "tailoredTextSize": "18px",
        "selectedButtonColor": "bg-blue-800",
    }
    assert body["message"] == "Message settings saved successfully"
    assert body["messageSettings"] == expected
    assert body["user"]["messageSettings"] == expected
    assert body["user"]["_id"] == str(user.id)
    assert pushed == [("message-settings-updated", expected, f"user-{user.id}")]

    bad = await client.put(
        "/api/v1/user/message-settings", json={"messageOption": "shouting"}, cookies=cookies
    )
    assert bad.status_code == 400
    assert (await client.get("/api/v1/user/message-settings")).status_code == 401


async def test_pagination_settings_accept_only_the_listed_numbers(
    client: httpx.AsyncClient, landlord: tuple[User, dict[str, str]]
) -> None:
    _, cookies = landlord
    url = "/api/v1/user/pagination-settings"
    got = await client.get(url, cookies=cookies)
    assert got.json() == {"success": True, "paginationSettings": {"itemsPerPage": 10}}
    for bad in ("20", 25, 60, True, None):
        response = await client.put(url, json={"itemsPerPage": bad}, cookies=cookies)
        assert (response.status_code, response.json()) == (
            400,
            {"success": False, "message": "Invalid items per page value"},
        ), bad
    response = await client.put(url, json={"itemsPerPage": 30}, cookies=cookies)
    assert response.json() == {
        "success": True,
        "message": "Pagination settings saved successfully",
        "paginationSettings": {"itemsPerPage": 30},
    }
    got = await client.get(url, cookies=cookies)
    assert got.json()["paginationSettings"] == {"itemsPerPage": 30}
    assert (await client.put(url, json={"itemsPerPage": 30})).status_code == 401
