"""Support tickets: owner routes, staff routes with their guards, attachments in storage."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId

from app.core.config import Settings
from app.models.base import utcnow
from app.models.tickets import TICKET_CATEGORIES, SupportTicket
from app.models.user import Role, User
from app.services.context import AppContext
from tests.conftest import make_client, running_app
from tests.factories.tickets import make_ticket
from tests.factories.users import make_user, token_for
from tests.support.smtp_sink import SmtpSink

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%test\n"
CATEGORY = TICKET_CATEGORIES[0]
STAFF_ONLY = "Only admin, superadmin, or company-admin can perform this operation"
ADMIN_ONLY = "Only admin or superadmin can perform this operation"
SUPER_ONLY = "Only superadmin can perform this operation"


@pytest.fixture
def inbox() -> str:
    return f"support-{uuid.uuid4().hex[:8]}@videodesk.test"


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], inbox: str) -> Settings:
    return settings_factory(SUPPORT_TICKET_EMAIL=inbox, RATE_LIMIT_SUBMISSIONS_WINDOW=10**9)


def auth(ctx: AppContext, user: User) -> dict[str, str]:
    return {"Cookie": f"token={token_for(ctx, user)}"}


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def stored_keys(s3: Any, settings: Settings) -> list[str]:
    listing = s3.list_objects_v2(Bucket=settings.S3_BUCKET_NAME, Prefix="support-tickets/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


async def company_admin(company: ObjectId | None = None) -> User:
    return await make_user(
        role=Role.COMPANY_ADMIN, company=str(company) if company is not None else None
    )


# --------------------------------------------------------------------------- create


@pytest.mark.parametrize("path", ["/api/v1/support-tickets/create", "/api/v1/raise-support-ticket"])
async def test_create_ticket_stores_attachments_and_mails(
    client: httpx.AsyncClient,
    ctx: AppContext,
    smtp: SmtpSink,
    s3: Any,
    settings: Settings,
    inbox: str,
    path: str,
) -> None:
    company = ObjectId()
    user = await make_user(company=str(company), landlordInfo={"landlordName": "Acme"})
    response = await client.post(
        path,
        json={
            "category": CATEGORY,
            "priority": "High",
            "subject": "  Cannot <b>log in</b> ",
            "description": "It fails\nevery time",
            "tags": ["login", "urgent", "login"],
            "status": "Closed",
            "assignedTo": str(user.id),
            "files": [
                {"name": "../../screen.png", "data": data_url("image/png", PNG)},
                data_url("application/pdf", PDF),
            ],
        },
        headers={**auth(ctx, user), "User-Agent": "pytest-agent"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Support ticket created successfully"
    ticket = body["data"]
    assert re.fullmatch(r"TKT-\d{13}-[0-9A-Z]{5}", ticket["ticketId"])
    assert ticket["userId"] == {
        "_id": str(user.id),
        "email": user.email,
        "role": "landlord",
        "landlordInfo": {"landlordName": "Acme"},
    }
    assert ticket["companyId"] is None  # no such company document: populated as null
    assert ticket["subject"] == "Cannot <b>log in</b>"
    assert ticket["description"] == "It fails\nevery time"
    assert (ticket["category"], ticket["priority"], ticket["status"]) == (CATEGORY, "High", "Open")
    assert ticket["assignedTo"] is None
    assert ticket["tags"] == ["login", "urgent"]
    assert ticket["source"] == "Web"
    assert ticket["escalationLevel"] == 1
    assert ticket["deleted"] is False
    assert ticket["userAgent"] == "pytest-agent"
    assert "internalNotes" not in ticket

    first, second = ticket["attachments"]
    assert first["originalName"] == "screen.png"
    assert first["mimeType"] == "image/png"
    assert first["fileSize"] == len(PNG)
    assert re.fullmatch(
        rf"support-tickets/{user.id}/\d{{13}}_[0-9a-f]{{16}}\.png", first["filename"]
    )
    assert first["filePath"].endswith("/media/" + first["filename"])
    assert len(first["_id"]) == 24
    assert second["filename"].endswith(".pdf")
    assert second["originalName"] == "file-2"
    keys = stored_keys(s3, settings)
    assert keys == sorted([first["filename"], second["filename"]])
    obj = s3.get_object(Bucket=settings.S3_BUCKET_NAME, Key=first["filename"])
    assert obj["Body"].read() == PNG

    stored = await SupportTicket.find_one({"ticketId": ticket["ticketId"]})
    assert stored is not None
    assert stored.companyId == company

    mail = smtp.wait_for(inbox, subject_contains=ticket["ticketId"])
    assert mail.subject == f"New support ticket {ticket['ticketId']}: Cannot <b>log in</b>"
    assert "It fails\r\nevery time" in mail.text
    assert mail.html is not None
    assert "Cannot &lt;b&gt;log in&lt;/b&gt;" in mail.html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject": ""}, "Subject and description are required"),
        ({"description": "   "}, "Subject and description are required"),
        ({"category": None}, "Category is required"),
        ({"category": "General Inquiry"}, "Invalid category"),
        ({"priority": "Urgent"}, "Invalid priority"),
        ({"subject": "x" * 201}, "Subject must be at most 200 characters"),
        (
            {"files": [{"name": "x.svg", "data": data_url("image/svg+xml", b"<svg/>")}]},
            "File type image/svg+xml is not allowed.",
        ),
        (
            {"files": [{"name": "fake.png", "data": data_url("image/png", b"GIF89a....")}]},
            "File fake.png is not a valid image/png file.",
        ),
        (
            {"files": [{"name": "ok.png", "data": data_url("image/png", PNG)}, "not-a-data-url"]},
            "File file-2 is not a base64 data URL.",
        ),
        (
            {
                "files": [
                    {
                        "name": "big.png",
                        "data": data_url("image/png", PNG + b"0" * 10 * 1024 * 1024),
                    }
                ]
            },
            "File big.png is too large. Maximum size is 10MB.",
        ),
    ],
)
async def test_create_ticket_validation_saves_nothing(
    client: httpx.AsyncClient,
    ctx: AppContext,
    s3: Any,
    settings: Settings,
    change: dict[str, Any],
    message: str,
) -> None:
    user = await make_user()
    body = {"category": CATEGORY, "subject": "Help", "description": "Please", **change}
    response = await client.post(
        "/api/v1/support-tickets/create", json=body, headers=auth(ctx, user)
    )
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": message}
    assert await SupportTicket.count() == 0
    assert stored_keys(s3, settings) == []


async def test_create_ticket_requires_sign_in(client: httpx.AsyncClient) -> None:
    body = {"category": CATEGORY, "subject": "Help", "description": "Please"}
    for path in ("/api/v1/support-tickets/create", "/api/v1/raise-support-ticket"):
        response = await client.post(path, json=body)
        assert response.status_code == 401
        assert response.json() == {"success": False, "message": "Unauthorize user"}


async def test_ticket_creation_is_rate_limited_per_user(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(RATE_LIMIT_SUBMISSIONS=2, RATE_LIMIT_SUBMISSIONS_WINDOW=10**9)
    async with running_app(settings) as app, make_client(app) as http:
        ctx: AppContext = app.state.ctx
        user, other = await make_user(), await make_user()
        body = {"category": CATEGORY, "subject": "Help", "description": "Please"}
        for _ in range(2):
            ok = await http.post(
                "/api/v1/support-tickets/create", json=body, headers=auth(ctx, user)
            )
            assert ok.status_code == 201
        limited = await http.post(
            "/api/v1/raise-support-ticket", json=body, headers=auth(ctx, user)
        )
        assert limited.status_code == 429
        assert limited.json()["success"] is False
        fine = await http.post("/api/v1/raise-support-ticket", json=body, headers=auth(ctx, other))
        assert fine.status_code == 201
        assert await SupportTicket.count() == 3


# --------------------------------------------------------------------------- owner routes


async def test_my_tickets_lists_only_own_live_tickets(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user()
    other = await make_user()
    for index in range(3):
        ticket = await make_ticket(user, subject=f"Mine {index}", priority="Low")
        ticket.createdAt = utcnow() - timedelta(minutes=10 - index)
        await ticket.save()
    await make_ticket(user, subject="Closed one", status="Closed", priority="Critical")
    await make_ticket(user, subject="Gone", deleted=True)
    await make_ticket(other, subject="Not mine")

    response = await client.get(
        "/api/v1/support-tickets/my-tickets?limit=2", headers=auth(ctx, user)
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "pagination"}
    assert body["pagination"] == {
        "currentPage": 1,
        "totalPages": 2,
        "totalTickets": 4,
        "hasNextPage": True,
        "hasPrevPage": False,
    }
    assert [t["subject"] for t in body["data"]] == ["Closed one", "Mine 2"]
    page2 = await client.get(
        "/api/v1/support-tickets/my-tickets?limit=2&page=2&sortBy=createdAt&sortOrder=desc",
        headers=auth(ctx, user),
    )
    assert page2.json()["pagination"]["hasPrevPage"] is True
    assert page2.json()["pagination"]["hasNextPage"] is False
    closed = await client.get(
        "/api/v1/support-tickets/my-tickets?status=Closed", headers=auth(ctx, user)
    )
    assert [t["subject"] for t in closed.json()["data"]] == ["Closed one"]
    by_priority = await client.get(
        "/api/v1/support-tickets/my-tickets?sortBy=priority&sortOrder=asc",
        headers=auth(ctx, user),
    )
    assert by_priority.json()["data"][0]["priority"] == "Critical"
    bad = await client.get(
        "/api/v1/support-tickets/my-tickets?status=Lost", headers=auth(ctx, user)
    )
    assert bad.status_code == 400
    assert (await client.get("/api/v1/support-tickets/my-tickets")).status_code == 401


async def test_owner_get_update_delete_and_isolation(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, settings: Settings
) -> None:
    owner = await make_user()
    intruder = await make_user()
    created = await client.post(
        "/api/v1/support-tickets/create",
        json={
            "category": CATEGORY,
            "subject": "Original",
            "description": "Body",
            "files": [{"name": "a.png", "data": data_url("image/png", PNG)}],
        },
        headers=auth(ctx, owner),
    )
    ticket_id = created.json()["data"]["_id"]
    path = f"/api/v1/support-tickets/ticket/{ticket_id}"
    await SupportTicket.get_pymongo_collection().update_one(
        {"_id": ObjectId(ticket_id)}, {"$set": {"internalNotes": "staff eyes only"}}
    )

    got = await client.get(path, headers=auth(ctx, owner))
    assert got.status_code == 200
    assert set(got.json()) == {"success", "data"}
    assert got.json()["data"]["subject"] == "Original"
    assert "internalNotes" not in got.json()["data"]
    for method in ("GET", "PUT", "DELETE"):
        foreign = await client.request(method, path, json={}, headers=auth(ctx, intruder))
        assert foreign.status_code == 404
        assert foreign.json() == {"success": False, "message": "Ticket not found"}
    bad = await client.get("/api/v1/support-tickets/ticket/123", headers=auth(ctx, owner))
    assert bad.status_code == 400
    assert bad.json()["message"] == "Resource not found. Invalid: _id"

    updated = await client.put(
        path,
        json={
            "subject": "Edited",
            "priority": "Critical",
            "tags": "a, b",
            "status": "Resolved",
            "deleted": True,
            "assignedTo": str(intruder.id),
            "userId": str(intruder.id),
            "internalNotes": "hacked",
        },
        headers=auth(ctx, owner),
    )
    assert updated.status_code == 200
    assert updated.json()["message"] == "Ticket updated successfully"
    data = updated.json()["data"]
    assert (data["subject"], data["priority"], data["tags"]) == ("Edited", "Critical", ["a", "b"])
    assert (data["status"], data["deleted"], data["assignedTo"]) == ("Open", False, None)
    assert data["userId"]["_id"] == str(owner.id)
    stored = await SupportTicket.get(ObjectId(ticket_id))
    assert stored is not None
    assert stored.internalNotes == "staff eyes only"
    invalid = await client.put(path, json={"category": "Nope"}, headers=auth(ctx, owner))
    assert invalid.status_code == 400

    assert len(stored_keys(s3, settings)) == 1
    deleted = await client.delete(path, headers=auth(ctx, owner))
    assert deleted.json() == {"success": True, "message": "Ticket deleted successfully"}
    assert stored_keys(s3, settings) == []
    gone = await SupportTicket.get(ObjectId(ticket_id))
    assert gone is not None
    assert gone.deleted is True
    assert gone.deletedBy == owner.id
    assert gone.deletedAt is not None
    assert (await client.get(path, headers=auth(ctx, owner))).status_code == 404


async def test_delete_attachment(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, settings: Settings
) -> None:
    owner = await make_user()
    intruder = await make_user()
    created = await client.post(
        "/api/v1/support-tickets/create",
        json={
            "category": CATEGORY,
            "subject": "Files",
            "description": "Two files",
            "files": [data_url("image/png", PNG), data_url("text/plain", b"hello")],
        },
        headers=auth(ctx, owner),
    )
    ticket = created.json()["data"]
    first, second = ticket["attachments"]
    path = f"/api/v1/support-tickets/{ticket['_id']}/attachments/{first['_id']}"

    foreign = await client.delete(path, headers=auth(ctx, intruder))
    assert foreign.status_code == 404
    assert foreign.json()["message"] == "Ticket not found"
    missing = await client.delete(
        f"/api/v1/support-tickets/{ticket['_id']}/attachments/{ObjectId()}",
        headers=auth(ctx, owner),
    )
    assert missing.status_code == 404
    assert missing.json()["message"] == "Attachment not found"

    response = await client.delete(path, headers=auth(ctx, owner))
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Attachment deleted successfully"}
    assert stored_keys(s3, settings) == [second["filename"]]
    stored = await SupportTicket.get(ObjectId(ticket["_id"]))
    assert stored is not None
    assert [str(a.id) for a in stored.attachments] == [second["_id"]]
    by_number = await client.delete(
        f"/api/v1/support-tickets/{ticket['ticketId']}/attachments/{second['_id']}",
        headers=auth(ctx, owner),
    )
    assert by_number.status_code == 200
    assert stored_keys(s3, settings) == []


# --------------------------------------------------------------------------- staff routes


async def test_staff_route_guards(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await make_user()
    ticket = await make_ticket(owner)
    landlord_headers = auth(ctx, owner)
    company_headers = auth(ctx, await company_admin(ObjectId()))
    admin_headers = auth(ctx, await make_user(role=Role.ADMIN))
    guarded = [
        ("GET", "/api/v1/support-tickets/admin/all", None, STAFF_ONLY, [landlord_headers]),
        ("GET", "/api/v1/support-tickets/admin/stats", None, STAFF_ONLY, [landlord_headers]),
        ("GET", "/api/v1/support-tickets/admin/search?q=ab", None, STAFF_ONLY, [landlord_headers]),
        ("GET", "/api/v1/support-tickets/admin/export", None, STAFF_ONLY, [landlord_headers]),
        (
            "PUT",
            "/api/v1/support-tickets/admin/bulk-update",
            {"ticketIds": [str(ticket.id)], "updates": {"status": "Closed"}},
            STAFF_ONLY,
            [landlord_headers],
        ),
        (
            "PUT",
            f"/api/v1/support-tickets/admin/ticket/{ticket.id}",
            {"status": "Closed"},
            STAFF_ONLY,
            [landlord_headers],
        ),
        (
            "PUT",
            f"/api/v1/support-tickets/admin/update/{ticket.id}",
            {"status": "Closed"},
            ADMIN_ONLY,
            [landlord_headers, company_headers],
        ),
        (
            "GET",
            "/api/v1/support-tickets/admin/fast-stats",
            None,
            ADMIN_ONLY,
            [landlord_headers, company_headers],
        ),
        (
            "GET",
            "/api/v1/support-tickets/superadmin/all",
            None,
            SUPER_ONLY,
            [landlord_headers, company_headers, admin_headers],
        ),
    ]
    for method, path, body, message, refused in guarded:
        for headers in refused:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (method, path)
            assert response.json() == {"success": False, "message": message}
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401
    fresh = await SupportTicket.get(ticket.id)
    assert fresh is not None
    assert fresh.status == "Open"


async def test_admin_lists_and_company_scope(client: httpx.AsyncClient, ctx: AppContext) -> None:
    company_a, company_b = ObjectId(), ObjectId()
    alice = await make_user(company=str(company_a))
    bob = await make_user(company=str(company_b))
    loner = await make_user()
    await make_ticket(alice, companyId=company_a, subject="A1", status="Open")
    await make_ticket(alice, companyId=company_a, subject="A2", status="Closed")
    await make_ticket(bob, companyId=company_b, subject="B1")
    await make_ticket(loner, subject="No company")
    await make_ticket(alice, companyId=company_a, subject="Deleted", deleted=True)
    await (
        SupportTicket.get_pymongo_collection()
        .database["companies"]
        .insert_one({"_id": company_a, "name": "Alpha Homes"})
    )

    admin = await make_user(role=Role.ADMIN)
    everything = await client.get("/api/v1/support-tickets/admin/all", headers=auth(ctx, admin))
    assert everything.status_code == 200
    body = everything.json()
    assert {t["subject"] for t in body["data"]} == {"A1", "A2", "B1", "No company"}
    assert body["pagination"]["totalTickets"] == 4
    alpha = next(t for t in body["data"] if t["subject"] == "A1")
    assert alpha["companyId"] == {"_id": str(company_a), "name": "Alpha Homes"}
    by_company = await client.get(
        f"/api/v1/support-tickets/admin/all?companyId={company_b}", headers=auth(ctx, admin)
    )
    assert [t["subject"] for t in by_company.json()["data"]] == ["B1"]

    scoped = await client.get(
        "/api/v1/support-tickets/admin/all",
        headers=auth(ctx, await company_admin(company_a)),
    )
    assert {t["subject"] for t in scoped.json()["data"]} == {"A1", "A2"}
    trying_other = await client.get(
        f"/api/v1/support-tickets/admin/all?companyId={company_b}",
        headers=auth(ctx, await company_admin(company_a)),
    )
    assert trying_other.json()["data"] == []
    no_company = await client.get(
        "/api/v1/support-tickets/admin/all", headers=auth(ctx, await company_admin(None))
    )
    assert no_company.json()["data"] == []

    superadmin = await make_user(role=Role.SUPERADMIN)
    everything = await client.get(
        "/api/v1/support-tickets/superadmin/all?status=Open", headers=auth(ctx, superadmin)
    )
    assert everything.status_code == 200
    assert {t["subject"] for t in everything.json()["data"]} == {"A1", "B1", "No company"}


async def test_admin_update_and_staff_ticket_update(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    company = ObjectId()
    owner = await make_user(company=str(company))
    ticket = await make_ticket(owner, companyId=company)
    foreign = await make_ticket(await make_user(), companyId=ObjectId())
    admin = await make_user(role=Role.ADMIN)
    agent = await make_user(role=Role.ADMIN, email="agent@example.test")

    path = f"/api/v1/support-tickets/admin/update/{ticket.id}"
    response = await client.put(
        path,
        json={
            "status": "Resolved",
            "priority": "Critical",
            "assignedTo": str(agent.id),
            "internalNotes": "looked at it",
            "resolution": "Restarted",
            "escalationLevel": 3,
            "subject": "not changeable here",
        },
        headers=auth(ctx, admin),
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Ticket updated successfully"
    data = response.json()["data"]
    assert (data["status"], data["priority"], data["escalationLevel"]) == (
        "Resolved",
        "Critical",
        3,
    )
    assert data["assignedTo"]["email"] == "agent@example.test"
    assert data["assignedAt"] is not None
    assert data["resolvedAt"] is not None
    assert data["internalNotes"] == "looked at it"
    assert data["subject"] == ticket.subject
    assert data["lastUpdatedBy"] == str(admin.id)
    for bad in ({"status": "Done"}, {"escalationLevel": 9}, {"assignedTo": str(ObjectId())}):
        assert (await client.put(path, json=bad, headers=auth(ctx, admin))).status_code == 400
    missing = await client.put(
        f"/api/v1/support-tickets/admin/update/{ObjectId()}", json={}, headers=auth(ctx, admin)
    )
    assert missing.status_code == 404

    manager = await company_admin(company)
    own = await client.put(
        f"/api/v1/support-tickets/admin/ticket/{ticket.id}",
        json={"status": "Closed", "priority": "Low", "resolution": "Done"},
        headers=auth(ctx, manager),
    )
    assert own.status_code == 200
    data = own.json()["data"]
    assert (data["status"], data["priority"], data["resolution"]) == ("Closed", "Critical", "Done")
    assert data["closedAt"] is not None
    other = await client.put(
        f"/api/v1/support-tickets/admin/ticket/{foreign.id}",
        json={"status": "Closed"},
        headers=auth(ctx, manager),
    )
    assert other.status_code == 404
    untouched = await SupportTicket.get(foreign.id)
    assert untouched is not None
    assert untouched.status == "Open"


async def test_bulk_update(client: httpx.AsyncClient, ctx: AppContext) -> None:
    company = ObjectId()
    owner = await make_user(company=str(company))
    mine = [await make_ticket(owner, companyId=company) for _ in range(2)]
    theirs = await make_ticket(await make_user(), companyId=ObjectId())
    manager = await company_admin(company)

    empty = await client.put(
        "/api/v1/support-tickets/admin/bulk-update",
        json={"updates": {}},
        headers=auth(ctx, manager),
    )
    assert empty.status_code == 400
    assert empty.json() == {"success": False, "message": "Ticket IDs array is required"}
    response = await client.put(
        "/api/v1/support-tickets/admin/bulk-update",
        json={
            "ticketIds": [str(mine[0].id), mine[1].ticketId, str(theirs.id)],
            "updates": {"status": "Closed", "deleted": True, "userId": str(manager.id)},
        },
        headers=auth(ctx, manager),
    )
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "2 tickets updated successfully",
        "data": {"modifiedCount": 2, "totalCount": 3},
    }
    for ticket in mine:
        fresh = await SupportTicket.get(ticket.id)
        assert fresh is not None
        assert (fresh.status, fresh.deleted, fresh.userId) == ("Closed", False, owner.id)
        assert fresh.closedAt is not None
    other = await SupportTicket.get(theirs.id)
    assert other is not None
    assert other.status == "Open"


async def test_fast_stats_and_stats(client: httpx.AsyncClient, ctx: AppContext) -> None:
    company = ObjectId()
    owner = await make_user(company=str(company))
    await make_ticket(owner, companyId=company, status="Open", priority="Critical")
    await make_ticket(owner, companyId=company, status="Open", priority="Low")
    await make_ticket(
        owner,
        companyId=company,
        status="In Progress",
        priority="High",
        estimatedResolutionTime=utcnow() - timedelta(days=1),
    )
    await make_ticket(await make_user(), status="Closed", priority="Critical")
    await make_ticket(owner, status="Open", priority="Critical", deleted=True)
    old = await make_ticket(owner, companyId=company, status="Open", priority="Medium")
    old.createdAt = utcnow() - timedelta(days=60)
    await old.save()
    admin = await make_user(role=Role.ADMIN)

    fast = await client.get("/api/v1/support-tickets/admin/fast-stats", headers=auth(ctx, admin))
    assert fast.status_code == 200
    data = fast.json()["data"]
    assert data["totalTickets"] == 5
    assert data["openTickets"] == 3
    assert data["criticalTickets"] == 1
    assert data["statusBreakdown"] == [
        {"_id": "Open", "count": 3},
        {"_id": "Closed", "count": 1},
        {"_id": "In Progress", "count": 1},
    ]
    assert data["timestamp"].endswith("Z")

    stats = await client.get("/api/v1/support-tickets/admin/stats", headers=auth(ctx, admin))
    assert stats.status_code == 200
    assert stats.json() == {
        "success": True,
        "data": {
            "statusStats": [
                {"_id": "Open", "count": 2, "avgPriority": 1.5},
                {"_id": "Closed", "count": 1, "avgPriority": 3.0},
                {"_id": "In Progress", "count": 1, "avgPriority": 2.0},
            ],
            "categoryStats": [{"_id": TICKET_CATEGORIES[3], "count": 4}],
            "priorityStats": [
                {"_id": "Critical", "count": 2},
                {"_id": "High", "count": 1},
                {"_id": "Low", "count": 1},
            ],
            "overdueCount": 1,
            "totalTickets": 4,
        },
    }
    year = await client.get(
        "/api/v1/support-tickets/admin/stats?timeRange=year", headers=auth(ctx, admin)
    )
    assert year.json()["data"]["totalTickets"] == 5
    scoped = await client.get(
        f"/api/v1/support-tickets/admin/stats?companyId={ObjectId()}",
        headers=auth(ctx, await company_admin(company)),
    )
    assert scoped.json()["data"]["totalTickets"] == 3


async def test_search_routes(client: httpx.AsyncClient, ctx: AppContext) -> None:
    user = await make_user()
    other = await make_user()
    mine = await make_ticket(user, subject="Video (HD) broken", tags=["playback"])
    await make_ticket(user, subject="Password", description="forgot it")
    await make_ticket(other, subject="Other video (HD) issue")

    short = await client.get("/api/v1/support-tickets/search?q=a", headers=auth(ctx, user))
    assert short.status_code == 400
    assert short.json() == {
        "success": False,
        "message": "Search query must be at least 2 characters long",
    }
    own = await client.get(
        "/api/v1/support-tickets/search", params={"q": "(hd)"}, headers=auth(ctx, user)
    )
    assert own.status_code == 200
    assert [t["subject"] for t in own.json()["data"]] == ["Video (HD) broken"]
    assert own.json()["pagination"]["totalTickets"] == 1
    by_tag = await client.get(
        "/api/v1/support-tickets/search", params={"q": "PLAYBACK"}, headers=auth(ctx, user)
    )
    assert [t["_id"] for t in by_tag.json()["data"]] == [str(mine.id)]
    by_number = await client.get(
        "/api/v1/support-tickets/search", params={"q": mine.ticketId}, headers=auth(ctx, user)
    )
    assert len(by_number.json()["data"]) == 1
    regex = await client.get(
        "/api/v1/support-tickets/search", params={"q": ".*"}, headers=auth(ctx, user)
    )
    assert regex.json()["data"] == []

    admin = await make_user(role=Role.SUPERADMIN)
    for path in ("/api/v1/support-tickets/admin/search", "/api/v1/support-tickets/search"):
        every = await client.get(path, params={"q": "(HD)"}, headers=auth(ctx, admin))
        assert len(every.json()["data"]) == 2


async def test_export_json_and_csv(client: httpx.AsyncClient, ctx: AppContext) -> None:
    admin = await make_user(role=Role.ADMIN)
    headers = auth(ctx, admin)
    empty = await client.get("/api/v1/support-tickets/admin/export?format=csv", headers=headers)
    assert empty.status_code == 200
    assert empty.headers["content-type"].startswith("text/csv")
    assert empty.headers["content-disposition"] == 'attachment; filename="support-tickets.csv"'
    assert list(csv.reader(io.StringIO(empty.text))) == [
        [
            "Ticket ID",
            "Subject",
            "Category",
            "Priority",
            "Status",
            "Created",
            "User",
            "Assigned To",
            "Company",
        ]
    ]

    owner = await make_user(email="owner@example.test")
    ticket = await make_ticket(owner, subject='=HYPERLINK("x")', status="Open")
    await make_ticket(owner, subject="Closed", status="Closed")
    rows = list(
        csv.reader(
            io.StringIO(
                (
                    await client.get(
                        "/api/v1/support-tickets/admin/export?format=csv&filters[status]=Open",
                        headers=headers,
                    )
                ).text
            )
        )
    )
    assert len(rows) == 2
    assert rows[1][0] == ticket.ticketId
    assert rows[1][1] == '\'=HYPERLINK("x")'
    assert rows[1][4] == "Open"
    assert rows[1][5].endswith("Z")
    assert rows[1][6] == "owner@example.test"

    as_json = await client.get(
        "/api/v1/support-tickets/admin/export",
        params={"filters": json.dumps({"status": "Closed"})},
        headers=headers,
    )
    body = as_json.json()
    assert (body["success"], body["exportFormat"], body["totalTickets"]) == (True, "json", 1)
    assert body["data"][0]["subject"] == "Closed"

    for query in (
        "filters[status][$ne]=Open",
        "filters[deleted]=true",
        "filters=" + json.dumps({"status": {"$ne": "Open"}}),
        "filters=" + json.dumps({"$where": "1"}),
        "format=xml",
    ):
        refused = await client.get(f"/api/v1/support-tickets/admin/export?{query}", headers=headers)
        assert refused.status_code == 400, query
        assert refused.json()["success"] is False
