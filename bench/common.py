"""Helpers for the benchmark scripts: timing in a fresh child process with its peak memory."""
from __future__ import annotations

import json
import multiprocessing as mp
import platform
import resource
import time
from pathlib import Path


def _child(queue, func, args, kwargs, after):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, peak_mb, after(value) if after else value))


def measure(func, *args, after=None, **kwargs) -> dict:
    """Run ``func`` in a forked child; return its wall seconds, peak RSS (MB) and return value.

    ``after(value)``, when given, turns the value into what is sent back (a fingerprint of a
    big table, say) once the time and the peak are taken: it is not measured.

    The child starts from the parent's memory, so peak RSS includes what the parent held:
    build inputs lazily inside ``func`` (or from a file) when memory matters.
    """
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, func, args, kwargs, after))
    proc.start()
    seconds, peak_mb, value = queue.get()
    proc.join()
    return {"seconds": round(seconds, 3), "peak_mb": round(peak_mb, 1), "value": value}


def machine() -> dict:
    """What the figures were measured on."""
    import os
    return {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "cpu": _cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def _cpu_model() -> str:
    """The processor's model name (Linux), so runs on different hardware can be told apart."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_json(path: str | Path | None, payload: dict) -> None:
    """Write a benchmark's figures (UTF-8 JSON) when ``--out`` was given."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
