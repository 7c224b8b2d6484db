"""Real servers for the test-suite, each a subprocess on 127.0.0.1.

Every server runs in its own session (process group) so that ``stop()`` also
reaps anything the server forked, and every server writes stdout+stderr to a
log file whose tail is put into the error when the server fails to come up.

``restart()`` brings a stopped (or running) server back on the same port with
the same data directory; fault tests use it to take MongoDB or Redis away from
the application and give it back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

__all__ = [
    "ServerProcess",
    "free_port",
    "restart",
    "start_mongo",
    "start_moto",
    "start_redis",
]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
READY_TIMEOUT = 30.0
_LOG_TAIL_BYTES = 4000
# A port picked by free_port() can be taken by someone else before the server
# binds it; when the caller did not ask for a specific port we retry on a new one.
_PORT_RACE_ATTEMPTS = 3

Probe = Callable[[], bool]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A running (or stopped) server subprocess and what is needed to restart it."""

    name: str
    port: int
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    argv: list[str] = field(default_factory=list)
    ready: Probe = field(default=lambda: True, repr=False)
    data_dir: Path | None = None
    cwd: Path | None = None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the process group, SIGKILL it if it has not exited within ``timeout``."""
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            # A paused server would keep SIGTERM pending forever.
            self._signal_group(signal.SIGCONT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s on port %d ignored SIGTERM; killing it", self.name, self.port)
                self._signal_group(signal.SIGKILL)
                self.proc.wait(timeout=timeout)
        # Children that outlived the leader would keep the port or the data dir locked.
        self._signal_group(signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the process group at once, as a crash would (and without stop()'s wait)."""
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers."""
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal_group(signal.SIGCONT)

    def log_tail(self, max_bytes: int = _LOG_TAIL_BYTES) -> str:
        return _tail(self.log_path, max_bytes)

    def _signal_group(self, sig: signal.Signals) -> None:
        # The server is its session's leader, so its pid is also the group id.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


def _tail(path: Path, max_bytes: int) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            return fh.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"


def _executable(name: str) -> str:
    """Prefer the script installed next to the running interpreter (the venv's bin/)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(
            f"{name} not found next to {sys.executable} nor on PATH; "
            "install the project's dev extras (pip install -e '.[dev]')"
        )
    return found


