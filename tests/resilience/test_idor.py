"""IDOR: every route that takes an id refuses a second user and changes nothing.

One table lists each id-taking route with the request a stranger sends. For
every row the test builds the same small world (an owner with a meeting and
its media, a folder, an upload, a support ticket with an attachment and a chat
conversation), snapshots the whole database, sends the stranger's request,
and checks that

* the answer is the refusal the spec allows (404, or 403/401 where the route
  is role-guarded) in the ``{success:false, message}`` envelope,
* no document of any collection changed and no stored object disappeared,
* the same request by the owner (or an allowed staff member) does succeed, so
  the row really addresses the resource and the refusal is not an accident of
  a wrong path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from beanie import PydanticObjectId
from fastapi import FastAPI

from app.models.base import utcnow
from app.models.meeting import Meeting
from app.models.tickets import Attachment
from app.models.upload import Upload
from app.models.user import Folder, Role, User
from app.services.context import AppContext
from tests.conftest import make_client
from tests.factories.chat import make_chat
from tests.factories.meetings import make_meeting, stored_recording, stored_screenshot
from tests.factories.tickets import make_ticket
from tests.factories.uploads import make_upload
from tests.factories.users import cookies_for, make_user
from tests.resilience.support import assert_envelope, s3_keys, snapshot

pytestmark = pytest.mark.resilience


@dataclass
class World:
    owner: User
    stranger: User
    owner_admin: User  # staff of the owner's company
    other_admin: User  # staff of another company
    meeting: Meeting
    recording_id: str
    screenshot_id: str
    folder_id: str
    upload_id: str
    ticket_id: str
    attachment_id: str
    session_id: str
    message_id: int
    values: dict[str, str] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        return template.format(**self.values)


async def build_world(ctx: AppContext) -> World:
    """A fresh owner, stranger and resources; several worlds share one database."""
    company = str(PydanticObjectId())
    other_company = str(PydanticObjectId())
    owner = await make_user(role=Role.LANDLORD, company=company)
    stranger = await make_user(role=Role.LANDLORD)
    owner_admin = await make_user(role=Role.COMPANY_ADMIN, company=company)
    other_admin = await make_user(role=Role.COMPANY_ADMIN, company=other_company)

    meeting = await make_meeting(owner, special_notes="private", structured_special_notes={"a": 1})
    recording = await stored_recording(ctx, meeting.meeting_id, owner)
    screenshot = await stored_screenshot(ctx, meeting.meeting_id, owner)
    meeting.recordings = [recording]
    meeting.screenshots = [screenshot]
    await meeting.save()

    folder = Folder(id="1700000000000", name="Owner folder")
    owner.folders = [folder]
    await owner.save()

    upload = await make_upload(email=owner.email)
    attachment_key = f"support-tickets/{owner.id}/attachment.txt"
    stored = await ctx.storage.put_bytes(attachment_key, b"private", "text/plain")
    attachment = Attachment(
        filename=attachment_key,
        originalName="attachment.txt",
        filePath=stored.url,
        fileSize=stored.size,
        mimeType="text/plain",
    )
    ticket = await make_ticket(owner, attachments=[attachment], companyId=company)
    chat = await make_chat(owner, session_id=f"session-of-{owner.id}", messages=2)

    world = World(
        owner=owner,
        stranger=stranger,
        owner_admin=owner_admin,
        other_admin=other_admin,
        meeting=meeting,
        recording_id=str(recording.id),
        screenshot_id=str(screenshot.id),
        folder_id=folder.id,
        upload_id=str(upload.id),
        ticket_id=str(ticket.id),
        attachment_id=str(attachment.id),
        session_id=chat.sessionId,
        message_id=int(chat.messages[0].id),
    )
    world.values = {
        "meeting": str(meeting.id),
        "call": meeting.meeting_id,
        "recording": world.recording_id,
        "screenshot": world.screenshot_id,
        "folder": world.folder_id,
        "upload": world.upload_id,
        "ticket": world.ticket_id,
        "attachment": world.attachment_id,
        "session": world.session_id,
        "message": str(world.message_id),
        "owner": str(owner.id),
    }
    return world


Body = Callable[[World], Any] | None


async def archive_meeting(world: World) -> None:
    await Meeting.get_pymongo_collection().update_one(
        {"_id": world.meeting.id}, {"$set": {"archived": True}}
    )


async def trash_meeting(world: World) -> None:
    await Meeting.get_pymongo_collection().update_one(
        {"_id": world.meeting.id}, {"$set": {"deleted": True, "deletedAt": utcnow()}}
    )


async def trash_upload(world: World) -> None:
    await Upload.get_pymongo_collection().update_one(
        {"_id": PydanticObjectId(world.upload_id)},
        {"$set": {"deleted": True, "deletedAt": utcnow()}},
    )


async def trash_folder(world: World) -> None:
    await User.get_pymongo_collection().update_one(
        {"_id": world.owner.id, "folders.id": world.folder_id},
        {"$set": {"folders.$.trashed": True}},
    )


async def trash_user(world: World) -> None:
    await User.get_pymongo_collection().update_one(
        {"_id": world.owner.id}, {"$set": {"deleted": True, "deletedAt": utcnow()}}
    )


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    body: Body = None
    refused: frozenset[int] = frozenset({404})
    attacker: str = "stranger"
    rightful: str = "owner"
    rightful_ok: frozenset[int] = frozenset({200, 201})
    # Puts the resource in the state the route acts on (archived, trashed...).
    prepare: Callable[[World], Awaitable[None]] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} as {self.attacker}"


STAFF_REFUSALS = frozenset({401, 403, 404})

CASES = [
    # Meetings addressed by Mongo _id (meetings-uploads.md §1.3).
    Case("GET", "/api/v1/meetings/{meeting}"),
    Case("PUT", "/api/v1/meetings/{meeting}", lambda w: {"name": "hijacked"}),
    Case("DELETE", "/api/v1/meetings/{meeting}"),
    Case("PUT", "/api/v1/meetings/{meeting}/archive"),
    Case("PUT", "/api/v1/meetings/{meeting}/unarchive", prepare=archive_meeting),
    Case("PUT", "/api/v1/meetings/restore/{meeting}", prepare=trash_meeting),
    Case("DELETE", "/api/v1/meetings/permanent/{meeting}"),
    Case(
        "POST",
        "/api/v1/folders/assign-meeting",
        lambda w: {"meetingId": str(w.meeting.id), "folderId": w.folder_id},
        attacker="stranger_with_folder",
    ),
    # Meetings addressed by the call token.
    Case("GET", "/api/v1/meetings/by-meeting-id/{call}"),
    Case("DELETE", "/api/v1/meetings/{call}/recordings/{recording}"),
    Case("DELETE", "/api/v1/meetings/{call}/screenshots/{screenshot}"),
    Case("GET", "/api/v1/meetings/{call}/special-notes"),
    Case("POST", "/api/v1/meetings/{call}/special-notes", lambda w: {"special_notes": "x"}),
    Case("GET", "/api/v1/meetings/{call}/structured-special-notes"),
    Case(
        "PATCH",
        "/api/v1/meetings/{call}/structured-special-notes",
        lambda w: {"structured_special_notes": {"b": 2}},
    ),
    Case(
        "POST",
        "/api/v1/meetings/create",
        lambda w: {"meeting_id": w.meeting.meeting_id, "name": "hijacked"},
        refused=frozenset({403, 404}),
    ),
    # Folders live inside the owner's user document.
    Case("PUT", "/api/v1/folders/{folder}", lambda w: {"name": "hijacked"}),
    Case("PUT", "/api/v1/folders/{folder}/trash"),
    Case("PUT", "/api/v1/folders/{folder}/restore", prepare=trash_folder),
    Case("DELETE", "/api/v1/folders/{folder}"),
    # Uploads belong to the owner's e-mail.
    Case("DELETE", "/api/v1/uploads/{upload}"),
    Case("PUT", "/api/v1/uploads/restore/{upload}", prepare=trash_upload),
    Case("DELETE", "/api/v1/uploads/permanent/{upload}"),
    # Support tickets: the creator, then company-scoped staff.
    Case("GET", "/api/v1/support-tickets/ticket/{ticket}"),
    Case("PUT", "/api/v1/support-tickets/ticket/{ticket}", lambda w: {"subject": "hijacked"}),
    Case("DELETE", "/api/v1/support-tickets/ticket/{ticket}"),
    Case("DELETE", "/api/v1/support-tickets/{ticket}/attachments/{attachment}"),
    Case(
        "PUT",
        "/api/v1/support-tickets/admin/ticket/{ticket}",
        lambda w: {"status": "Closed"},
        refused=STAFF_REFUSALS,
        attacker="other_admin",
        rightful="owner_admin",
    ),
    Case(
        "PUT",
        "/api/v1/support-tickets/admin/ticket/{ticket}",
        lambda w: {"status": "Closed"},
        refused=STAFF_REFUSALS,
        rightful="owner_admin",
    ),
    # Chat conversations: per user, addressed by the client's session id.
    Case("GET", "/api/v1/chat/sessions/{session}"),
    Case("DELETE", "/api/v1/chat/sessions/{session}"),
    Case("PUT", "/api/v1/chat/sessions/{session}/title", lambda w: {"title": "hijacked"}),
    Case(
        "PUT",
        "/api/v1/chat/sessions/{session}/messages/{message}/feedback",
        lambda w: {"feedback": "thumbsDown"},
    ),
    # User administration: a landlord is no administrator of anyone.
    Case("GET", "/api/v1/users/{owner}", refused=frozenset({403}), rightful="superadmin"),
    Case(
        "PUT",
        "/api/v1/users/{owner}",
        lambda w: {"email": f"renamed-{w.owner.id}@example.test"},
        refused=frozenset({403}),
        rightful="superadmin",
    ),
    Case(
        "PUT",
        "/api/v1/users/{owner}/details",
        lambda w: {"email": f"renamed-{w.owner.id}@example.test"},
        refused=frozenset({403}),
        rightful="superadmin",
    ),
    Case("DELETE", "/api/v1/users/{owner}", refused=frozenset({403}), rightful="superadmin"),
    Case("PUT", "/api/v1/users/{owner}/freeze", refused=frozenset({403}), rightful="superadmin"),
    Case("PUT", "/api/v1/users/{owner}/suspend", refused=frozenset({403}), rightful="superadmin"),
    Case("PUT", "/api/v1/users/{owner}/activate", refused=frozenset({403}), rightful="superadmin"),
    Case(
        "PUT",
        "/api/v1/users/restore/{owner}",
        refused=frozenset({403}),
        rightful="superadmin",
        prepare=trash_user,
    ),
    Case(
        "DELETE",
        "/api/v1/users/permanent/{owner}",
        refused=frozenset({403}),
        rightful="superadmin",
        prepare=trash_user,
    ),
    Case("GET", "/api/v1/users/{owner}/stats", refused=frozenset({403}), rightful="superadmin"),
]


async def actor(world: World, name: str) -> User:
    if name == "stranger_with_folder":
        # The stranger has a folder of their own, so only the meeting is foreign.
        world.stranger.folders = [Folder(id=world.folder_id, name="Stranger folder")]
        await world.stranger.save()
        return world.stranger
    if name == "superadmin":
        return await make_user(role=Role.SUPERADMIN)
    found: User = getattr(world, name)
    return found


async def send(
    app: FastAPI, ctx: AppContext, user: User, case: Case, world: World
) -> httpx.Response:
    kwargs: dict[str, Any] = {}
    if case.body is not None:
        kwargs["json"] = case.body(world)
    async with make_client(app, cookies=cookies_for(ctx, user)) as http:
        return await http.request(case.method, world.fill(case.path), **kwargs)


async def test_second_user_is_refused_and_nothing_changes(
    app: FastAPI, ctx: AppContext, s3: Any, subtests: pytest.Subtests
) -> None:
    # One database for the whole table (a fresh one per row would cost a
    # second of set-up each); every row builds its own world in it.
    for case in CASES:
        with subtests.test(msg=case.id):
            await check_case(case, app, ctx, s3)


async def check_case(case: Case, app: FastAPI, ctx: AppContext, s3: Any) -> None:
    world = await build_world(ctx)
    if case.prepare is not None:
        await case.prepare(world)
    attacker = await actor(world, case.attacker)
    before = await snapshot(ctx)
    objects_before = s3_keys(s3, ctx.settings.S3_BUCKET_NAME)

    response = await send(app, ctx, attacker, case, world)

    assert response.status_code in case.refused, (response.status_code, response.text)
    assert_envelope(response.json(), status=response.status_code)
    assert await snapshot(ctx) == before
    assert s3_keys(s3, ctx.settings.S3_BUCKET_NAME) == objects_before

    rightful = await actor(world, case.rightful)
    allowed = await send(app, ctx, rightful, case, world)
    assert allowed.status_code in case.rightful_ok, (allowed.status_code, allowed.text)


async def test_foreign_and_missing_ids_answer_alike(app: FastAPI, ctx: AppContext) -> None:
    """A stranger cannot tell someone else's meeting from one that does not exist."""
    world = await build_world(ctx)
    async with make_client(app, cookies=cookies_for(ctx, world.stranger)) as client:
        foreign = await client.get(f"/api/v1/meetings/{world.meeting.id}")
        missing = await client.get("/api/v1/meetings/64b7f0c2a1b2c3d4e5f6aaaa")
        foreign_ticket = await client.get(f"/api/v1/support-tickets/ticket/{world.ticket_id}")
        missing_ticket = await client.get("/api/v1/support-tickets/ticket/64b7f0c2a1b2c3d4e5f6aaaa")
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
    assert (foreign_ticket.status_code, foreign_ticket.json()) == (
        missing_ticket.status_code,
        missing_ticket.json(),
    )


