"""B4 (signaling relay) and B5 (idle connections): orchestrates client
processes from :mod:`bench.sio_clients` against a running service."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from bench.env import ROOT, Service


class ClientProcs:
    def __init__(self, configs: list[dict[str, Any]]) -> None:
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.sio_clients", json.dumps(cfg)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for cfg in configs
        ]

    def _line(self, proc: subprocess.Popen[str], tag: str) -> dict[str, Any]:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(tag + " "):
                answer: dict[str, Any] = json.loads(line[len(tag) + 1 :])
                return answer
        raise RuntimeError(f"client process ended without {tag} (rc={proc.wait()})")

    def collect(self, tag: str) -> list[dict[str, Any]]:
        return [self._line(p, tag) for p in self.procs]

    def go(self) -> None:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write("GO\n")
            proc.stdin.flush()

    def wait(self) -> None:
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_b4(
    service: Service, rooms: int = 100, offers: int = 20, processes: int = 2
) -> dict[str, Any]:
    room_ids = [str(uuid.uuid4()) for _ in range(rooms)]
    share = [room_ids[i::processes] for i in range(processes)]
    clients = ClientProcs(
        [
            {
                "mode": "rooms",
                "url": service.base,
                "rooms": ids,
                "offers": offers,
                "interval_s": 0.1,
            }
            for ids in share
        ]
    )
    ready = clients.collect("READY")
    clients.go()
    results = clients.collect("RESULT")
    clients.wait()
    paced = [x for r in results for x in r["latencies_ms"]["paced"]]
    burst = [x for r in results for x in r["latencies_ms"]["burst"]]
    delivered_burst = sum(r["delivered"]["burst"] for r in results)
    start = min(r["burst_started"] for r in results)
    end = max(r["burst_last_recv"] for r in results)
    return {
        "rooms": rooms,
        "rooms_complete": sum(r["rooms_complete"] for r in results),
        "rooms_joined": sum(r["rooms_joined"] for r in results),
        "join_errors": sum(r["join_errors"] for r in results),
        "paced_p50_ms": round(_pct(paced, 0.5), 2),
        "paced_p99_ms": round(_pct(paced, 0.99), 2),
        "burst_p50_ms": round(_pct(burst, 0.5), 2),
        "burst_p99_ms": round(_pct(burst, 0.99), 2),
        "burst_msgs_per_s": round(delivered_burst / max(end - start, 1e-9), 0),
        "delivered_paced": sum(r["delivered"]["paced"] for r in results),
        "delivered_burst": delivered_burst,
        "expected_per_phase": rooms * offers,
        "permessage_deflate": all(r["deflate"] for r in ready),
    }


def run_b5(service: Service, connections: int = 1000, processes: int = 2) -> dict[str, Any]:
    time.sleep(2)
    before = service.rss_kb()
    per = connections // processes
    clients = ClientProcs(
        [{"mode": "idle", "url": service.base, "count": per} for _ in range(processes)]
    )
    ready = clients.collect("READY")
    connected = sum(r["connected"] for r in ready)
    # Let the handshakes' transient buffers be released before reading RSS.
    samples = []
    for _ in range(3):
        time.sleep(1)
        samples.append(service.rss_kb())
    during = statistics.median(samples)
    clients.go()
    clients.collect("RESULT")
    clients.wait()
    return {
        "connections": connected,
        "rss_before_mb": round(before / 1024, 1),
        "rss_connected_mb": round(during / 1024, 1),
        "kb_per_connection": round((during - before) / max(connected, 1), 1),
        "permessage_deflate": all(r["deflate"] for r in ready),
    }
