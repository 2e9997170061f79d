"""Starting and watching Celery worker processes from Python (the benchmark and the worker integration test)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


def start_worker(name: str, env: dict[str, str], *, queue: str = "celery", log: Any = None,
                 loglevel: str = "WARNING") -> subprocess.Popen:
    """One worker process (solo pool: the process is the worker, so its memory is the worker's memory)."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue,
               "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--loglevel", loglevel]
    return subprocess.Popen(command, cwd=BASE_DIR, env={**os.environ, **env}, stdout=log or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL, start_new_session=True)


def wait_ready(app: Any, count: int, timeout: float = 30.0) -> None:
    """Block until ``count`` workers answer a ping (they are consuming the queue)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=0.5) or []) >= count:
            return
    raise TimeoutError(f"{count} Celery worker(s) did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen, kill: bool = False) -> None:
    """Stop a worker and its process group: SIGTERM (warm shutdown) or SIGKILL (a crash)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def peak_rss_kib(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process and, summed, its children; 0 when it is gone."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total
