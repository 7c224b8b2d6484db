"""Trash purge of meetings: time injected, storage objects included, batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.config import Settings
from app.models.meeting import Meeting
from app.services.context import AppContext
from app.services.meetings import purge_trashed_meetings
from app.services.purge import run_purge_cycle
from tests.factories.meetings import make_meeting, stored_recording, stored_screenshot
from tests.factories.users import make_user

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def bucket_keys(s3: Any, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


async def test_purge_removes_expired_meetings_and_their_objects(
    ctx: AppContext, s3: Any, settings: Settings
) -> None:
    user = await make_user()
    expired = await make_meeting(user, deleted=True, deletedAt=NOW - timedelta(days=10, seconds=1))
    expired.recordings = [await stored_recording(ctx, expired.meeting_id, user)]
    expired.screenshots = [await stored_screenshot(ctx, expired.meeting_id, user)]
    await expired.save()
    recent = await make_meeting(user, deleted=True, deletedAt=NOW - timedelta(days=9))
    recent.screenshots = [await stored_screenshot(ctx, recent.meeting_id, user)]
    await recent.save()
    active = await make_meeting(user, createdAt=NOW - timedelta(days=400))
    archived_old = await make_meeting(user, archived=True, archivedAt=NOW - timedelta(days=90))

    removed = await purge_trashed_meetings(ctx, NOW)

    assert removed == 1
    assert await Meeting.get(expired.id) is None
    for kept in (recent, active, archived_old):
        assert await Meeting.get(kept.id) is not None
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == {recent.screenshots[0].cloudinary_id}
    assert await purge_trashed_meetings(ctx, NOW) == 0


async def test_trashed_without_date_is_stamped_then_purged_after_retention(ctx: AppContext) -> None:
    user = await make_user()
    legacy = await make_meeting(user, deleted=True, deletedAt=None)

    assert await purge_trashed_meetings(ctx, NOW) == 0
    stamped = await Meeting.get(legacy.id)
    assert stamped is not None
    assert stamped.deletedAt == NOW.replace(tzinfo=None)

    assert await purge_trashed_meetings(ctx, NOW + timedelta(days=9)) == 0
    assert await purge_trashed_meetings(ctx, NOW + timedelta(days=10)) == 1
    assert await Meeting.get(legacy.id) is None


async def test_purge_works_in_batches(ctx: AppContext, s3: Any, settings: Settings) -> None:
    user = await make_user()
    for _ in range(5):
        meeting = await make_meeting(user, deleted=True, deletedAt=NOW - timedelta(days=30))
        meeting.recordings = [await stored_recording(ctx, meeting.meeting_id, user)]
        await meeting.save()
    assert len(bucket_keys(s3, settings.S3_BUCKET_NAME)) == 5

    assert await purge_trashed_meetings(ctx, NOW, batch_size=2) == 5
    assert await Meeting.find_all().count() == 0
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == set()


async def test_retention_is_configurable(settings_factory: Any) -> None:
    from tests.conftest import running_app

    async with running_app(settings_factory(TRASH_RETENTION_DAYS=2)) as app:
        ctx: AppContext = app.state.ctx
        user = await make_user()
        meeting = await make_meeting(user, deleted=True, deletedAt=NOW - timedelta(days=3))
        assert await purge_trashed_meetings(ctx, NOW) == 1
        assert await Meeting.get(meeting.id) is None


async def test_purge_cycle_includes_meetings(ctx: AppContext) -> None:
    user = await make_user()
    await make_meeting(user, deleted=True, deletedAt=NOW - timedelta(days=11))
    report = await run_purge_cycle(ctx, NOW)
    assert report.removed["meetings"] == 1
