"""An embedded MongoDB-wire server for development: SecantusDB as a child process.

SecantusDB is GPL-2.0, so it is never imported: it is an optional dev extra
and only ever run as a separate process. Several workers of one machine share
one server: whoever finds the port free starts it (under a file lock), the
others connect to it; only the starter stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import shutil
import socket
import sys
from pathlib import Path

from app.core.logging import get_logger

log = get_logger(__name__)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _executable() -> str:
    beside = Path(sys.executable).parent / "secantusd-py"
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if not found:
        raise RuntimeError(
            "DB_URL is not set and the embedded database (secantusd-py) is not installed: "
            "run `make run` (installs the dev extra) or set DB_URL"
        )
    return found


class EmbeddedMongo:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 30.0) -> None:
        storage = self.data_dir / "mongo"
        storage.mkdir(parents=True, exist_ok=True)
        lock_path = self.data_dir / "mongo.lock"
        lock_file = await asyncio.to_thread(lock_path.open, "w")
        try:
            await asyncio.to_thread(fcntl.flock, lock_file, fcntl.LOCK_EX)
            if not await asyncio.to_thread(_port_open, self.port):
                # An explicit (empty) config keeps SecantusDB from reading a stray
                # secantusd.toml from the working directory or the home folder.
                config = self.data_dir / "secantusd.toml"
                await asyncio.to_thread(config.touch)
                log_file = await asyncio.to_thread((self.data_dir / "mongo.log").open, "ab")
                self._proc = await asyncio.create_subprocess_exec(
                    _executable(),
                    "--config",
                    str(config),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--storage-path",
                    str(storage),
                    # Development data should survive a crash of the dev server too.
                    "--sync-on-commit",
                    stdout=log_file,
                    stderr=log_file,
                    start_new_session=True,
                )
                log_file.close()
                log.info("embedded_mongo.started", port=self.port, storage=str(storage))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not await asyncio.to_thread(_port_open, self.port):
                if self._proc is not None and self._proc.returncode is not None:
                    raise RuntimeError(f"embedded database exited; see {self.data_dir}/mongo.log")
                if loop.time() > deadline:
                    raise RuntimeError("embedded database did not start in time")
                await asyncio.sleep(0.1)
        finally:
            await asyncio.to_thread(fcntl.flock, lock_file, fcntl.LOCK_UN)
            lock_file.close()

    async def stop(self) -> None:
        if self._proc is None or self._proc.returncode is not None:
            return
        self._proc.terminate()
        try:
            await asyncio.wait_for(self._proc.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        log.info("embedded_mongo.stopped", port=self.port)
