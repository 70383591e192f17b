"""Pipeline counters and per-stage latency percentiles for the stats topic.

Latencies are kept in a bounded window per stage (the most recent ``window`` frames), so the
percentiles describe recent behaviour and memory stays constant on a long-running device.
The payload follows ``thermoseg.stats/1`` (see ``edge/schemas/stats.schema.json``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.core.clock import iso_utc

__all__ = ["STAGES", "PipelineStats", "StatsConfig"]

STAGES: tuple[str, ...] = ("preprocess", "segment", "analyse", "total")


class StatsConfig(BaseModel):
    """How often the daemon publishes its stats and over how many frames latencies are taken."""

    model_config = ConfigDict(extra="forbid")

    interval_s: float = Field(30.0, gt=0, description="seconds between stats messages")
    window: int = Field(1000, ge=10, description="latency percentiles over the last N frames")


class PipelineStats:
    """Thread-safe counters and latency windows shared by the capture and processing threads."""

    def __init__(self, window: int = 1000) -> None:
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.frames = 0
        self.frames_bad = 0
        self.queue_drops = 0
        self._lat: dict[str, deque[float]] = {s: deque(maxlen=window) for s in STAGES}
        self._done: deque[float] = deque(maxlen=window)  # monotonic completion times, for fps

    def count_bad(self, n: int = 1) -> None:
        """A frame that could not be decoded or had the wrong size/dtype was dropped."""
        with self._lock:
            self.frames_bad += n

    def count_drop(self, n: int = 1) -> None:
        """The bounded queue was full and its oldest frame was dropped."""
        with self._lock:
            self.queue_drops += n

    def record(self, timings_ms: dict[str, float]) -> None:
        """One processed frame and its per-stage latencies in milliseconds."""
        with self._lock:
            self.frames += 1
            self._done.append(time.monotonic())
            for stage, ms in timings_ms.items():
                if stage in self._lat:
                    self._lat[stage].append(float(ms))

    def fps(self) -> float:
        """Processed frames per second over the window."""
        with self._lock:
            done = list(self._done)
        if len(done) < 2 or done[-1] <= done[0]:
            return 0.0
        return (len(done) - 1) / (done[-1] - done[0])

    def latency(self) -> dict[str, dict[str, float | None]]:
        """p50/p99 per stage in milliseconds (None before the first frame)."""
        with self._lock:
            samples = {s: np.asarray(self._lat[s], dtype=np.float64) for s in STAGES}
        out: dict[str, dict[str, float | None]] = {}
        for stage, arr in samples.items():
            if arr.size == 0:
                out[stage] = {"p50": None, "p99": None}
            else:
                p50, p99 = np.percentile(arr, [50, 99])
                out[stage] = {"p50": round(float(p50), 3), "p99": round(float(p99), 3)}
        return out

    def payload(
        self,
        device_id: str,
        *,
        outbox_depth: int,
        outbox_dropped: int,
        camera: dict[str, Any],
        mqtt_connected: bool,
        now: float | None = None,
    ) -> dict[str, Any]:
        """The ``thermoseg.stats/1`` message."""
        with self._lock:
            frames, bad, drops = self.frames, self.frames_bad, self.queue_drops
        return {
            "schema": "thermoseg.stats/1",
            "device": device_id,
            "timestamp": iso_utc(time.time() if now is None else now),
            "uptime_s": round(time.monotonic() - self.started, 3),
            "fps": round(self.fps(), 3),
            "frames": frames,
            "frames_bad": bad,
            "queue_drops": drops,
            "latency_ms": self.latency(),
            "outbox_depth": int(outbox_depth),
            "outbox_dropped": int(outbox_dropped),
            "camera": camera,
            "mqtt_connected": bool(mqtt_connected),
        }
