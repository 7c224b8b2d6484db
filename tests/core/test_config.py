from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import DEFAULT_JWT_SECRET, Settings, parse_size


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100mb", 100 * 1024**2),
        ("512KB", 512 * 1024),
        ("1gb", 1024**3),
        ("2048", 2048),
        ("1.5mb", 1572864),
    ],
)
def test_parse_size_understands_the_originals_units(text: str, expected: int) -> None:
    assert parse_size(text) == expected


def test_parse_size_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size("lots")


def test_defaults_describe_a_self_contained_dev_setup() -> None:
    settings = make()
    assert settings.PORT == 4000
    assert settings.NODE_ENV == "development"
    assert settings.DB_URL == ""
    assert settings.uses_s3 is False
    assert settings.uses_smtp is False
    assert settings.uses_twilio is False
    assert settings.media_root == Path(".data") / "media"
    assert settings.max_body_bytes == 100 * 1024**2
    assert settings.S3_ENABLE_DELETE is True


def test_original_variable_names_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILLIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILLIO_AUTH_TOKEN", "tok")
    monkeypatch.setenv("MAX_FILE_SIZE", "50mb")
    monkeypatch.setenv("S3_ENABLE_DELETE", "false")
    monkeypatch.setenv("S3_PART_SIZE", "8388608")
    monkeypatch.setenv("ENABLE_CLUSTER", "true")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example/")
    monkeypatch.setenv("FRONTEND_URL", "https://app.example")
    settings = make()
    assert settings.uses_twilio
    assert settings.max_body_bytes == 50 * 1024**2
    assert settings.S3_ENABLE_DELETE is False
    assert settings.S3_PART_SIZE == 8 * 1024**2
    assert settings.ENABLE_CLUSTER is True
    assert settings.allowed_origins == [
        "https://app.example",
        "https://a.example",
        "https://b.example",
    ]


def test_production_refuses_missing_or_default_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        make(NODE_ENV="production")
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        make(NODE_ENV="production", JWT_SECRET=DEFAULT_JWT_SECRET)
    assert make(NODE_ENV="production", JWT_SECRET="x" * 32).cookie_secure is True


def test_samesite_none_needs_a_secure_cookie() -> None:
    with pytest.raises(ValidationError, match="Secure"):
        make(COOKIE_SAMESITE="none")


def test_part_size_below_s3_minimum_is_refused() -> None:
    with pytest.raises(ValidationError, match="5 MiB"):
        make(S3_PART_SIZE=1024)


def test_invalid_max_file_size_is_refused() -> None:
    with pytest.raises(ValidationError, match="invalid size"):
        make(MAX_FILE_SIZE="huge")


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = {
        line.split("=", 1)[0].strip()
        for line in example.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = sorted(set(Settings.model_fields) - documented)
    assert missing == []
