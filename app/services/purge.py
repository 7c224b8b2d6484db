"""Trash purge: one cycle removes what has been in the trash longer than the
retention period, storage objects included, in batches.

The scheduler only takes the lease lock and calls :func:`run_purge_cycle`;
tests call it directly with an injected ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.core.logging import get_logger
from app.services.accounts import purge_trashed_users
from app.services.context import AppContext
from app.services.meetings import purge_trashed_meetings
from app.services.uploads import purge_trashed_uploads, sweep_expired_sessions

log = get_logger(__name__)


@dataclass
class PurgeReport:
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def cutoff(ctx: AppContext, now: datetime) -> datetime:
    return now - timedelta(days=ctx.settings.TRASH_RETENTION_DAYS)


async def run_purge_cycle(ctx: AppContext, now: datetime) -> PurgeReport:
    report = PurgeReport()
    # Each area registers its purge here (meetings, uploads, users).
    report.removed["users"] = await purge_trashed_users(ctx, cutoff(ctx, now))
    report.removed["meetings"] = await purge_trashed_meetings(ctx, now)
    report.removed["uploads"] = await purge_trashed_uploads(ctx, now)
    report.removed["upload_sessions"] = await sweep_expired_sessions(ctx, now)
    if report.total:
        log.info("purge.cycle", **report.removed)
    return report
