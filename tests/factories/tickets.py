"""Support tickets stored directly, for the listing/stats/admin tests."""

from __future__ import annotations

import itertools
from typing import Any

from app.models.tickets import TICKET_CATEGORIES, SupportTicket
from app.models.user import User

_counter = itertools.count(1)


async def make_ticket(owner: User, **fields: Any) -> SupportTicket:
    number = next(_counter)
    assert owner.id is not None
    values: dict[str, Any] = {
        "userId": owner.id,
        "category": TICKET_CATEGORIES[3],
        "subject": f"Problem number {number}",
        "description": f"Something went wrong ({number})",
    }
    values.update(fields)
    ticket = SupportTicket(**values)
    await ticket.insert()
    return ticket
