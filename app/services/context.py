"""The clients every service needs, opened once by the app lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from app.core.config import Settings
from app.core.db import Database
from app.core.locks import LeaseLock
from app.core.ratelimit import RateLimiter
from app.services.mail import MailService
from app.services.notifier import Notifier
from app.services.presence import PresenceService
from app.services.sms import SmsService
from app.services.storage import Storage


@dataclass
class AppContext:
    settings: Settings
    db: Database
    storage: Storage
    mail: MailService
    sms: SmsService
    limiter: RateLimiter
    lock: LeaseLock
    notifier: Notifier = field(default_factory=Notifier)
    redis: Redis | None = None
    # Replaced by the Redis-backed service when REDIS_URL is set (app.sockets.server.attach).
    presence: PresenceService = field(default_factory=PresenceService.in_memory)
