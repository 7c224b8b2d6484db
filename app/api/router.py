"""Mounts every area's router: ``/api/v1/...`` plus the few root routes of the spec."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.api import system
from app.api.v1 import (
    auth,
    chat,
    folders,
    forms,
    invites,
    meetings,
    realtime,
    tickets,
    uploads,
    users,
)

AREAS = (auth, users, folders, meetings, uploads, chat, invites, forms, tickets, realtime)


def include_routers(app: FastAPI) -> None:
    app.include_router(system.router)
    v1 = APIRouter(prefix="/api/v1")
    for area in AREAS:
        v1.include_router(area.router)
    app.include_router(v1)
    for area in AREAS:
        app.include_router(area.root_router)