async def test_every_id_route_is_in_the_table(app: FastAPI) -> None:
    """A new route with a path parameter must be added to the table (or listed as public)."""
    public_by_design = {
        # Capabilities rather than owned ids: share links, share codes, upload
        # sessions, invite tokens and password-reset tokens.
        "/api/v1/meetings/share/{meeting_id}",
        "/api/v1/meetings/share/{meeting_id}/access",
        "/api/v1/upload/file/{session_id}",
        "/api/v1/upload/complete/{session_id}",
        "/api/v1/upload/progress/{session_id}",
        "/api/v1/upload/{access_code}",
        "/api/v1/upload/{access_code}/access",
        "/api/v1/uploads/notification/mark-sent/{access_code}",
        "/api/v1/get-token-info/{token}",
        "/api/v1/reset-password/{token}",
        "/reset-password/{token}",
        # Staff-only back office without per-owner data (forms): role-guarded,
        # covered by tests/api/test_forms.py.
        "/api/v1/feedback/user/{user_email}",
        "/api/v1/callback-requests/{request_id}",
        "/api/v1/callback-requests/{request_id}/contact-attempt",
        "/api/v1/demo-meetings/{meeting_id}",
        "/api/v1/demo-meetings/{meeting_id}/reschedule",
        # Admin-only (401 for everyone else) with the same scope rule as
        # admin/ticket, which is in the table.
        "/api/v1/support-tickets/admin/update/{ticket_id}",
    }
    covered = {_normalise(c.path) for c in CASES}
    paths = app.openapi()["paths"]
    missing = [
        path
        for path in paths
        if "{" in path and path not in public_by_design and _normalise(path) not in covered
    ]
    assert missing == []


def _normalise(path: str) -> str:
    out, depth = [], 0
    for char in path:
        if char == "{":
            depth += 1
            out.append("{}")
        elif char == "}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)
