"""HTTP routes of the support-ticket area (filled in by its issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()
