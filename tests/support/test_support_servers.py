"""The support servers themselves: each one started for real, used, and stopped."""

from __future__ import annotations

import smtplib
import textwrap
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
import redis
from pymongo import MongoClient
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from . import fake_twilio
from .fake_twilio import FakeTwilio
from .servers import restart, start_mongo, start_moto, start_redis
from .smtp_sink import SmtpSink, extract_otp, extract_url


def test_mongo_keeps_data_across_restart_on_same_port(tmp_path: Path) -> None:
    server = start_mongo(tmp_path / "db", log_dir=tmp_path, sync_on_commit=True)
    try:
        assert server.url == f"mongodb://127.0.0.1:{server.port}"
        client: MongoClient[dict[str, Any]] = MongoClient(server.url, serverSelectionTimeoutMS=5000)
        client.videodesk.rooms.insert_one({"name": "room-1", "participants": 2})
        client.close()

        server.stop()
        assert not server.alive()
        server = restart(server)
        assert server.alive()

        client = MongoClient(server.url, serverSelectionTimeoutMS=5000)
        found = client.videodesk.rooms.find_one({"name": "room-1"}, {"_id": 0})
        client.videodesk.rooms.insert_one({"name": "room-2"})
        client.close()
        assert found == {"name": "room-1", "participants": 2}

        # A crash (SIGKILL) keeps committed data too, thanks to sync_on_commit.
        server.kill()
        assert not server.alive()
        server = restart(server)
        client = MongoClient(server.url, serverSelectionTimeoutMS=5000)
        assert client.videodesk.rooms.count_documents({}) == 2
        client.close()
    finally:
        # kill(), not stop(): a graceful SecantusDB shutdown costs 2 s.
        server.kill()
    assert not server.alive()
    assert server.log_path.is_file()


def test_moto_serves_s3(tmp_path: Path) -> None:
    server = start_moto(log_dir=tmp_path)
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="videodesk")
        s3.put_object(Bucket="videodesk", Key="rooms/r1/photo.jpg", Body=b"\xff\xd8jpeg")
        got = s3.get_object(Bucket="videodesk", Key="rooms/r1/photo.jpg")
        assert got["Body"].read() == b"\xff\xd8jpeg"
    finally:
        server.stop()
    assert not server.alive()


def test_redis_answers_and_restarts(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis", log_dir=tmp_path)
    try:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        with redis.Redis.from_url(server.url) as conn:
            assert conn.ping() is True
            conn.set("k", "v")
        server = restart(server)
        with redis.Redis.from_url(server.url) as conn:
            # Persistence is off: a restarted Redis is empty.
            assert conn.get("k") is None
    finally:
        server.stop()


def test_start_redis_without_binary_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="apt-get install redis-server"):
        start_redis(tmp_path / "redis")


