"""The benchmark's world: the real local servers the tests use, and the service
under test as a separate process (so its RSS is measured alone).

The servers come from :mod:`tests.support.servers` (SecantusDB, moto, Redis)
and :mod:`tests.support.smtp_sink` (aiosmtpd), exactly as ``make test`` starts
them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.servers import ServerProcess, free_port, start_mongo, start_moto, start_redis
from tests.support.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
JWT_SECRET = "bench-secret-0123456789abcdef-0123456789"
FRONTEND = "http://localhost:3000"


@dataclass
class Backends:
    mongo: ServerProcess
    moto: ServerProcess
    redis: ServerProcess
    smtp: SmtpSink
    workdir: Path

    def stop(self) -> None:
        for server in (self.mongo, self.moto, self.redis):
            with contextlib.suppress(Exception):
                server.stop()
        with contextlib.suppress(Exception):
            self.smtp.stop()


@contextlib.contextmanager
def backends() -> Iterator[Backends]:
    workdir = Path(tempfile.mkdtemp(prefix="videodesk-bench-"))
    mongo = start_mongo(workdir / "mongo", log_dir=workdir / "logs")
    moto = start_moto(log_dir=workdir / "logs")
    redis = start_redis(workdir / "redis", log_dir=workdir / "logs")
    smtp = SmtpSink()
    smtp.start()
    found = Backends(mongo, moto, redis, smtp, workdir)
    try:
        yield found
    finally:
        found.stop()


@dataclass
class Service:
    """The app as a subprocess: ``uvicorn app.main:app`` (one worker) or ``python -m app``."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The leader and, in cluster mode, its worker children."""
        found = [self.proc.pid]
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            found += [int(p) for p in children.read_text().split()]
        return found

    def worker_pids(self) -> list[int]:
        pids = self.pids()
        # uvicorn's supervisor (cluster mode) serves nothing: the workers do.
        return pids[1:] if len(pids) > 1 else pids

    def rss_kb(self) -> int:
        """VmRSS summed over every process of the service (supervisor included)."""
        return sum(read_status(pid, "VmRSS") for pid in self.pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def read_status(pid: int, key: str) -> int:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM), 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def reset_peak(pid: int) -> bool:
    """Reset VmHWM (Linux ≥ 4.0: writing 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def service_env(back: Backends, db_name: str, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "NODE_ENV": "production",
            "JWT_SECRET": JWT_SECRET,
            "LOG_LEVEL": "WARNING",
            "FRONTEND_URL": FRONTEND,
            "DB_URL": f"{back.mongo.url}/{db_name}",
            "S3_BUCKET_NAME": "bench-media",
            "S3_ACCESS_KEY": "bench",
            "S3_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_REGION": "us-east-1",
            "S3_ENDPOINT_URL": back.moto.url,
            "MAIL_HOST": "127.0.0.1",
            "MAIL_PORT": str(back.smtp.port),
            "MAIL_STARTTLS": "false",
            "SCHEDULER_ENABLED": "false",
            "REQUEST_TIMEOUT": "600000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("REDIS_URL", None)
    env.pop("ENABLE_CLUSTER", None)
    env.update(overrides)
    return env


def start_service(
    back: Backends, db_name: str, *, cluster_workers: int = 0, **overrides: str
) -> Service:
    """Start the app and wait for ``/ready``. ``cluster_workers`` > 0 runs
    ``python -m app`` with ENABLE_CLUSTER and Redis; otherwise one uvicorn worker."""
    port = free_port()
    env = service_env(back, db_name, **overrides)
    if cluster_workers:
        env.update(
            {
                "ENABLE_CLUSTER": "true",
                "WEB_CONCURRENCY": str(cluster_workers),
                "REDIS_URL": back.redis.url,
                "PORT": str(port),
            }
        )
        argv = [PY, "-m", "app"]
    else:
        argv = [PY, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--no-access-log", "--no-server-header"]
    log_path = back.workdir / "logs" / f"service-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(proc, port, log_path, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(service.base + "/ready", timeout=2) as resp:
                if resp.status == 200:
                    if cluster_workers:
                        _wait_workers(service, cluster_workers)
                    return service
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    service.stop()
    raise RuntimeError(f"service not ready:\n{log_path.read_text()[-3000:]}")


def _wait_workers(service: Service, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(service.worker_pids()) < count:
        time.sleep(0.2)
    # Each worker runs its own lifespan; give the last one time to connect.
    time.sleep(2)


def machine() -> dict[str, str]:
    load = Path("/proc/loadavg").read_text().split()[:3]
    return {
        "nproc": str(os.cpu_count()),
        "uname": " ".join(os.uname()),
        "python": sys.version.split()[0],
        "loadavg_at_start": " ".join(load),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
