"""Beanie documents. ``ALL_DOCUMENTS`` is what ``init_beanie`` registers at start-up."""

from __future__ import annotations

from beanie import Document

from app.models import chat, forms, meeting, system, tickets, upload, user

ALL_DOCUMENTS: list[type[Document]] = [
    *user.DOCUMENTS,
    *meeting.DOCUMENTS,
    *upload.DOCUMENTS,
    *chat.DOCUMENTS,
    *forms.DOCUMENTS,
    *tickets.DOCUMENTS,
    *system.DOCUMENTS,
]
