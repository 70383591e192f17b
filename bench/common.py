"""Shared bench helpers: the machine, medians, tables, process memory, models and inputs.

Memory is read from ``/proc/<pid>/status``: ``VmHWM`` (the peak resident set of that address
space) and ``VmRSS`` (now). ``ru_maxrss`` is not used for children: see
:func:`wait_peak_rss_mb`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge.device.config import parse_config, to_toml
from edge.segmenters.tflite import DEFAULT_MODEL

__all__ = [
    "LEPTON_HZ",
    "OPTIONS",
    "ROOT",
    "bench_main",
    "daemon_config",
    "lite_model",
    "machine",
    "median",
    "percentile",
    "pinned",
    "print_table",
    "proc_status_mb",
    "process_cpu_s",
    "replay_files",
    "thread_cpu_s",
    "wait_peak_rss_mb",
    "write_config",
]

# The quantisation of the shipped default model (edge/models/lite-<quant>.tflite).
DEFAULT_QUANT = Path(DEFAULT_MODEL).stem.removeprefix("lite-")

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
LEPTON_HZ = 8.7  # the FLIR Lepton's frame rate: the camera never delivers more
# Options of ``python -m bench.run`` every section reads: ``long`` adds the slow points (the
# 100k-alert outbox drain), ``cores`` pins the bench and every process it starts (mosquitto,
# the daemon) to those CPUs, as ``taskset -c`` would (None: all cores).
OPTIONS: dict[str, Any] = {"long": False, "cores": None}


def median(values: Iterable[float]) -> float:
    """Median of the values (NaN when there are none)."""
    items = [float(v) for v in values]
    return statistics.median(items) if items else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (NaN when there are no values)."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return float("nan")


def _version(module: str, attr: str = "__version__") -> str:
    try:
        mod = __import__(module, fromlist=["_"])
    except ImportError:
        return "not installed"
    return str(getattr(mod, attr, "unknown"))


def _litert_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ai-edge-litert")
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """What the figures were measured on (CPU, cores, RAM, load, library versions)."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _mem_total_gb(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "opencv": _version("cv2"),
        "litert": _litert_version(),
        "kernel": platform.release(),
    }


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A Markdown table (floats with 2 decimals, or 3 significant digits when small)."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            if value != value:  # NaN
                return "–"
            return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}"
        return str(value)

    body = [[cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in body:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (``/proc/<pid>/stat``; NaN once gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_s(thread: threading.Thread) -> float:
    """CPU seconds of a Python thread of this process (its own clock; NaN once it has gone)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))  # type: ignore[arg-type]
    except (OSError, TypeError):
        return float("nan")


@contextlib.contextmanager
def pinned(cores: set[int] | None) -> Iterator[None]:
    """Pin this thread (and so every thread and child process it starts meanwhile) to
    ``cores``, as ``taskset -c`` would; None: no change."""
    if cores is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def proc_status_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` of a running process in MB (empty once it is gone)."""
    out: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def wait_peak_rss_mb(
    proc: subprocess.Popen[Any], timeout: float | None = None
) -> tuple[int, float]:
    """Wait for ``proc``; its exit code and its peak RSS in MB (``VmHWM``, polled).

    Not ``ru_maxrss``: Linux carries the high-water mark across ``exec``, so a child started
    (vfork/fork + exec) by a bigger process reports the parent's size. ``VmHWM`` belongs to the
    child's own address space; it only grows, so the last reading before exit is the peak (up
    to the final 20 ms). Past ``timeout`` the child is killed. Its output must go to a file.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    peak = 0.0
    while True:
        peak = max(peak, proc_status_mb(proc.pid).get("VmHWM", 0.0))
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if deadline is not None and time.monotonic() > deadline:
            log.warning("pid %d ran past %.0f s: killed", proc.pid, timeout)
            proc.kill()
            deadline = None
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, peak


def lite_model(quant: str | None = None) -> Path:
    """The lite U-Net as a ``.tflite`` with its manifest (``quant`` None: the shipped default's):
    the shipped file when present, else bench_tflite's cached conversion of the lite run."""
    quant = quant or DEFAULT_QUANT
    shipped = ROOT / "edge" / "models" / f"lite-{quant}.tflite"
    if shipped.is_file() and shipped.with_suffix(".json").is_file():
        return shipped
    from bench import bench_tflite

    path: Path = bench_tflite._convert("lite", 8)[quant]
    return path


def model_origin(path: Path) -> str:
    """Where a model file comes from, for the tables."""
    if path.is_relative_to(ROOT / "edge" / "models"):
        return f"shipped {path.name}"
    try:
        manifest = json.loads(path.with_suffix(".json").read_text())
        source = manifest.get("training", {}).get("source") or manifest.get("name", "")
    except (OSError, json.JSONDecodeError):
        source = ""
    return f"bench cache {path.name} {source}".strip()


def replay_files(folder: Path, count: int, seed: int, *, resolution: str = "lepton") -> list[Path]:
    """Phantom frames written with :func:`edge.phantom.write_dataset`, ordered like a camera
    sees subjects: each abnormal subject held for 8 frames and each normal one for 4 (so the
    sequence is abnormal-heavy and alerts open and end), cycling through the written subjects.
    """
    from edge.phantom import write_dataset

    labels = write_dataset(folder, count=count, seed=seed, resolution=resolution)  # type: ignore[arg-type]
    files: list[Path] = []
    for label in labels:
        hold = 4 if label.stage == "normal" else 8
        files += [folder / f"{label.subject}.npy"] * hold
    return files


def daemon_config(
    state_dir: Path,
    port: int,
    source: dict[str, Any],
    segmenter: dict[str, Any],
    **sections: dict[str, Any],
) -> dict[str, Any]:
    """A device config for benches: loopback broker, fast reconnects, quick alerts."""
    data: dict[str, Any] = {
        "device_id": "bench",
        "state_dir": str(state_dir),
        "source": source,
        "segmenter": segmenter,
        "alerts": {"open_after": 3, "close_after": 3, "update_interval_s": 1.0},
        "mqtt": {"host": "127.0.0.1", "port": port, "reconnect_min_s": 0.1, "reconnect_max_s": 0.5},
        "stats": {"interval_s": 5.0, "window": 100_000},
        "pipeline": {"flush_timeout_s": 30.0, "drain_timeout_s": 30.0},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    parse_config(data, "bench config")  # fail here, naming the key, not in the child
    return data


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write a config dict as TOML (paths as strings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(json.loads(json.dumps(data, default=str))), encoding="utf-8")
    return path


def python() -> str:
    """The interpreter the benches run children with (the venv's)."""
    return sys.executable


def bench_main(
    doc: str | None,
    run: Callable[[bool], dict[str, Any]],
    print_result: Callable[[dict[str, Any]], None],
    quick_help: str,
    *,
    log_level: int = logging.WARNING,
) -> None:
    """The ``python -m bench.X [--quick] [--json FILE]`` entry shared by the benches."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    logging.basicConfig(level=log_level, format="%(message)s")
    result = run(args.quick)
    print_result(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
