"""``python -m bench.profile B1|B2|B3|B4 [seconds]``: sample the running service with
py-spy (``pip install py-spy``; sampling, so the service runs at full speed)
while one benchmark drives it, and print the top functions by own and by
inclusive time. The collapsed stacks are kept in ``/tmp/videodesk-profile-<id>.txt``.
This is how the fixes in bench/README.md were found."""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path

from bench import http_load, media, sockets
from bench.env import FRONTEND, backends, start_service
from bench.seed import seed


def summarise(collapsed: Path, top: int = 40) -> str:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    rows = [f"samples: {total}", "-- own time --"]
    rows += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    rows.append("-- inclusive time --")
    rows += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(rows)


def main() -> int:
    bid = sys.argv[1] if len(sys.argv) > 1 else "B1"
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = Path(f"/tmp/videodesk-profile-{bid}.txt")
    with backends() as back:
        seeded = seed(back, "bench")
        service = start_service(back, "bench")
        try:
            argv = [spy, "record", "-r", "200", "-f", "raw", "-o", str(out)]
            argv += ["-d", str(seconds + 2), "-p", str(service.proc.pid), "--nonblocking"]
            recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
            base = service.base
            if bid == "B4":
                result = sockets.run_b4(service)
            elif bid == "B3":
                result = media.run_b3(back, service, seeded["media_token"], 12)
            else:
                if bid == "B2":
                    url, method = base + "/api/v1/meetings/search", "POST"
                    body = seeded["search_body"]
                    cookie, conns = f"token={seeded['search_token']}", 32
                else:
                    url, method, body = base + "/api/v1/me", "GET", None
                    cookie, conns = f"token={seeded['me_token']}", 64
                result = http_load.run_wrk(
                    url,
                    method=method,
                    cookie=cookie,
                    origin=FRONTEND,
                    body=body,
                    connections=conns,
                    duration_s=seconds,
                    timeout_s=30,
                )
            recorder.wait(timeout=seconds + 60)
        finally:
            service.stop()
    sys.stdout.write(f"{result}\n{summarise(out)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
