"""Property-based fuzzing of every operation in the app's own OpenAPI document.

A real ``uvicorn app.main:app`` process serves a fresh database and bucket; a
superadmin's cookie rides on every request, so the generated requests reach
the handlers rather than stopping at 401. For each operation schemathesis
draws a few deterministic examples (valid and invalid data) and the test
checks that

* no answer is a 5xx,
* every error (4xx) is the ``{success: false, message}`` envelope, except on
  the documented non-envelope routes,
* every answer conforms to the response schema the document declares
  (``app/api/openapi.py``: SuccessEnvelope / ErrorEnvelope per status).

Routes that revoke the cookie (logout, password changes) are left out, or the
rest of the run would only see 401s.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import schemathesis
from bson import ObjectId
from hypothesis import HealthCheck, Phase, settings
from pymongo import MongoClient
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.api.openapi import NON_ENVELOPE_PATHS
from app.core.config import Settings
from app.core.security import create_access_token
from app.main import create_app
from tests.conftest import Servers
from tests.factories.users import _DEFAULT_HASH
from tests.support.nodes import REPO, node_env
from tests.support.servers import free_port

pytestmark = pytest.mark.resilience

JWT_SECRET = "schemathesis-secret-0123456789abcdef"
MAX_EXAMPLES = 5
# Revoke the caller's own session (tokenVersion++) or the cookie entirely.
EXCLUDED_PATHS = r"^/api/v1/(logout|user/change-password|user/reset-password)$"


class Node:
    def __init__(self, url: str, cookie: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.cookie = cookie
        self.proc = proc
        self.log = log


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"node exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(urllib.error.URLError, OSError):
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                if response.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"node did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def fuzz_node(servers: Servers) -> Iterator[Node]:
    database = f"fuzz_{uuid.uuid4().hex[:10]}"
    bucket = f"fuzz-{uuid.uuid4().hex[:10]}"
    boto3.client(
        "s3",
        endpoint_url=servers.moto.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    mongo: MongoClient[dict[str, Any]] = MongoClient(servers.mongo.url)
    user_id = ObjectId()
    mongo[database]["users"].insert_one(
        {
            "_id": user_id,
            "email": "fuzz-boss@example.test",
            "password": _DEFAULT_HASH,
            "role": "superadmin",
            "status": "active",
            "tokenVersion": 0,
            "deleted": False,
        }
    )
    token = create_access_token(str(user_id), JWT_SECRET, timedelta(days=1), 0)
    with tempfile.TemporaryDirectory(prefix="videodesk-fuzz-") as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            DB_URL=f"{servers.mongo.url}/{database}",
            JWT_SECRET=JWT_SECRET,
            S3_BUCKET_NAME=bucket,
            S3_ENDPOINT_URL=servers.moto.url,
            S3_ACCESS_KEY="test",
            S3_SECRET_ACCESS_KEY="test",
            S3_PART_SIZE=5 * 1024 * 1024,
            MAIL_HOST=servers.smtp.host,
            MAIL_PORT=servers.smtp.port,
            DATA_DIR=Path(tmp),
        )
        port = free_port()
        env = node_env(
            settings,
            "",
            port,
            {
                "ENABLE_CLUSTER": "false",
                "TWILLIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILLIO_AUTH_TOKEN": "test-token",
                "TWILLIO_PHONE_NUMBER": "+15005550006",
                "TWILIO_API_URL": servers.twilio.url,
                # Fuzzing is one client hammering every route: limits would
                # turn most of the run into 429s and hide what lies behind them.
                **dict.fromkeys(
                    (
                        "RATE_LIMIT_EMAIL",
                        "RATE_LIMIT_IP",
                        "RATE_LIMIT_PUBLIC",
                        "RATE_LIMIT_INVITE",
                        "RATE_LIMIT_INVITE_IP",
                        "RATE_LIMIT_INVITE_RECIPIENT",
                        "RATE_LIMIT_FRIEND_LINK",
                        "RATE_LIMIT_DEMO_REQUEST",
                        "RATE_LIMIT_FORMS",
                        "RATE_LIMIT_SUBMISSIONS",
                        "INVITE_SMS_DAILY_CAP",
                    ),
                    "1000000",
                ),
                "MAX_FILE_SIZE": "2mb",
                "REQUEST_TIMEOUT": "20000",
            },
        )
        log = Path(tmp) / "node.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
                cwd=REPO,
                env={**os.environ, **env},
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc, log)
            yield Node(url, token, proc, log)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            mongo.drop_database(database)
            mongo.close()


def _document() -> dict[str, Any]:
    """The document the node serves at /openapi.json: building it needs no server,
    so the operations can be parametrised at collection time."""
    app = create_app(Settings(_env_file=None, LOG_LEVEL="WARNING"))  # type: ignore[call-arg]
    document: dict[str, Any] = app.openapi()
    return document


def error_envelope(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx body is ``{success: false, message}`` outside the listed routes."""
    if response.status_code < 400 or case.operation.path in NON_ENVELOPE_PATHS:
        return None
    body = response.json()
    assert isinstance(body, dict), f"{response.status_code}: {response.text[:300]}"
    assert body.get("success") is False, f"{response.status_code}: {response.text[:300]}"
    assert "message" in body, f"{response.status_code}: {response.text[:300]}"
    return True


schema = schemathesis.openapi.from_dict(_document()).exclude(path_regex=EXCLUDED_PATHS)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_in_the_envelope_without_5xx(case: Any, fuzz_node: Node) -> None:
    response = case.call(base_url=fuzz_node.url, cookies={"token": fuzz_node.cookie}, timeout=30)
    case.validate_response(
        response,
        checks=[not_a_server_error, error_envelope, response_schema_conformance],
    )