def _mail(to: str, subject: str, text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Videodesk <no-reply@videodesk.test>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def test_smtp_sink_captures_mail_and_fails_on_demand() -> None:
    with SmtpSink() as sink, smtplib.SMTP(sink.host, sink.port, timeout=5) as smtp:
        smtp.login("mailer", "secret")
        smtp.send_message(
            _mail(
                "Alice@Example.com",
                "Your code",
                "Your verification code is 4821. Valid until 2099.\n"
                "Or open https://app.videodesk.test/verify?token=abc&x=1.\n",
                '<p>Code <b>4821</b> <a href="https://app.videodesk.test/verify?token=abc&amp;x=1">'
                "verify</a></p>",
            )
        )
        mail = sink.wait_for("alice@example.com", subject_contains="code")
        assert mail.mail_from == "no-reply@videodesk.test"
        assert mail.rcpt_tos == ["Alice@Example.com"]
        assert mail.subject == "Your code"
        assert extract_otp(mail.text) == "4821"
        assert (
            extract_url(mail.text, "/verify") == "https://app.videodesk.test/verify?token=abc&x=1"
        )
        assert mail.html is not None
        assert (
            extract_url(mail.html, "/verify") == "https://app.videodesk.test/verify?token=abc&x=1"
        )
        assert sink.auth_logins == ["mailer"]

        sink.fail_next = 1
        with pytest.raises(smtplib.SMTPDataError) as failed:
            smtp.send_message(_mail("bob@example.com", "Hi", "one", "<p>one</p>"))
        assert failed.value.smtp_code == 451
        smtp.send_message(_mail("bob@example.com", "Hi", "two", "<p>two</p>"))
        assert sink.wait_for("bob@example.com").text.strip() == "two"

        # Each message is handed out once.
        with pytest.raises(AssertionError, match=r"bob@example\.com"):
            sink.wait_for("bob@example.com", timeout=0.1)

    # Mail server down, then back on the same port.
    port = sink.port
    with pytest.raises(OSError):
        smtplib.SMTP(sink.host, port, timeout=2)
    sink.start()
    try:
        assert sink.port == port
        with smtplib.SMTP(sink.host, port, timeout=5) as smtp:
            smtp.send_message(_mail("carol@example.com", "Back", "up again", "<p>up</p>"))
        assert sink.wait_for("carol@example.com").subject == "Back"
        assert len(sink.messages) == 3
    finally:
        sink.stop()


def test_extract_helpers_on_edge_cases() -> None:
    assert extract_otp("ref 12345, code 987654.", digits=6) == "987654"
    assert extract_url("(see https://x.test/a/b).", "x.test") == "https://x.test/a/b"
    with pytest.raises(AssertionError):
        extract_otp("no code here")


def _snippet_namespace() -> dict[str, Any]:
    """Runs the host-rewrite snippet documented in fake_twilio's docstring, verbatim."""
    doc = fake_twilio.__doc__ or ""
    start = doc.rindex("\n", 0, doc.index("# --- begin snippet ---")) + 1
    end = doc.index("# --- end snippet ---")
    namespace: dict[str, Any] = {"__name__": "twilio_snippet"}
    exec(textwrap.dedent(doc[start:end]), namespace)
    return namespace


@pytest.mark.asyncio
async def test_twilio_sdk_async_client_reaches_the_fake() -> None:
    redirecting = _snippet_namespace()["RedirectingAsyncTwilioHttpClient"]
    account_sid = "AC" + "0" * 32
    with FakeTwilio() as fake:
        http_client = redirecting(fake.url)
        try:
            client = Client(account_sid, "auth-token", http_client=http_client)
            message = await client.messages.create_async(
                to="+15005550006", from_="+15005550001", body="Your code is 1234"
            )
            assert message.sid.startswith("SM")
            assert message.status == "queued"

            sms = fake.wait_for("+15005550006")
            assert (sms.to, sms.from_, sms.body) == ("+15005550006", "+15005550001", message.body)
            assert sms.account_sid == account_sid
            assert sms.auth_user == account_sid
            assert sms.sid == message.sid

            fake.fail_with = (400, 21211, "Invalid 'To' Phone Number")
            with pytest.raises(TwilioRestException) as failed:
                await client.messages.create_async(to="+1", from_="+15005550001", body="x")
            assert failed.value.code == 21211
            assert failed.value.status == 400
            assert "Invalid 'To' Phone Number" in failed.value.msg
            assert [r.to for r in fake.rejected] == ["+1"]
            fake.fail_with = None

            # Twilio unreachable, then back on the same port, with the same pooled client.
            port = fake.port
            fake.stop()
            with pytest.raises(aiohttp.ClientError):
                await client.messages.create_async(to="+15005550007", from_="+1500", body="y")
            fake.start()
            assert fake.port == port
            await client.messages.create_async(to="+15005550007", from_="+1500", body="z")
            assert fake.wait_for("+15005550007").body == "z"
        finally:
            await http_client.close()
