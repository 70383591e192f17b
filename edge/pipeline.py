"""Frames to alerts: capture thread -> drop-oldest queue -> preprocess -> segment -> analyse
-> alert tracker -> publish.

Two threads: the capture thread (:class:`~edge.sources.capture.CaptureThread`) only reads the
camera, so a slow model never stalls the camera's USB stream; the worker thread does the rest,
one frame at a time, always on the newest frames (the queue drops the oldest). Per-stage
latencies and counters go to :class:`~edge.stats.PipelineStats` for the stats topic.

:meth:`Pipeline.request_stop` stops the camera; the worker then drains what is queued and ends.
A frame that fails anywhere is logged, counted as bad and skipped: bad input never stops the
pipeline (if every frame fails, no progress is made and systemd's watchdog restarts us).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from edge.alerts import AlertTracker
from edge.analysis import AnalysisConfig, analyse
from edge.errors import ThermosegError
from edge.frame import Frame
from edge.preprocess import PreprocessConfig, mask_to_frame, to_model_input
from edge.segmenters.base import Segmenter
from edge.sources.base import FrameSource
from edge.sources.capture import CaptureConfig, CaptureThread, DropOldestQueue
from edge.stats import PipelineStats

__all__ = ["Pipeline"]

log = logging.getLogger(__name__)

AlertSink = Callable[[dict[str, Any]], None]


class Pipeline:
    """Runs one source through one segmenter; alerts go to ``publish`` (e.g. MQTT)."""

    def __init__(
        self,
        source: FrameSource,
        segmenter: Segmenter,
        tracker: AlertTracker,
        publish: AlertSink,
        *,
        preprocess: PreprocessConfig,
        analysis: AnalysisConfig,
        capture: CaptureConfig,
        stats: PipelineStats | None = None,
        max_frames: int | None = None,
    ) -> None:
        self.source = source
        self.segmenter = segmenter
        self.tracker = tracker
        self.publish = publish
        self.analysis_cfg = analysis
        self.preprocess_cfg = self._choose_preprocess(segmenter, preprocess)
        self.stats = stats if stats is not None else PipelineStats()
        self.max_frames = max_frames
        self.queue = DropOldestQueue(capture.queue_size, block=capture.when_full == "block")
        self.capture = CaptureThread(
            source, self.queue, capture, on_bad=self.stats.count_bad, on_drop=self.stats.count_drop
        )
        self._describe = segmenter.describe()
        self._abort = threading.Event()
        self._worker = threading.Thread(target=self._work, name="pipeline", daemon=True)
        self.alerts_sent: dict[str, int] = {"new": 0, "update": 0, "end": 0}
        self._last_failure = ""

    @staticmethod
    def _choose_preprocess(segmenter: Segmenter, configured: PreprocessConfig) -> PreprocessConfig:
        fixed = segmenter.expected_preprocess()
        if fixed is not None and fixed != configured:
            # A model is only valid with the preprocessing it was trained with.
            log.warning(
                "pipeline: [preprocess] differs from what the %s model was built for; using the "
                "model's %s",
                segmenter.type,
                fixed.model_dump(),
            )
            return fixed
        return configured

    # -- control ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the capture and worker threads (the source must already be started)."""
        self.capture.start()
        self._worker.start()

    def request_stop(self) -> None:
        """Stop reading the camera; the worker drains the queue and ends."""
        self.capture.stop()

    def abort(self) -> None:
        """Stop without draining (after the drain timeout)."""
        self.capture.stop()
        self._abort.set()
        self.queue.close()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker; True when it has ended."""
        self._worker.join(timeout)
        if not self._worker.is_alive():
            self.capture.join(timeout)
        return not self._worker.is_alive()

    @property
    def finished(self) -> bool:
        """The worker ended (source exhausted, max_frames reached or stopped)."""
        return self._worker.ident is not None and not self._worker.is_alive()

    @property
    def progress(self) -> int:
        """Frames fully processed so far (the watchdog pings only when this grows)."""
        return self.stats.frames

    def camera(self) -> dict[str, Any]:
        return self.capture.camera()

    # -- work -----------------------------------------------------------------------------------
    def _work(self) -> None:
        while not self._abort.is_set():
            frame = self.queue.get(timeout=0.5)
            if frame is None:
                if self.queue.closed and not len(self.queue):
                    break
                continue
            self.process(frame)
            if self.max_frames is not None and self.stats.frames >= self.max_frames:
                log.info("pipeline: %d frames processed, stopping", self.stats.frames)
                self.request_stop()
                self.queue.close()  # nothing more is taken: free a camera thread blocked on put
                break
        log.info("pipeline: worker ended after %d frames", self.stats.frames)

    def process(self, frame: Frame) -> list[dict[str, Any]]:
        """Run one frame through every stage; returns the alert events it raised."""
        try:
            t0 = time.perf_counter()
            rgb = to_model_input(frame, self.preprocess_cfg)
            t1 = time.perf_counter()
            mask = self.segmenter.segment(rgb)
            t2 = time.perf_counter()
            # Regions are measured on the frame's own pixels (alerts report camera pixels).
            full = mask_to_frame(mask, frame.shape)
            celsius = frame.celsius()
            pixels_rgb = frame.pixels if frame.kind == "rgb" else None
            result = analyse(full, celsius, self.analysis_cfg, rgb=pixels_rgb)
            t3 = time.perf_counter()
            events = self.tracker.update(result, frame, self._describe)
        except Exception as exc:  # one bad frame must never stop the device
            self.stats.count_bad()
            self._log_failure(frame, exc)
            return []
        for event in events:
            try:
                self.publish(event)
            except ThermosegError as exc:
                log.error("pipeline: alert %s not published: %s", event.get("alert_id"), exc)
                continue
            kind = str(event.get("event"))
            self.alerts_sent[kind] = self.alerts_sent.get(kind, 0) + 1
            log.info(
                "alert %s %s grade=%s frame=%d",
                event.get("event"),
                event.get("alert_id"),
                event.get("grade"),
                frame.sequence,
            )
        t4 = time.perf_counter()
        self.stats.record(
            {
                "preprocess": (t1 - t0) * 1e3,
                "segment": (t2 - t1) * 1e3,
                "analyse": (t3 - t2) * 1e3,
                "total": (t4 - t0) * 1e3,
            }
        )
        return events

    def _log_failure(self, frame: Frame, exc: Exception) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if text != self._last_failure:  # the same failure on every frame is logged once
            if isinstance(exc, ThermosegError):
                log.error("pipeline: frame %d skipped: %s", frame.sequence, text)
            else:
                log.exception("pipeline: frame %d skipped: unexpected %s", frame.sequence, text)
        self._last_failure = text
