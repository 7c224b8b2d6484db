"""One settings class for the whole service.

Every variable name of the original Express backend is kept (including the
``TWILLIO_*`` spelling) so an existing ``.env`` works unchanged. Anything left
unset falls back to a self-contained development setup: an embedded
MongoDB-wire server, media on local disk and an outbox folder for mail/SMS.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-insecure-jwt-secret-change-me"

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_size(value: str | int) -> int:
    """Parse the original's ``"100mb"`` style sizes (binary units, like Express' `bytes`)."""
    if isinstance(value, int):
        return value
    match = _SIZE_RE.match(value)
    if not match:
        raise ValueError(f"invalid size {value!r}; use e.g. 100mb, 512kb or a number of bytes")
    number, unit = match.groups()
    return int(float(number) * _SIZE_UNITS[(unit or "b").lower()])


def _bool_env(value: object) -> object:
    # The original treats only the literal "true" as on for most flags, but
    # S3_ENABLE_DELETE is "anything but false"; pydantic's bool parsing covers
    # both once empty strings are mapped to the default.
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- server -----------------------------------------------------------
    PORT: int = 4000
    NODE_ENV: Literal["development", "production", "test"] = "development"
    FRONTEND_URL: str = "http://localhost:3000"
    CORS_ORIGINS: str = ""
    PUBLIC_URL: str = ""
    REQUEST_TIMEOUT: int = Field(60_000, description="ms; DELETE requests use DELETE_TIMEOUT")
    DELETE_TIMEOUT: int = 30_000
    MAX_FILE_SIZE: str = "100mb"
    ENABLE_CLUSTER: bool = False
    WEB_CONCURRENCY: int = Field(default_factory=lambda: os.cpu_count() or 1)
    TRUSTED_PROXIES: str = ""
    LOG_LEVEL: str = "INFO"

    # --- database ---------------------------------------------------------
    DB_URL: str = ""
    DB_NAME: str = "videodesk"
    DATA_DIR: Path = Path(".data")
    EMBEDDED_MONGO_PORT: int = 27117
    MONGO_TIMEOUT_MS: int = 5_000
    # Seconds a token's user document is reused without a DB read; writes made
    # by this process clear it at once, other processes' within this time
    # (app/core/user_cache.py). 0 turns the cache off.
    USER_CACHE_TTL_SECONDS: float = 2.0

    # --- auth -------------------------------------------------------------
    JWT_SECRET: str = DEFAULT_JWT_SECRET
    JWT_LIFETIME_DAYS: int = 15
    COOKIE_SAMESITE: Literal["lax", "strict", "none"] = "lax"
    COOKIE_DOMAIN: str = ""
    OTP_LENGTH: int = 4
    OTP_TTL_SECONDS: int = 600
    OTP_MAX_ATTEMPTS: int = 5
    RESET_TOKEN_TTL_SECONDS: int = 900

    # --- rate limits (count per window seconds) ---------------------------
    RATE_LIMIT_EMAIL: int = 5
    RATE_LIMIT_EMAIL_WINDOW: int = 900
    RATE_LIMIT_IP: int = 100
    RATE_LIMIT_IP_WINDOW: int = 600
    RATE_LIMIT_PUBLIC: int = 30
    RATE_LIMIT_PUBLIC_WINDOW: int = 60
    # invites (/send-token, /resend-token): per sender, per client IP and per
    # recipient within one window, plus a global daily SMS cap (bill shock).
    RATE_LIMIT_INVITE: int = 30
    RATE_LIMIT_INVITE_IP: int = 60
    RATE_LIMIT_INVITE_RECIPIENT: int = 5
    RATE_LIMIT_INVITE_WINDOW: int = 3600
    INVITE_SMS_DAILY_CAP: int = 1000
    # /send-friend-link (per user and per IP) and /request-demo (per IP and per email)
    RATE_LIMIT_FRIEND_LINK: int = 10
    RATE_LIMIT_FRIEND_LINK_WINDOW: int = 3600
    RATE_LIMIT_DEMO_REQUEST: int = 5
    RATE_LIMIT_DEMO_REQUEST_WINDOW: int = 3600
    # public lead forms (callback / demo meeting) per client IP, and signed-in
    # submissions (site feedback, support tickets) per user
    RATE_LIMIT_FORMS: int = 5
    RATE_LIMIT_FORMS_WINDOW: int = 900
    RATE_LIMIT_SUBMISSIONS: int = 20
    RATE_LIMIT_SUBMISSIONS_WINDOW: int = 3600

    # --- mail -------------------------------------------------------------
    MAIL_HOST: str = ""
    MAIL_PORT: int = 587
    MAIL_USER: str = ""
    MAIL_PASS: str = ""
    MAIL_FROM: str = "Videodesk <no-reply@videodesk.co.uk>"
    MAIL_STARTTLS: Literal["true", "false", "auto"] = "auto"
    MAIL_TIMEOUT: float = 20.0
    FEEDBACK_EMAIL: str = ""
    SUPPORT_TICKET_EMAIL: str = ""
    DEMO_MEETING_EMAIL: str = ""
    CALLBACK_REQUEST_EMAIL: str = ""
    # Demo codes the frontend validates client-side (DemoCode.jsx); values of the original.
    DEMO_CODE_KARLA: str = "7002"
    DEMO_CODE_ANALYZER: str = "6868"

    # --- SMS (names spelled as in the original) ---------------------------
    TWILLIO_ACCOUNT_SID: str = ""
    TWILLIO_AUTH_TOKEN: str = ""
    TWILLIO_PHONE_NUMBER: str = ""
    TWILIO_API_URL: str = ""  # tests and staging point the SDK at another host

    # --- storage ----------------------------------------------------------
    AWS_REGION: str = "us-east-1"
    S3_ACCESS_KEY: str = ""
    S3_SECRET_ACCESS_KEY: str = ""
    S3_BUCKET_NAME: str = ""
    S3_ENDPOINT_URL: str = ""
    S3_PART_SIZE: int = 16 * 1024 * 1024
    S3_QUEUE_SIZE: int = 6
    S3_MAX_RETRIES: int = 3
    S3_CONNECTION_TIMEOUT: int = 3_000
    S3_SOCKET_TIMEOUT: int = 120_000
    S3_USE_ACCELERATE: bool = False
    S3_STORAGE_CLASS: str = "STANDARD"
    S3_ENABLE_DELETE: bool = True
    S3_PUBLIC_BASE_URL: str = ""
    S3_PRESIGN_EXPIRES: int = 7 * 24 * 3600
    MEDIA_ROOT: Path | None = None

    # --- chat history / invite links ---------------------------------------
    CHAT_MAX_MESSAGES: int = 500
    CHAT_MAX_MESSAGE_CHARS: int = 10_000
    # Accept the original's keyless room-link sids; switch off once old links aged out.
    LEGACY_SID_ENABLED: bool = True

    # --- redis / jobs -----------------------------------------------------
    REDIS_URL: str = ""
    SCHEDULER_ENABLED: bool = True
    MEMORY_TRIM_INTERVAL: float = Field(
        2.0, description="s between malloc_trim calls that return freed heap to the OS; 0 = off"
    )
    TRASH_RETENTION_DAYS: int = 10
    UPLOAD_SESSION_TTL_HOURS: int = 24  # staged share-code uploads (U1-U4)
    PURGE_INTERVAL_SECONDS: int = 60
    PURGE_BATCH_SIZE: int = 100

    @field_validator("ENABLE_CLUSTER", "S3_USE_ACCELERATE", "S3_ENABLE_DELETE", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        value = _bool_env(value)
        return value if value is not None else False

    @field_validator("MAX_FILE_SIZE")
    @classmethod
    def _valid_size(cls, value: str) -> str:
        parse_size(value)
        return value

    @field_validator("S3_PART_SIZE", mode="before")
    @classmethod
    def _part_size(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().isdigit():
            return parse_size(value)
        return value

    @model_validator(mode="after")
    def _production_guards(self) -> Settings:
        if self.NODE_ENV == "production" and (
            not self.JWT_SECRET
            or self.JWT_SECRET == DEFAULT_JWT_SECRET
            or len(self.JWT_SECRET) < 16
        ):
            raise ValueError("JWT_SECRET must be set to a strong secret (16+ chars) in production")
        if self.COOKIE_SAMESITE == "none" and not self.cookie_secure:
            raise ValueError("COOKIE_SAMESITE=none requires a Secure cookie (NODE_ENV=production)")
        if self.S3_PART_SIZE < 5 * 1024 * 1024:
            raise ValueError("S3_PART_SIZE must be at least 5 MiB (S3 rejects smaller parts)")
        return self

    # --- derived values ---------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.NODE_ENV == "production"

    @property
    def cookie_secure(self) -> bool:
        return self.NODE_ENV == "production"

    @cached_property
    def max_body_bytes(self) -> int:
        return parse_size(self.MAX_FILE_SIZE)

    @cached_property
    def allowed_origins(self) -> list[str]:
        origins = [self.FRONTEND_URL, *self.CORS_ORIGINS.split(",")]
        cleaned = [o.strip().rstrip("/") for o in origins if o and o.strip()]
        return list(dict.fromkeys(cleaned))

    @cached_property
    def trusted_proxies(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.TRUSTED_PROXIES.split(",") if p.strip())

    @property
    def public_url(self) -> str:
        return (self.PUBLIC_URL or f"http://localhost:{self.PORT}").rstrip("/")

    @property
    def media_root(self) -> Path:
        return self.MEDIA_ROOT or self.DATA_DIR / "media"

    @property
    def outbox_dir(self) -> Path:
        return self.DATA_DIR / "outbox"

    @property
    def uses_s3(self) -> bool:
        return bool(self.S3_BUCKET_NAME)

    @property
    def uses_smtp(self) -> bool:
        return bool(self.MAIL_HOST)

    @property
    def uses_twilio(self) -> bool:
        return bool(self.TWILLIO_ACCOUNT_SID and self.TWILLIO_AUTH_TOKEN)


def get_settings() -> Settings:
    """Read settings from the environment (and `.env`). Called once by the app factory."""
    return Settings()
