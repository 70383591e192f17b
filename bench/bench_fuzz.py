"""A longer fuzz run: hostile inputs to every parser a device or a dashboard meets.

The targets of the suite's property tests (:mod:`tests.fuzz_targets`: DMR-IR text, model
manifests, device configs, alerts through the schema and the ``listen`` sinks) plus the frame
readers (:func:`edge.io.readers.read_frame` on mutated ``.npy``, 16-bit PNG, TIFF, JPEG and DMR
text, including headers that declare huge sizes). thermoseg's own errors are the expected way to
refuse an input; any other exception is a finding, printed with the input's start, and makes the
exit status 1. Inputs are random (``--seed``, printed) and not shrunk; peak RSS is the process's.

    python -m bench.bench_fuzz                 # ~1-2 minutes
    python -m bench.bench_fuzz --quick         # a few seconds
    python -m bench.bench_fuzz --only readers --n 5000 --seed 7
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import struct
import sys
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.common import print_table
from edge.errors import ThermosegError
from edge.io.readers import read_frame
from tests.fuzz_targets import TARGETS, Target, workdir

__all__ = ["READERS", "fuzz_target", "main", "run"]

# Inputs per target at full size (about 1-2 minutes in all on a small machine) and --quick.
DEFAULT_N = {
    "dmr_text": 5000,
    "manifest": 4000,
    "config": 4000,
    "alert_sinks": 4000,
    "readers": 6000,
}
QUICK_N = 40
# The readers run under this address-space limit so that a decompression bomb fails as a
# MemoryError (a finding) instead of taking the machine.
READER_AS_LIMIT = 4 * 2**30


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _seeds() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    y16 = (rng.normal(30715, 40, (120, 160))).astype(np.uint16)
    celsius = (30 + rng.random((12, 16)) * 5).astype(np.float32)
    buf = io.BytesIO()
    np.save(buf, celsius)
    text = "\n".join(" ".join(f"{v:.2f}" for v in row) for row in celsius).encode()
    return {
        "npy": buf.getvalue(),
        "png": cv2.imencode(".png", y16)[1].tobytes(),
        "tiff": cv2.imencode(".tiff", y16)[1].tobytes(),
        "jpeg": cv2.imencode(".jpg", (y16 >> 8).astype(np.uint8))[1].tobytes(),
        "txt": text,
    }


SEEDS = _seeds()
HUGE = st.sampled_from([0, 1, 3, 65535, 65536, 30000, 100000, 2**31 - 1, 2**32 - 1])


@st.composite
def _reader_input(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(sorted(SEEDS)))
    data = SEEDS[kind]
    how = draw(st.sampled_from(["mutate", "header", "truncate"]))
    if how == "header" and kind == "png":
        width, height = draw(HUGE), draw(HUGE)
        ihdr = struct.pack(">II", width, height) + data[24:29]
        data = data[:8] + _png_chunk(b"IHDR", ihdr) + data[33:]
    elif how == "header" and kind == "npy":
        shape = draw(st.lists(HUGE, min_size=0, max_size=3))
        dtype = draw(st.sampled_from(["<f4", "<f8", "<u2", "|u1", "<c16", "|O", "<U9"]))
        head = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)}).encode()
        head += b" " * (-(len(head) + 11) % 64) + b"\n"
        data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head + data[128:]
    elif how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    else:
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, min(len(data), 200) if draw(st.booleans()) else len(data)))
            data = data[:at] + draw(st.binary(max_size=8)) + data[at + draw(st.integers(0, 8)) :]
    return data


def _check_reader(data: bytes, work: Path) -> str:
    path = work / "fuzz-frame"
    path.write_bytes(data)
    try:
        frame = read_frame(path)
    except ThermosegError:
        return "refused"
    assert frame.pixels.ndim in (2, 3) and frame.pixels.size > 0, frame.pixels.shape
    return "accepted"


READERS = Target("readers", _reader_input(), _check_reader)


def fuzz_target(target: Target, n: int, run_seed: int) -> dict[str, Any]:
    """Feed ``n`` random inputs to ``target``; counts, findings, time and peak RSS."""
    counts: Counter[str] = Counter()
    findings: list[str] = []
    work = workdir()

    @seed(run_seed)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy)
    def one(value: Any) -> None:
        counts["tried"] += 1
        try:
            counts[target.check(value, work)] += 1
        except Exception as exc:  # a finding: keep going, report it
            counts["unexpected"] += 1
            if len(findings) < 5:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                findings.append(
                    f"{type(exc).__name__}: {str(exc)[:160]} at {Path(where.filename).name}:"
                    f"{where.lineno}; input {repr(value)[:120]}"
                )

    limit = resource.getrlimit(resource.RLIMIT_AS)
    stderr = os.dup(2)
    if target.name == "readers":
        resource.setrlimit(resource.RLIMIT_AS, (READER_AS_LIMIT, limit[1]))
        # libpng/libtiff/libjpeg print every refused file on fd 2; the counts say it all.
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
    start = time.perf_counter()
    try:
        one()
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        resource.setrlimit(resource.RLIMIT_AS, limit)
        target.close()
    seconds = time.perf_counter() - start
    return {
        "tried": counts["tried"],
        "accepted": counts["accepted"],
        "refused": counts["refused"],
        "unexpected": counts["unexpected"],
        "findings": findings,
        "seconds": round(seconds, 2),
        "inputs_per_s": round(counts["tried"] / seconds, 1) if seconds else 0.0,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(
    quick: bool = False,
    only: Sequence[str] | None = None,
    n: int | None = None,
    run_seed: int | None = None,
) -> dict[str, Any]:
    """Fuzz every target (or ``only`` these); prints a table and every finding."""
    targets = {**TARGETS, READERS.name: READERS}
    chosen = list(only) if only else list(targets)
    unknown = sorted(set(chosen) - set(targets))
    if unknown:
        raise SystemExit(f"unknown fuzz target(s) {unknown}; expected some of {sorted(targets)}")
    run_seed = random.randrange(2**32) if run_seed is None else run_seed
    print(f"fuzz seed {run_seed} (rerun: python -m bench.bench_fuzz --seed {run_seed})", flush=True)
    results = {
        name: fuzz_target(targets[name], n or (QUICK_N if quick else DEFAULT_N[name]), run_seed)
        for name in chosen
    }
    print_table(
        "Fuzzing: inputs tried, accepted, refused with thermoseg's own error, unexpected",
        ["target", "tried", "accepted", "refused", "unexpected", "s", "inputs/s", "peak RSS MB"],
        [
            [name, r["tried"], r["accepted"], r["refused"], r["unexpected"], r["seconds"],
             r["inputs_per_s"], r["peak_rss_mb"]]
            for name, r in results.items()
        ],
    )  # fmt: skip
    for name, r in results.items():
        for finding in r["findings"]:
            print(f"FINDING {name}: {finding}")
    return {"seed": run_seed, "targets": results}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_N} inputs per target")
    parser.add_argument("--n", type=int, default=None, help="inputs per target")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--only", default=None, help="comma-separated targets")
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else None
    result = run(args.quick, only, args.n, args.seed)
    return 1 if any(r["unexpected"] for r in result["targets"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
