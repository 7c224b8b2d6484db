"""APScheduler 3 wiring. Jobs only take the lease lock and call a service function."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.core.logging import get_logger
from app.models.system import PurgeRun
from app.services.context import AppContext
from app.services.purge import run_purge_cycle

log = get_logger(__name__)

# Which process ran a purge cycle (recorded in the purge-run log).
NODE_NAME = f"{socket.gethostname()}:{os.getpid()}"


async def purge_job(ctx: AppContext) -> None:
    # Lease slightly shorter than the interval: exactly one worker per interval.
    ttl = max(1, ctx.settings.PURGE_INTERVAL_SECONDS - 1)
    try:
        if not await ctx.lock.acquire("trash-purge", ttl):
            return
        started = datetime.now(UTC)
        report = await run_purge_cycle(ctx, started)
        await PurgeRun(startedAt=started, node=NODE_NAME, removed=report.removed).insert()
    except Exception as exc:  # a failed cycle is retried next interval
        log.error("purge.failed", error=str(exc))


def build_scheduler(ctx: AppContext) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        purge_job,
        "interval",
        seconds=ctx.settings.PURGE_INTERVAL_SECONDS,
        args=[ctx],
        id="trash-purge",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
