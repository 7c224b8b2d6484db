"""HTTP routes of the support-ticket area (core-api.md §14, §15).

Envelope: plain ``{success, message?, data, pagination?}``. Route guards answer
401 with the original's texts; static segments (``/admin/...``,
``/superadmin/all``, ``/my-tickets``, ``/search``) are declared before the
parametrised ones.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from app.api.deps import ClientIP, Ctx, CurrentUser, require_roles
from app.api.responses import AppJSONResponse, ok
from app.models.user import Role, User
from app.services import tickets

router = APIRouter(tags=["support-tickets"])
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()

StaffUser = Annotated[
    User,
    Depends(
        require_roles(
            Role.ADMIN,
            Role.SUPERADMIN,
            Role.COMPANY_ADMIN,
            message="Only admin, superadmin, or company-admin can perform this operation",
            status=401,
        )
    ),
]
AdminUser = Annotated[
    User,
    Depends(
        require_roles(
            Role.ADMIN,
            Role.SUPERADMIN,
            message="Only admin or superadmin can perform this operation",
            status=401,
        )
    ),
]
SuperUser = Annotated[
    User,
    Depends(
        require_roles(
            Role.SUPERADMIN, message="Only superadmin can perform this operation", status=401
        )
    ),
]

Page = Annotated[int | None, Query()]
Text = Annotated[str | None, Query()]


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TicketIn(Loose):
    category: str | None = None
    priority: str | None = None
    subject: str | None = None
    description: str | None = None
    tags: list[str] | str | None = None
    source: str | None = None
    estimatedResolutionTime: str | int | float | None = None
    files: list[Any] | None = None


class OwnerUpdateIn(Loose):
    subject: str | None = None
    description: str | None = None
    category: str | None = None
    priority: str | None = None
    tags: list[str] | str | None = None


class StaffUpdateIn(Loose):
    status: str | None = None
    priority: str | None = None
    assignedTo: str | None = None
    internalNotes: str | None = None
    resolution: str | None = None
    estimatedResolutionTime: str | int | float | None = None
    escalationLevel: int | None = None


class BulkUpdateIn(Loose):
    ticketIds: list[Any] | None = None
    updates: dict[str, Any] | None = None


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


async def _create(body: TicketIn, ctx: Ctx, user: User, ip: str, agent: str) -> AppJSONResponse:
    data = await tickets.create_ticket(ctx, user, body.model_dump(), ip=ip, user_agent=agent)
    return ok(
        {"success": True, "message": "Support ticket created successfully", "data": data}, 201
    )


@router.post("/support-tickets/create")
async def create_ticket(
    body: TicketIn,
    ctx: Ctx,
    user: CurrentUser,
    ip: ClientIP,
    agent: Annotated[str, Depends(user_agent)],
) -> AppJSONResponse:
    return await _create(body, ctx, user, ip, agent)


@router.post("/raise-support-ticket")
async def raise_support_ticket(
    body: TicketIn,
    ctx: Ctx,
    user: CurrentUser,
    ip: ClientIP,
    agent: Annotated[str, Depends(user_agent)],
) -> AppJSONResponse:
    """Alias of ``/support-tickets/create`` (core-api.md §15)."""
    return await _create(body, ctx, user, ip, agent)


@router.get("/support-tickets/my-tickets")
async def my_tickets(
    user: CurrentUser,
    page: Page = None,
    limit: Page = None,
    status: Text = None,
    category: Text = None,
    priority: Text = None,
    sortBy: Text = None,
    sortOrder: Text = None,
) -> AppJSONResponse:
    data, paging = await tickets.my_tickets(
        user,
        page=page,
        limit=limit,
        status=status,
        category=category,
        priority=priority,
        sort_by=sortBy,
        sort_order=sortOrder,
    )
    return ok({"success": True, "data": data, "pagination": paging})


@router.get("/support-tickets/search")
async def search(
    user: CurrentUser, q: Text = None, page: Page = None, limit: Page = None
) -> AppJSONResponse:
    data, paging = await tickets.search_tickets(user, q, page=page, limit=limit, staff_route=False)
    return ok({"success": True, "data": data, "pagination": paging})


# --------------------------------------------------------------------------- staff


StaffListQuery = Annotated[tickets.StaffListFilters, Query()]


@router.get("/support-tickets/admin/all")
async def admin_all(user: StaffUser, filters: StaffListQuery) -> AppJSONResponse:
    data, paging = await tickets.staff_list(user, filters, default_limit=20)
    return ok({"success": True, "data": data, "pagination": paging})


@router.get("/support-tickets/superadmin/all")
async def superadmin_all(user: SuperUser, filters: StaffListQuery) -> AppJSONResponse:
    data, paging = await tickets.staff_list(user, filters, default_limit=50)
    return ok({"success": True, "data": data, "pagination": paging})


@router.get("/support-tickets/admin/fast-stats")
async def fast_stats(_: AdminUser) -> AppJSONResponse:
    return ok({"success": True, "data": await tickets.fast_stats()})


@router.get("/support-tickets/admin/stats")
async def stats(user: StaffUser, companyId: Text = None, timeRange: Text = None) -> AppJSONResponse:
    data = await tickets.ticket_stats(user, company_id=companyId, time_range=timeRange)
    return ok({"success": True, "data": data})


@router.get("/support-tickets/admin/search")
async def admin_search(
    user: StaffUser, q: Text = None, page: Page = None, limit: Page = None
) -> AppJSONResponse:
    data, paging = await tickets.search_tickets(user, q, page=page, limit=limit, staff_route=True)
    return ok({"success": True, "data": data, "pagination": paging})


@router.get("/support-tickets/admin/export", response_model=None)
async def export(
    request: Request, user: StaffUser, format: Text = None
) -> AppJSONResponse | Response:
    kind, payload = await tickets.export_tickets(
        user, format, list(request.query_params.multi_items())
    )
    if kind == "csv":
        return Response(
            payload,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="support-tickets.csv"'},
        )
    return ok(
        {"success": True, "data": payload, "exportFormat": "json", "totalTickets": len(payload)}
    )


@router.put("/support-tickets/admin/bulk-update")
async def bulk_update(body: BulkUpdateIn, user: StaffUser) -> AppJSONResponse:
    modified, total = await tickets.bulk_update(user, body.ticketIds, body.updates or {})
    return ok(
        {
            "success": True,
            "message": f"{modified} tickets updated successfully",
            "data": {"modifiedCount": modified, "totalCount": total},
        }
    )


@router.put("/support-tickets/admin/update/{ticket_id}")
async def admin_update(ticket_id: str, body: StaffUpdateIn, user: AdminUser) -> AppJSONResponse:
    data = await tickets.staff_update(
        user, ticket_id, body.model_dump(exclude_unset=True), tickets.ADMIN_UPDATE_FIELDS
    )
    return ok({"success": True, "message": "Ticket updated successfully", "data": data})


@router.put("/support-tickets/admin/ticket/{ticket_id}")
async def staff_ticket_update(
    ticket_id: str, body: StaffUpdateIn, user: StaffUser
) -> AppJSONResponse:
    data = await tickets.staff_update(
        user, ticket_id, body.model_dump(exclude_unset=True), tickets.STAFF_TICKET_FIELDS
    )
    return ok({"success": True, "message": "Ticket updated successfully", "data": data})


# --------------------------------------------------------------------------- owner


@router.get("/support-tickets/ticket/{ticket_id}")
async def get_ticket(ticket_id: str, user: CurrentUser) -> AppJSONResponse:
    return ok({"success": True, "data": await tickets.get_own_ticket(user, ticket_id)})


@router.put("/support-tickets/ticket/{ticket_id}")
async def update_ticket(ticket_id: str, body: OwnerUpdateIn, user: CurrentUser) -> AppJSONResponse:
    data = await tickets.update_own_ticket(user, ticket_id, body.model_dump(exclude_unset=True))
    return ok({"success": True, "message": "Ticket updated successfully", "data": data})


@router.delete("/support-tickets/ticket/{ticket_id}")
async def delete_ticket(ticket_id: str, ctx: Ctx, user: CurrentUser) -> AppJSONResponse:
    await tickets.delete_own_ticket(ctx, user, ticket_id)
    return ok({"success": True, "message": "Ticket deleted successfully"})


@router.delete("/support-tickets/{ticket_id}/attachments/{attachment_id}")
async def delete_attachment(
    ticket_id: str, attachment_id: str, ctx: Ctx, user: CurrentUser
) -> AppJSONResponse:
    await tickets.delete_attachment(ctx, user, ticket_id, attachment_id)
    return ok({"success": True, "message": "Attachment deleted successfully"})
