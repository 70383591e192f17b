"""Frames to alerts: capture thread -> drop-oldest queue -> preprocess -> segment -> hand-off
-> analyse -> alert tracker -> publish.

Three threads: the capture thread (:class:`~edge.device.capture.CaptureThread`) reads the
camera and preprocesses each frame (breast ROI, model input: no model, so a slow model never
stalls the camera's USB stream); the inference thread takes the newest prepared frames (the
queue drops the oldest) and only segments them, so the interpreter is fed back to back; the
analysis thread measures regions, runs the alert tracker and publishes. The two work threads overlap (the
model's ``invoke()`` releases the GIL), so frame *n* is analysed while frame *n + 1* is
segmented. They meet in a small bounded FIFO, so frames and alert events keep their order.
Per-stage latencies and counters go to :class:`~edge.device.stats.PipelineStats` for the stats topic;
``total`` runs from the start of preprocessing to the end of publishing (queue and hand-off
waits included).

:meth:`Pipeline.request_stop` stops the camera; the work threads then drain what is queued and
end. A frame that fails anywhere is logged, counted as bad and skipped: bad input never stops the
pipeline (if every frame fails, no progress is made and systemd's watchdog restarts us).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge.core.analysis import AnalysisConfig
from edge.core.frame import Frame
from edge.core.preprocess import PreprocessConfig
from edge.core.screening import Prepared, decide, prepare
from edge.device._handoff import Handoff
from edge.device.alerts import AlertTracker
from edge.device.capture import CaptureConfig, CaptureThread, DropOldestQueue
from edge.device.stats import PipelineStats
from edge.errors import ThermosegError
from edge.segmenters.base import Segmenter
from edge.sources.base import FrameSource

__all__ = ["Pipeline"]

log = logging.getLogger(__name__)

AlertSink = Callable[[dict[str, Any]], None]
# Called with each alert event before it is published (it may add the event's snapshot).
EvidenceHook = Callable[[dict[str, Any], Frame, np.ndarray, Any], None]

HANDOFF_SIZE = 2  # segmented frames waiting for analysis: enough to decouple, little latency


@dataclass(frozen=True)
class _Prepared:
    """A frame with its model input, waiting for the segmenter."""

    prepared: Prepared
    t0: float
    preprocess_ms: float
    cfg: PreprocessConfig  # what it was prepared with (a model switch may change it)


@dataclass(frozen=True)
class _Segmented:
    """A frame through preprocessing and segmentation, on its way to analysis."""

    prepared: Prepared
    mask: np.ndarray
    t0: float
    preprocess_ms: float
    segment_ms: float
    describe: dict[str, Any] | None = None  # the segmenter that made the mask (model switches)


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
        evidence: EvidenceHook | None = None,
    ) -> None:
        self.source = source
        self.evidence = evidence
        self.segmenter = segmenter
        self.tracker = tracker
        self.publish = publish
        self.analysis_cfg = analysis
        self.preprocess_cfg = self._choose_preprocess(segmenter, preprocess)
        self.stats = stats if stats is not None else PipelineStats()
        self.max_frames = max_frames
        self.queue = DropOldestQueue(capture.queue_size, block=capture.when_full == "block")
        self.capture = CaptureThread(
            source,
            self.queue,
            capture,
            on_bad=self.stats.count_bad,
            on_drop=self.stats.count_drop,
            prepare=self._prepare,
        )
        self._describe = segmenter.describe()
        self._next_segmenter: Segmenter | None = None  # handed over by switch_segmenter()
        self._abort = threading.Event()
        self._worker = threading.Thread(target=self._work, name="pipeline", daemon=True)
        self._analyst = threading.Thread(
            target=self._analyse_loop, name="pipeline-analyse", daemon=True
        )
        self._handoff: Handoff[_Segmented] = Handoff(HANDOFF_SIZE, self._abort)
        self.alerts_sent: dict[str, int] = {"new": 0, "update": 0, "end": 0}
        # Events the publisher refused (e.g. a payload its schema rejects): counted, not only logged.
        self.alerts_failed: dict[str, int] = {}
        self._last_failure = ""

    @staticmethod
    def _choose_preprocess(segmenter: Segmenter, configured: PreprocessConfig) -> PreprocessConfig:
        fixed = segmenter.expected_preprocess()
        if fixed is not None and fixed != configured:
            # A model is only valid with the preprocessing it was trained with. A config that
            # left [preprocess] at its defaults asked for nothing: no warning then.
            level = logging.INFO if configured == PreprocessConfig() else logging.WARNING
            log.log(
                level,
                "pipeline: [preprocess] differs from what the %s model was built for; using the "
                "model's %s",
                segmenter.type,
                fixed.model_dump(),
            )
            return fixed
        return configured

    # -- control ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the capture and work threads (the source must already be started)."""
        self.capture.start()
        self._analyst.start()
        self._worker.start()

    def request_stop(self) -> None:
        """Stop reading the camera; the work threads drain what is queued and end."""
        self.capture.stop()

    def abort(self) -> None:
        """Stop without draining (after the drain timeout)."""
        self.capture.stop()
        self._abort.set()
        self.queue.close()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the work threads; True when both have ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in (self._worker, self._analyst):
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if not self._alive():
            self.capture.join(timeout)
        return not self._alive()

    def _alive(self) -> bool:
        return self._worker.is_alive() or self._analyst.is_alive()

    @property
    def finished(self) -> bool:
        """The work threads ended (source exhausted, max_frames reached or stopped)."""
        return self._worker.ident is not None and not self._alive()

    @property
    def progress(self) -> int:
        """Frames fully processed so far (the watchdog pings only when this grows)."""
        return self.stats.frames

    def camera(self) -> dict[str, Any]:
        return self.capture.camera()

    # -- work -----------------------------------------------------------------------------------
    def _work(self) -> None:
        """Inference thread: frames from the camera queue through segmentation to the hand-off."""
        ready: _Prepared | None = None  # the next frame, already preprocessed
        try:
            while not self._abort.is_set():
                if self.max_frames is not None and self._enough_frames(self.max_frames):
                    log.info("pipeline: %d frames processed, stopping", self.stats.frames)
                    self.request_stop()
                    self.queue.close()  # nothing more is taken: free a camera thread blocked on put
                    break
                if self._next_segmenter is not None:
                    ready = self._take_next_segmenter(ready)
                if ready is None:
                    queued = self.queue.get(timeout=0.5)
                    if queued is None:
                        if self.queue.closed and not len(self.queue):
                            break
                        continue
                    ready = self._current(queued)
                    if ready is None:
                        continue
                item = self._segment(ready)
                # Take the next prepared frame (when one is waiting) before handing this one
                # off, so the next invoke() starts as soon as this one is passed on.
                ready = None
                if item is not None and self._may_take(1):
                    waiting = self.queue.get(timeout=0)
                    ready = None if waiting is None else self._current(waiting)
                if item is not None and not self._handoff.put(item, self._analyst):
                    break
        finally:
            # The analysis thread ends after what was handed off before.
            self._handoff.put(None, self._analyst)
        log.info("pipeline: inference thread ended")

    def switch_segmenter(self, segmenter: Segmenter) -> None:
        """Run ``segmenter`` from the next frame on (any thread); the old one is then closed.

        The inference thread makes the switch between two frames, so no frame is dropped and
        the alert state (an open alert) carries over; alerts name the model that made the mask.
        """
        self._next_segmenter = segmenter

    def _take_next_segmenter(self, ready: _Prepared | None) -> _Prepared | None:
        new, self._next_segmenter = self._next_segmenter, None
        if new is None:
            return ready
        old = self.segmenter
        preprocess = self._choose_preprocess(new, self.preprocess_cfg)
        self.segmenter, self._describe = new, new.describe()
        if preprocess != self.preprocess_cfg:
            self.preprocess_cfg = preprocess
            if ready is not None:  # prepared for the old model: prepare it again
                ready = self._prepare(ready.prepared.frame)
        log.info(
            "model: switched from %s to %s",
            old.describe().get("model", old.type),
            self._describe.get("model", new.type),
        )
        old.close()
        return ready

    def _enough_frames(self, limit: int) -> bool:
        """max_frames reached? Waits while frames in analysis could still reach it (a frame that
        fails there does not count, so another one must then be taken)."""
        self._handoff.wait_while(lambda in_flight: self.stats.frames + in_flight >= limit)
        return self.stats.frames >= limit

    def _may_take(self, extra: int) -> bool:
        """Could another frame be needed, with ``extra`` frames segmented and not handed off?"""
        if self.max_frames is None:
            return True
        return self.stats.frames + self._handoff.in_flight + extra < self.max_frames

    def _analyse_loop(self) -> None:
        """Analysis thread: handed-off frames, in order, through analysis, alerts and publish."""
        while (item := self._handoff.get()) is not None:
            try:
                self._finish(item)
            finally:
                self._handoff.settle()
        log.info("pipeline: work ended after %d frames", self.stats.frames)

    def process(self, frame: Frame) -> list[dict[str, Any]]:
        """Run one frame through every stage in this thread; returns the alert events it raised."""
        ready = self._prepare(frame)
        item = None if ready is None else self._segment(ready)
        return [] if item is None else self._finish(item)

    def _prepare(self, frame: Frame) -> _Prepared | None:
        """Preprocess ``frame`` (capture thread, or here after a model switch); None (counted
        bad, logged) when it fails."""
        cfg = self.preprocess_cfg
        try:
            t0 = time.perf_counter()
            prepared = prepare(frame, cfg)
            t1 = time.perf_counter()
        except Exception as exc:  # one bad frame must never stop the device
            self.stats.count_bad()
            self._log_failure(frame, exc)
            return None
        return _Prepared(prepared, t0, (t1 - t0) * 1e3, cfg)

    def _current(self, ready: _Prepared) -> _Prepared | None:
        """A queued frame, prepared again when a model switch changed the preprocessing since."""
        if ready.cfg == self.preprocess_cfg:
            return ready
        return self._prepare(ready.prepared.frame)

    def _segment(self, ready: _Prepared) -> _Segmented | None:
        """Segment a preprocessed frame; None (counted bad, logged) when it fails."""
        try:
            t1 = time.perf_counter()
            mask = self.segmenter.segment(ready.prepared.image)
            t2 = time.perf_counter()
        except Exception as exc:  # one bad frame must never stop the device
            self.stats.count_bad()
            self._log_failure(ready.prepared.frame, exc)
            return None
        return _Segmented(
            ready.prepared, mask, ready.t0, ready.preprocess_ms, (t2 - t1) * 1e3, self._describe
        )

    def _finish(self, item: _Segmented) -> list[dict[str, Any]]:
        """Analyse a segmented frame, update the alert state and publish its events."""
        frame = item.prepared.frame
        try:
            t2 = time.perf_counter()
            mask, result = decide(item.prepared, item.mask, self.analysis_cfg)
            t3 = time.perf_counter()
            events = self.tracker.update(result, frame, item.describe or self._describe)
        except Exception as exc:  # one bad frame must never stop the device
            self.stats.count_bad()
            self._log_failure(frame, exc)
            return []
        for event in events:
            self._attach_evidence(event, frame, mask, result)
            try:
                self.publish(event)
            except Exception as exc:  # the analysis thread must outlive any sink failure
                log.log(
                    logging.ERROR,
                    "pipeline: alert %s not published: %s",
                    event.get("alert_id"),
                    exc,
                    exc_info=not isinstance(exc, ThermosegError),
                )
                failed = str(event.get("event"))
                self.alerts_failed[failed] = self.alerts_failed.get(failed, 0) + 1
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
                "preprocess": item.preprocess_ms,
                "segment": item.segment_ms,
                "analyse": (t3 - t2) * 1e3,
                "total": (t4 - item.t0) * 1e3,
            }
        )
        return events

    def _attach_evidence(self, event: dict[str, Any], frame: Frame, mask: Any, result: Any) -> None:
        """The snapshot hook; a failing snapshot never costs the alert itself."""
        if self.evidence is None:
            return
        try:
            self.evidence(event, frame, mask, result)
        except Exception as exc:
            log.error("pipeline: snapshot of alert %s failed: %s", event.get("alert_id"), exc)

    def _log_failure(self, frame: Frame, exc: Exception) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if text != self._last_failure:  # the same failure on every frame is logged once
            if isinstance(exc, ThermosegError):
                log.error("pipeline: frame %d skipped: %s", frame.sequence, text)
            else:
                log.exception("pipeline: frame %d skipped: unexpected %s", frame.sequence, text)
        self._last_failure = text
