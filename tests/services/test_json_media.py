"""The spooled-body JSON scanner: same result and same errors as ``json.loads``,
with long plain strings left in the file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.json_media import JsonPath, SpooledText, load_json_file

# Tiny sizes so that every string, escape and backslash run crosses block edges.
SMALL = {"min_chars": 4, "block_bytes": 7}


@pytest.fixture
def spool() -> Iterator[Any]:
    with tempfile.TemporaryFile() as handle:

        def write(raw: bytes) -> int:
            handle.seek(0)
            handle.truncate()
            handle.write(raw)
            handle.flush()
            return handle.fileno()

        yield write


def materialise(value: Any) -> Any:
    if isinstance(value, SpooledText):
        return value.read(0, len(value)).decode("ascii")
    if isinstance(value, dict):
        return {k: materialise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialise(v) for v in value]
    return value


def keep_all(_: JsonPath) -> bool:
    return True


def outcome(call: Any) -> Any:
    try:
        return ("ok", materialise(call()))
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError and UnicodeDecodeError are ValueErrors: compare the type.
        return ("error", type(exc).__name__)


def assert_same_as_json(spool: Any, raw: bytes, **options: Any) -> None:
    fd = spool(raw)
    expected = outcome(lambda: json.loads(raw))
    got = outcome(lambda: load_json_file(fd, len(raw), keep_spooled=keep_all, **options))
    assert got == expected, raw


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "hello world", "b": ["xyzw", "q"]}',
        rb'{"a": "esc\"aped \"quote\" here"}',
        rb'{"a": "back\\\\slash\\\\", "b": "ends with \\\\"}',
        rb'{"a": "\\\\\\\"odd run then quote\\\\\\\""}',
        rb'{"a": "\u00e9\u0000\ud83d\ude00 unicode escapes"}',
        '{"a": "é non-ascii text ü", "é long key ü": 1}'.encode(),
        b'{"a": "tab\there is a control char"}',
        b'{"a": "newline\nin string"}',
        rb'{"a": "bad escape \x here"}',
        b'{"a": "unterminated string',
        b'{"a": "long enough" "b"}',
        b'{"a": 1} trailing',
        b'{"a": "\xff\xfe invalid utf-8 in a long string"}',
        b'\xef\xbb\xbf{"a": "with a byte order mark"}',
        '{"a": "utf-16 body here"}'.encode("utf-16"),
        b'["a long string", {"k": "another long one"}, "x", [["deep nested"]]]',
        b'"a top-level long string"',
        b'{"long key number one": {"long key number two": "long value"}}',
        b'{"dup": "first long value", "dup": "second long value"}',
        b"   ",
        b"[" * 2000 + b"]" * 2000,
    ],
)
def test_matches_json_loads(spool: Any, raw: bytes) -> None:
    assert_same_as_json(spool, raw, **SMALL)
    assert_same_as_json(spool, raw)  # default sizes: the plain json.loads path


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
    | st.text(alphabet='ab\\"/=+ \t\n', max_size=30),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(alphabet='ab"\\é', max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=json_values, ascii_only=st.booleans(), cut=st.integers(min_value=0, max_value=400))
def test_random_documents_and_their_truncations(
    spool: Any, value: Any, ascii_only: bool, cut: int
) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert_same_as_json(spool, raw, **SMALL)
    assert_same_as_json(spool, raw[: cut % (len(raw) + 1)], **SMALL)


def test_only_chosen_paths_stay_spooled(spool: Any) -> None:
    payload = "data:video/webm;codecs=vp8,opus;base64," + "QUJD" * 100
    raw = json.dumps(
        {
            "name": "N" * 500,
            "recordings": [{"data": payload}, {"data": "short"}],
            "screenshots": [{"data": payload, "note": payload}],
        }
    ).encode()
    fd = spool(raw)

    def media(path: JsonPath) -> bool:
        return len(path) == 3 and path[0] in ("recordings", "screenshots") and path[2] == "data"

    document = load_json_file(fd, len(raw), keep_spooled=media, min_chars=64, block_bytes=100)
    assert document["name"] == "N" * 500
    spooled = document["recordings"][0]["data"]
    assert isinstance(spooled, SpooledText)
    assert len(spooled) == len(payload)
    assert spooled.read(0, 5) == b"data:"
    assert spooled.read(len(payload) - 4, len(payload) + 10) == b"QUJD"
    assert document["recordings"][1]["data"] == "short"
    assert isinstance(document["screenshots"][0]["data"], SpooledText)
    assert document["screenshots"][0]["note"] == payload
    assert repr(spooled) == f"SpooledText({len(payload)} chars)"


def test_escaped_slashes_in_a_long_payload_are_decoded_not_spooled(spool: Any) -> None:
    """Some encoders write ``/`` as ``\\/``: the string is decoded by json.loads."""
    payload = "data:image/png;base64," + "ab/+" * 50
    raw = json.dumps({"recordings": [{"data": payload}]}).replace("/", "\\/").encode()
    fd = spool(raw)
    document = load_json_file(fd, len(raw), keep_spooled=keep_all, min_chars=16)
    assert document == {"recordings": [{"data": payload}]}


def test_a_client_string_cannot_pose_as_a_placeholder(spool: Any) -> None:
    raw = json.dumps({"a": "\x00" + "0" * 16 + ":0", "b": "x" * 100}).encode()
    fd = spool(raw)
    document = load_json_file(fd, len(raw), keep_spooled=keep_all, min_chars=50)
    assert document["a"] == "\x00" + "0" * 16 + ":0"
    assert isinstance(document["b"], SpooledText)


def test_reads_past_the_file_end_fail_loudly(spool: Any) -> None:
    fd = spool(b'"abc"')
    with pytest.raises(OSError, match="ended early"):
        load_json_file(fd, 50, keep_spooled=keep_all)
    os.fstat(fd)  # the caller's file stays open
