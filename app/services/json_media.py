"""Parse a large JSON body from a file without materialising its media strings.

A meeting create carries its recordings as base64 data URLs inside JSON: a
100 MB recording is a 133 MB string. Parsing that with ``json.loads`` needs the
whole body as ``bytes`` plus a ``str`` copy of it. :func:`load_json_file`
instead reads the spooled body from a file descriptor in bounded blocks and:

1. finds every string literal by its quotes (``bytes.find``, so it runs at
   memory speed; a quote preceded by an odd run of backslashes is escaped);
2. builds a *skeleton*: the document with each long string (at least
   ``min_chars`` bytes, pure ASCII, no backslash, no control character)
   replaced by a short placeholder string carrying a per-call random nonce;
3. parses the skeleton with ``json.loads`` (so every syntax and encoding error
   is the one ``json.loads`` would raise on the original body);
4. puts the long strings back: as :class:`SpooledText` (offsets into the
   file, read later in chunks) where ``keep_spooled(path)`` says so, as a
   normal ``str`` everywhere else.

Why the result equals ``json.loads`` of the original: outside strings JSON has
no quote characters, so the quote pairing is the decoder's; a replaced string
is a valid JSON string in both documents; strings with escapes, non-ASCII or
control characters are never replaced, so their decoding (and their errors)
stay with ``json.loads``. A body that is not UTF-8 (``json.loads`` also accepts
UTF-16/32) is parsed whole, the old way.

This module is pure (no web framework); the ASGI side lives in
``app.api.streaming``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_BLOCK_BYTES",
    "DEFAULT_MIN_CHARS",
    "JsonPath",
    "SpooledText",
    "load_json_file",
    "read_range",
]

# Block size for the scans: large enough that a 133 MB body takes ~130 reads,
# small enough to be a negligible share of a request's memory.
DEFAULT_BLOCK_BYTES = 1024 * 1024
# Strings shorter than this stay in the skeleton: spooling them would save
# nothing and every metadata field keeps its ordinary ``str``.
DEFAULT_MIN_CHARS = 64 * 1024

_BACKSLASH = 0x5C
# The bytes a "plain" string may hold: printable ASCII except the backslash.
# Deleting them from a block leaves nothing exactly when the block is plain
# (one C pass, no block-sized allocation).
_PLAIN_BYTES = bytes(byte for byte in range(0x20, 0x7F) if byte != _BACKSLASH)

JsonPath = tuple[str | int, ...]


def read_range(fd: int, start: int, stop: int) -> bytes:
    """``stop - start`` bytes at ``start`` (positional, safe to call from several threads)."""
    parts: list[bytes] = []
    position = start
    while position < stop:
        data = os.pread(fd, stop - position, position)
        if not data:
            raise OSError("spooled body ended early")
        parts.append(data)
        position += len(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)


@dataclass(frozen=True)
class SpooledText:
    """An ASCII JSON string value left in the spooled body: bytes ``[start, stop)``
    of the file open as ``fd`` (no quotes, no escapes). Valid while the body's
    owner keeps the file open."""

    fd: int
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def read(self, start: int, stop: int) -> bytes:
        """Characters ``[start, stop)`` of the string, as ASCII bytes."""
        start = max(0, min(start, len(self)))
        stop = max(start, min(stop, len(self)))
        return read_range(self.fd, self.start + start, self.start + stop)

    def __repr__(self) -> str:  # never dump megabytes into a log or an error
        return f"SpooledText({len(self)} chars)"


def _backslashes_before(block: bytes, start: int, stop: int) -> int:
    """Length of the run of backslashes ending at ``stop`` (not before ``start``)."""
    if stop <= start or block[stop - 1] != _BACKSLASH:
        return 0  # the common case, without copying anything
    segment = block[start:stop]
    return len(segment) - len(segment.rstrip(b"\\"))


def _find_strings(fd: int, size: int, min_chars: int, block_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges (inside the quotes) of string literals of at least ``min_chars``."""
    spans: list[tuple[int, int]] = []
    in_string = False
    start = 0
    # Backslashes ending the previous block, for an escape split across blocks.
    carried_backslashes = 0
    position = 0
    while position < size:
        block = read_range(fd, position, min(size, position + block_bytes))
        index = 0
        length = len(block)
        while index < length:
            quote = block.find(b'"', index)
            if not in_string:
                if quote < 0:
                    break
                in_string = True
                start = position + quote + 1
                carried_backslashes = 0
                index = quote + 1
                continue
            if quote < 0:
                run = _backslashes_before(block, index, length)
                carried_backslashes = run + carried_backslashes if run == length - index else run
                break
            run = _backslashes_before(block, index, quote)
            if run == quote - index:
                run += carried_backslashes
            carried_backslashes = 0
            index = quote + 1
            if run % 2:
                continue  # an escaped quote: still inside the string
            in_string = False
            stop = position + quote
            if stop - start >= min_chars:
                spans.append((start, stop))
        position += length
    return spans


