"""``python -m app``: run uvicorn with the settings' port, workers and shutdown grace."""

from __future__ import annotations

import uvicorn

from app.core.config import get_settings


def main() -> None:
    settings = get_settings()
    workers = settings.WEB_CONCURRENCY if settings.ENABLE_CLUSTER else 1
    uvicorn.run(
        "app.main:app",
        host="0.0.0.0" if settings.is_production else "127.0.0.1",
        port=settings.PORT,
        workers=workers,
        # Client IPs are resolved by the app itself (TRUSTED_PROXIES), once.
        proxy_headers=False,
        timeout_graceful_shutdown=30,
        server_header=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
