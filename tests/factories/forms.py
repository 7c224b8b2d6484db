"""Stored form submissions for the back-office tests."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from app.models.base import utcnow
from app.models.forms import CallbackRequest, DemoMeeting, Feedback

_counter = itertools.count(1)


async def make_callback_request(**fields: Any) -> CallbackRequest:
    number = next(_counter)
    values: dict[str, Any] = {
        "name": f"Lead {number}",
        "email": f"lead{number}@example.test",
        "phone": f"+4477009000{number:02d}",
    }
    values.update(fields)
    request = CallbackRequest(**values)
    await request.insert()
    return request


async def make_demo_meeting(**fields: Any) -> DemoMeeting:
    number = next(_counter)
    values: dict[str, Any] = {
        "name": f"Prospect {number}",
        "email": f"prospect{number}@example.test",
        "requestedDate": utcnow() + timedelta(days=3),
        "company": f"Company {number}",
    }
    values.update(fields)
    meeting = DemoMeeting(**values)
    await meeting.insert()
    return meeting


async def make_image_feedback(**fields: Any) -> Feedback:
    number = next(_counter)
    values: dict[str, Any] = {
        "userEmail": f"user{number}@example.test",
        "imageIndex": 0,
        "analysisId": f"analysis-{number}",
        "feedbackType": "thumbsUp",
        "imageData": "data:image/png;base64,iVBORw0KGgo=",
    }
    values.update(fields)
    feedback = Feedback(**values)
    await feedback.insert()
    return feedback
