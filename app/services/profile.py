"""Profile, branding and settings of the signed-in user (core-api.md §5).

Images arrive as base64 data URLs and go through :mod:`app.services.media`
(strict base64, streamed into storage). Decisions where the spec is silent:

* Accepted image types: PNG, JPEG, WebP, GIF (no SVG: media are served from
  the API origin). At most ``BRANDING_IMAGE_MAX_BYTES`` (5 MB) decoded → 413.
  A missing or malformed data URL is a 400, not the original's 500.
* The stored extension follows the MIME type (the original forced ``.png``
  for logos while keeping the real Content-Type).
* A storage object is only ever deleted when its key lies under one of the
  caller's own prefixes (``videodesk_logos/<id>/`` …), so a URL pointed at
  someone else's object can never make us delete it.
* Uploading a landlord logo / officer image does not delete the previous one
  (the user may still cancel the dialog); the old object is deleted when
  ``saveLandlordInfo`` replaces the URL, or by the explicit delete actions.
* ``saveLandlordInfo`` URLs: ``landlordLogo``/``officerImage`` must be http(s)
  URLs or null; redirect URLs may be empty, the ``www.`` marker, an http(s)
  URL or a bare host name such as ``www.example.com`` (what the form offers);
  any other scheme (``javascript:``, ``data:``) is refused with 400.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any
from urllib.parse import urlparse

from app.core.errors import AppError, BadRequest, NotFound
from app.core.logging import get_logger
from app.models.base import utcnow
from app.models.user import LandlordInfo, MessageSettings, User
from app.services.context import AppContext
from app.services.media import extension_for, parse_data_url, store_data_url
from app.services.storage import StorageError

log = get_logger(__name__)

BRANDING_IMAGE_MIMES: frozenset[str] = frozenset(
    {"image/png", "image/jpeg", "image/webp", "image/gif"}
)
BRANDING_IMAGE_MAX_BYTES = 5 * 1024 * 1024

LOGO_PREFIX = "videodesk_logos"
LANDLORD_LOGO_PREFIX = "landlord_logos"
OFFICER_IMAGE_PREFIX = "officer_images"
_OWN_PREFIXES = (LOGO_PREFIX, LANDLORD_LOGO_PREFIX, OFFICER_IMAGE_PREFIX)

VALID_ITEMS_PER_PAGE = frozenset({10, 20, 30, 40, 50})
MESSAGE_OPTIONS = frozenset({"", "default", "tailored"})
MAX_TAILORED_MESSAGE = 2000
MAX_SHORT_TEXT = 100
MAX_URL_LENGTH = 2048
_BARE_HOST_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?([/?#]\S*)?$")

SAVE_LANDLORD_FIELDS = (
    "landlordName",
    "landlordLogo",
    "officerImage",
    "useLandlordLogoAsProfile",
    "profileShape",
    "redirectUrlDefault",
    "redirectUrlTailored",
)


class UploadFailed(AppError):
    status_code = 500


# --------------------------------------------------------------------------- images


def owned_image_key(ctx: AppContext, user_id: str, url: str | None) -> str | None:
    """The storage key behind ``url`` if it is one of this user's branding objects."""
    if not url or not isinstance(url, str):
        return None
    key = ctx.storage.key_from_url(url)
    if not key:
        return None
    if any(key.startswith(f"{prefix}/{user_id}/") for prefix in _OWN_PREFIXES):
        return key
    return None


async def _delete_owned(ctx: AppContext, user_id: str, url: str | None) -> None:
    key = owned_image_key(ctx, user_id, url)
    if key:
        results = await ctx.storage.delete_many([key])
        log.info("profile.image_deleted", key=key, deleted=bool(results and results[0].deleted))


