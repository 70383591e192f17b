"""``thermoseg-edge probe``: open the configured source once and show what it delivers.

The check a technician runs after plugging the camera in: it opens ``[source]`` exactly as the
daemon would, reads one frame, and prints the source's state (for a Lepton: its telemetry and
calibration state) and the frame's size and °C range. Exit status 1 with the reason when the
source cannot be opened or delivers nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["probe", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "probe",
        help="open the configured camera/source, print its telemetry and one frame's °C range",
        description="Open [source] from the device config, read one frame, print the source's "
        "state and the frame's temperatures; nothing is segmented or published.",
    )
    p.add_argument("--config", type=Path, required=True, help="device config TOML")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=_run)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not isinstance(v, np.ndarray)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def probe(config: Path) -> dict[str, Any]:
    """What ``probe`` prints, as a dict (SourceError/ConfigError propagate)."""
    from edge.device.config import load_config
    from edge.errors import SourceError
    from edge.sources import create_source

    cfg = load_config(config)
    source = create_source(cfg.source)
    source.start()
    try:
        frame = source.read(timeout=10.0)
        state = source.state()
    finally:
        source.stop()
    if frame is None:
        raise SourceError(f"{config}: source {cfg.source.type} delivered no frame")
    celsius = frame.celsius()
    report: dict[str, Any] = {
        "source": _plain(state),
        "frame": {
            "kind": frame.kind,
            "shape": list(frame.shape),
            "sequence": frame.sequence,
            "metadata": _plain(frame.metadata),
        },
    }
    if celsius is not None:
        c = np.asarray(celsius, dtype=np.float32)
        report["frame"]["celsius"] = {
            "min": round(float(c.min()), 2),
            "median": round(float(np.median(c)), 2),
            "max": round(float(c.max()), 2),
        }
    return report


def _run(args: argparse.Namespace) -> int:
    report = probe(args.config)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    frame = report["frame"]
    print(f"source: {json.dumps(report['source'], default=str)}")
    print(f"frame {frame['sequence']}: {frame['kind']} {frame['shape'][1]}x{frame['shape'][0]}")
    if "celsius" in frame:
        c = frame["celsius"]
        print(
            f"temperature: min {c['min']:.2f} °C, median {c['median']:.2f} °C, max {c['max']:.2f} °C"
        )
    else:
        print("temperature: none (this source is not radiometric)")
    if frame["metadata"]:
        print(f"metadata: {json.dumps(frame['metadata'], default=str)}")
    return 0