def _is_plain(fd: int, start: int, stop: int, block_bytes: int) -> bool:
    """True when the bytes hold no escape, no control character and only ASCII,
    i.e. the JSON string's value is exactly these bytes."""
    position = start
    while position < stop:
        block = read_range(fd, position, min(stop, position + block_bytes))
        if block.translate(None, _PLAIN_BYTES):
            return False
        position += len(block)
    return True


def _copy(fd: int, out: bytearray, start: int, stop: int, block_bytes: int) -> None:
    position = start
    while position < stop:
        block = read_range(fd, position, min(stop, position + block_bytes))
        out += block
        position += len(block)


def _restore(
    document: Any,
    placeholders: dict[str, tuple[int, int]],
    fd: int,
    keep_spooled: Callable[[JsonPath], bool],
) -> Any:
    """Swap placeholders back for their strings, walking with an explicit stack
    (the skeleton may be nested as deeply as ``json.loads`` allows)."""

    def value_for(text: str, path: JsonPath, *, is_key: bool) -> Any:
        start, stop = placeholders[text]
        if not is_key and keep_spooled(path):
            return SpooledText(fd, start, stop)
        return read_range(fd, start, stop).decode("ascii")

    def is_placeholder(value: Any) -> bool:
        return isinstance(value, str) and value in placeholders

    if is_placeholder(document):
        return value_for(document, (), is_key=False)
    stack: list[tuple[Any, JsonPath]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if any(is_placeholder(k) for k in node):
                items = list(node.items())
                node.clear()
                for key, value in items:
                    real = value_for(key, path, is_key=True) if is_placeholder(key) else key
                    node[real] = value
            for key, value in node.items():
                child = (*path, key)
                if is_placeholder(value):
                    node[key] = value_for(value, child, is_key=False)
                elif isinstance(value, dict | list):
                    stack.append((value, child))
        elif isinstance(node, list):
            for position, value in enumerate(node):
                child = (*path, position)
                if is_placeholder(value):
                    node[position] = value_for(value, child, is_key=False)
                elif isinstance(value, dict | list):
                    stack.append((value, child))
    return document


def load_json_file(
    fd: int,
    size: int,
    *,
    keep_spooled: Callable[[JsonPath], bool],
    min_chars: int = DEFAULT_MIN_CHARS,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> Any:
    """``json.loads`` of the file's first ``size`` bytes, with long plain strings
    at paths accepted by ``keep_spooled`` returned as :class:`SpooledText`.

    Raises exactly what ``json.loads`` raises on the same bytes
    (``json.JSONDecodeError``, ``UnicodeDecodeError``, ``RecursionError``).
    Blocking: call it from a worker thread.
    """
    head = read_range(fd, 0, min(size, 4))
    if json.detect_encoding(head) not in ("utf-8", "utf-8-sig"):
        return json.loads(read_range(fd, 0, size))
    spans = _find_strings(fd, size, min_chars, block_bytes)
    nonce = secrets.token_hex(8)
    placeholders: dict[str, tuple[int, int]] = {}
    skeleton = bytearray()
    copied = 0
    for start, stop in spans:
        if not _is_plain(fd, start, stop, block_bytes):
            continue  # left in place: json.loads decodes (or rejects) it
        _copy(fd, skeleton, copied, start, block_bytes)
        # A NUL and a random nonce: no client string can collide with it.
        marker = f"\x00{nonce}:{len(placeholders)}"
        placeholders[marker] = (start, stop)
        skeleton += f"\\u0000{nonce}:{len(placeholders) - 1}".encode("ascii")
        copied = stop
    _copy(fd, skeleton, copied, size, block_bytes)
    document = json.loads(skeleton)
    del skeleton
    if not placeholders:
        return document
    return _restore(document, placeholders, fd, keep_spooled)