def _log_dir(log_dir: Path | None, name: str) -> Path:
    if log_dir is None:
        return Path(tempfile.mkdtemp(prefix=f"videodesk-{name}-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir


def _launch(
    name: str,
    argv: list[str],
    log_path: Path,
    cwd: Path | None,
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # Python servers buffer their logs otherwise, and the tail we report would be empty.
    env["PYTHONUNBUFFERED"] = "1"
    log.debug("starting %s: %s (log: %s)", name, " ".join(argv), log_path)
    # Appending keeps the history of a server across restart().
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )


class _ExitedEarly(RuntimeError):
    """The server died before answering; with a port we picked, maybe a lost port race."""


def _wait_ready(server: ServerProcess, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        code = server.proc.poll()
        if code is not None:
            raise _ExitedEarly(
                f"{server.name} exited with code {code} before it was ready "
                f"(port {server.port}); log {server.log_path}:\n{server.log_tail()}"
            )
        if server.ready():
            log.debug("%s ready at %s", server.name, server.url)
            return
        if time.monotonic() >= deadline:
            server.stop()
            raise RuntimeError(
                f"{server.name} not ready after {timeout:.0f}s on port {server.port}; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        time.sleep(0.1)


def _start(
    name: str,
    port: int | None,
    make: Callable[[int], tuple[list[str], str, Probe]],
    log_dir: Path,
    data_dir: Path | None,
) -> ServerProcess:
    attempts = 1 if port is not None else _PORT_RACE_ATTEMPTS
    for attempt in range(1, attempts + 1):
        chosen = port if port is not None else free_port()
        argv, url, probe = make(chosen)
        log_path = log_dir / f"{name}-{chosen}.log"
        server = ServerProcess(
            name=name,
            port=chosen,
            url=url,
            proc=_launch(name, argv, log_path, log_dir),
            log_path=log_path,
            argv=argv,
            ready=probe,
            data_dir=data_dir,
            cwd=log_dir,
        )
        try:
            _wait_ready(server)
        except _ExitedEarly:
            server.stop()
            if attempt == attempts:
                raise
            log.info("%s exited on port %d, retrying on another port", name, chosen)
            continue
        return server
    raise AssertionError("unreachable")


def restart(server: ServerProcess, timeout: float = READY_TIMEOUT) -> ServerProcess:
    """Start ``server`` again with the same argv: same port, same data directory."""
    if server.alive():
        server.stop()
    proc = _launch(server.name, server.argv, server.log_path, server.cwd)
    again = dataclasses.replace(server, proc=proc)
    _wait_ready(again, timeout)
    return again


# --- MongoDB wire protocol: SecantusDB ---------------------------------------------------


def _mongo_probe(url: str) -> Probe:
    def probe() -> bool:
        client: MongoClient[dict[str, object]] = MongoClient(
            url, serverSelectionTimeoutMS=500, connectTimeoutMS=500
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True

    return probe


def start_mongo(
    data_dir: Path,
    port: int | None = None,
    log_dir: Path | None = None,
    *,
    sync_on_commit: bool = False,
) -> ServerProcess:
    """SecantusDB on 127.0.0.1, storing in ``data_dir``; url is ``mongodb://127.0.0.1:P``.

    SecantusDB advertises itself as a single-node replica set named ``secantus``
    (so transactions and change streams work): do not add ``replicaSet=rs0``
    to the URL used against it.

    Data survives ``stop()`` + ``restart()``. It survives ``kill()`` only with
    ``sync_on_commit=True``: otherwise recent commits are still in the server's
    own log buffer when it dies. A graceful ``stop()`` takes about 2 s (the
    server joins its accept thread with a 2 s timeout); ``kill()`` is instant.
    """
    exe = _executable("secantusd-py")
    logs = _log_dir(log_dir, "mongo")
    # An explicit (empty) config stops SecantusDB from picking up a secantusd.toml
    # from the working directory, ~/.secantus or /etc/secantus.
    config = logs / "secantusd.toml"
    config.touch()

    def make(port: int) -> tuple[list[str], str, Probe]:
        url = f"mongodb://{HOST}:{port}"
        argv = [
            exe,
            "--config",
            str(config),
            "--host",
            HOST,
            "--port",
            str(port),
            "--storage-path",
            str(data_dir),
        ]
        if sync_on_commit:
            argv.append("--sync-on-commit")
        return argv, url, _mongo_probe(url)

    return _start("mongo", port, make, logs, data_dir)


# --- S3: moto ----------------------------------------------------------------------------


def _http_probe(url: str) -> Probe:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except urllib.error.HTTPError:
            # Any HTTP status means the server is up and parsing requests.
            return True
        except (urllib.error.URLError, OSError):
            return False

    return probe


def start_moto(port: int | None = None, log_dir: Path | None = None) -> ServerProcess:
    """moto in server mode (S3 and friends); url is ``http://127.0.0.1:P``.

    State is in memory only: restart() gives back an empty moto.
    """
    exe = _executable("moto_server")
    logs = _log_dir(log_dir, "moto")

    def make(port: int) -> tuple[list[str], str, Probe]:
        url = f"http://{HOST}:{port}"
        return [exe, "-H", HOST, "-p", str(port)], url, _http_probe(url)

    return _start("moto", port, make, logs, None)


# --- Redis -------------------------------------------------------------------------------


def _redis_probe(port: int) -> Probe:
    def probe() -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    return probe


def start_redis(
    data_dir: Path, port: int | None = None, log_dir: Path | None = None
) -> ServerProcess:
    """redis-server without persistence; url is ``redis://127.0.0.1:P/0``."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError(
            "redis-server is not on PATH; install it with: apt-get install redis-server"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    logs = _log_dir(log_dir, "redis")

    def make(port: int) -> tuple[list[str], str, Probe]:
        argv = [
            exe,
            "--port",
            str(port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
        ]
        return argv, f"redis://{HOST}:{port}/0", _redis_probe(port)

    return _start("redis", port, make, logs, data_dir)
