"""Shared bench helpers: a real server in its own process, latency stats."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def ensure_default_db(path: Path) -> Path:
    if not path.exists():
        subprocess.run([sys.executable, "-m", "server.cli.main", "init", "--db", str(path)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


@contextmanager
def running_server(db: Path):
    """`termbridge serve --port 0` in a child process; yields its address."""
    with running_process(["-m", "server.cli.main", "serve", "--port", "0", "--db", str(db)]) as address:
        yield address


@contextmanager
def running_process(args: list[str]):
    """A Python child process that prints "... listening on HOST:PORT"; yields the address."""
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError("server did not start")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def latency_summary(samples: list[float], seconds: float) -> dict:
    ordered = sorted(samples)
    return {"calls": len(samples), "calls_per_second": round(len(samples) / seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3)}


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