async def _store_image(
    ctx: AppContext, user_id: str, prefix: str, data: object, failure: str
) -> str:
    data_url = parse_data_url(data)
    if data_url.mime not in BRANDING_IMAGE_MIMES:
        raise BadRequest("Only PNG, JPEG, WebP or GIF images are allowed")
    key = (
        f"{prefix}/{user_id}/{int(time.time() * 1000)}_{secrets.token_hex(8)}"
        f".{extension_for(data_url.mime)}"
    )
    try:
        stored = await store_data_url(
            ctx.storage,
            key,
            data_url,
            max_bytes=BRANDING_IMAGE_MAX_BYTES,
            allowed_mimes=BRANDING_IMAGE_MIMES,
        )
    except StorageError as exc:
        log.error("profile.image_store_failed", key=key, error=str(exc))
        raise UploadFailed(failure) from exc
    return stored.url


async def _save(user: User, fields: dict[str, Any], unset: list[str] | None = None) -> User:
    update: dict[str, Any] = {"$set": {**fields, "updatedAt": utcnow()}}
    if unset:
        update["$unset"] = dict.fromkeys(unset, "")
    await User.get_pymongo_collection().update_one({"_id": user.id}, update)
    fresh = await User.get(user.id)  # type: ignore[arg-type]
    if fresh is None:
        raise NotFound("User not found")
    return fresh


async def update_logo(ctx: AppContext, user: User, logo_data: object) -> tuple[str, User]:
    """``PUT /user/update-logo``: store the new logo, then drop the old object."""
    if not logo_data:
        raise BadRequest("Logo data is required")
    url = await _store_image(ctx, str(user.id), LOGO_PREFIX, logo_data, "Failed to upload logo")
    previous = user.logo
    fresh = await _save(user, {"logo": url})
    if previous and previous != url:
        await _delete_owned(ctx, str(user.id), previous)
    log.info("profile.logo_updated", user_id=str(user.id))
    return url, fresh


async def upload_landlord_logo(ctx: AppContext, user: User, data: object) -> str:
    if not data:
        raise BadRequest("Logo data is required")
    return await _store_image(
        ctx, str(user.id), LANDLORD_LOGO_PREFIX, data, "Failed to upload landlord logo"
    )


async def upload_officer_image(ctx: AppContext, user: User, data: object) -> str:
    if not data:
        raise BadRequest("Image data is required")
    return await _store_image(
        ctx, str(user.id), OFFICER_IMAGE_PREFIX, data, "Failed to upload officer image"
    )


async def delete_landlord_logo(ctx: AppContext, user: User) -> User:
    current = user.landlordInfo.landlordLogo
    if not current:
        raise BadRequest("No landlord logo to delete")
    fresh = await _save(
        user,
        {"landlordInfo.useLandlordLogoAsProfile": False},
        unset=["landlordInfo.landlordLogo"],
    )
    await _delete_owned(ctx, str(user.id), current)
    return fresh


async def delete_officer_image(ctx: AppContext, user: User) -> User:
    current = user.landlordInfo.officerImage
    if not current:
        raise BadRequest("No officer image to delete")
    fresh = await _save(user, {}, unset=["landlordInfo.officerImage"])
    await _delete_owned(ctx, str(user.id), current)
    return fresh


