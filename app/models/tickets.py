"""Documents of the support-ticket area (filled in by its issue)."""

from __future__ import annotations

from beanie import Document

DOCUMENTS: list[type[Document]] = []
