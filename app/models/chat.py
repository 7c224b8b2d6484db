"""Documents of the chat area (filled in by its issue)."""

from __future__ import annotations

from beanie import Document

DOCUMENTS: list[type[Document]] = []