def _image_url(name: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        raise BadRequest(f"Invalid {name}")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BadRequest(f"Invalid {name}: only http(s) URLs are allowed")
    return value


def _redirect_url(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        raise BadRequest(f"Invalid {name}")
    text = value.strip()
    if text in ("", "www."):
        return text
    parsed = urlparse(text)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return text
    if _BARE_HOST_RE.match(text):
        return text
    raise BadRequest(f"Invalid {name}: use a web address (http or https)")


async def save_landlord_info(
    ctx: AppContext, user: User, values: dict[str, Any], present: set[str]
) -> User:
    """Overwrite the seven ``landlordInfo`` keys; absent keys are removed (original)."""
    updates: dict[str, Any] = {}
    unset: list[str] = []

    def put(key: str, value: Any) -> None:
        if key not in present:
            unset.append(f"landlordInfo.{key}")
        else:
            updates[f"landlordInfo.{key}"] = value

    name = values.get("landlordName")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_SHORT_TEXT * 2):
        raise BadRequest("Invalid landlordName")
    put("landlordName", name)
    logo = _image_url("landlordLogo", values.get("landlordLogo"))
    put("landlordLogo", logo)
    officer = _image_url("officerImage", values.get("officerImage"))
    put("officerImage", officer)
    use_logo = values.get("useLandlordLogoAsProfile")
    if use_logo is not None and not isinstance(use_logo, bool):
        raise BadRequest("Invalid useLandlordLogoAsProfile")
    put("useLandlordLogoAsProfile", use_logo)
    shape = values.get("profileShape")
    if shape not in (None, "square", "circle"):
        raise BadRequest("Invalid profileShape: use square or circle")
    put("profileShape", shape)
    put("redirectUrlDefault", _redirect_url("redirectUrlDefault", values.get("redirectUrlDefault")))
    put(
        "redirectUrlTailored",
        _redirect_url("redirectUrlTailored", values.get("redirectUrlTailored")),
    )

    previous = user.landlordInfo
    fresh = await _save(user, updates, unset)
    for old, new in ((previous.landlordLogo, logo), (previous.officerImage, officer)):
        if old and old != new:
            await _delete_owned(ctx, str(user.id), old)
    log.info("profile.landlord_info_saved", user_id=str(user.id))
    return fresh


def landlord_info(user: User) -> dict[str, Any]:
    return (user.landlordInfo or LandlordInfo()).model_dump()


# --------------------------------------------------------------------------- settings


def _text_setting(name: str, value: object, default: str, limit: int) -> str:
    if value is None or value == "" or value is False:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"Invalid {name}")
    if len(value) > limit:
        raise BadRequest(f"{name} is too long (at most {limit} characters)")
    return value


async def save_message_settings(
    ctx: AppContext, user: User, values: dict[str, Any]
) -> tuple[dict[str, Any], User]:
    """Replace the whole object; falsy values become the defaults (original)."""
    option = values.get("messageOption") or ""
    if not isinstance(option, str) or option not in MESSAGE_OPTIONS:
        raise BadRequest("Invalid message option: use default or tailored")
    settings = MessageSettings(
        messageOption=option,  # type: ignore[arg-type]
        tailoredMessage=_text_setting(
            "tailoredMessage", values.get("tailoredMessage"), "", MAX_TAILORED_MESSAGE
        ),
        defaultTextSize=_text_setting(
            "defaultTextSize", values.get("defaultTextSize"), "14px", MAX_SHORT_TEXT
        ),
        tailoredTextSize=_text_setting(
            "tailoredTextSize", values.get("tailoredTextSize"), "14px", MAX_SHORT_TEXT
        ),
        selectedButtonColor=_text_setting(
            "selectedButtonColor", values.get("selectedButtonColor"), "bg-green-800", MAX_SHORT_TEXT
        ),
    )
    payload = settings.model_dump()
    fresh = await _save(user, {"messageSettings": payload})
    await ctx.notifier.message_settings_updated(str(user.id), payload)
    log.info("profile.message_settings_saved", user_id=str(user.id))
    return payload, fresh


def message_settings(user: User) -> dict[str, Any]:
    return (user.messageSettings or MessageSettings()).model_dump()


async def save_pagination_settings(user: User, items_per_page: object) -> dict[str, Any]:
    """``itemsPerPage`` must be the JSON number 10/20/30/40/50 (a string is refused)."""
    valid = (
        isinstance(items_per_page, int | float)
        and not isinstance(items_per_page, bool)
        and float(items_per_page).is_integer()
        and int(items_per_page) in VALID_ITEMS_PER_PAGE
    )
    if not valid:
        raise BadRequest("Invalid items per page value")
    value = int(items_per_page)  # type: ignore[call-overload]
    await _save(user, {"paginationSettings.itemsPerPage": value})
    return {"itemsPerPage": value}


def pagination_settings(user: User) -> dict[str, Any]:
    return {"itemsPerPage": user.paginationSettings.itemsPerPage}
