"""The edge daemon: wires config -> source, segmenter, pipeline, alerts, MQTT, systemd.

Start-up order: outbox and MQTT client (secrets resolved, so a bad credential fails first),
segmenter (model loaded), source (camera opened), then the MQTT network thread and the
pipeline; only then ``READY=1``. The main thread then supervises: ``WATCHDOG=1`` only when
frames were processed since the last ping, stats every ``stats.interval_s``, ``STATUS=`` lines.

SIGTERM/SIGINT: ``STOPPING=1``, the camera stops, queued frames are processed (up to
``pipeline.drain_timeout_s``), the outbox is flushed (up to ``pipeline.flush_timeout_s``), the
retained status becomes ``stopped`` and :meth:`Daemon.run` returns a :class:`RunSummary` with
exit code 0. Whatever the broker did not acknowledge stays in the outbox and is sent by the next
start.

Alerts go through :mod:`edge.device.open_alert` (an alert open at a clean stop is ended; one a
crash left open is ended by the next start), carry the exam id the operator set on
``<prefix>/<device>/exam/set`` (:mod:`edge.device.exam`) and, where allowed, a snapshot
(:mod:`edge.device.evidence`).

The parts that exist only while the daemon runs (outbox, publisher, segmenter, source, pipeline,
stats) live in a :class:`RunningDaemon` that :meth:`Daemon.run` builds and tears down, so no
caller can reach a half-built or already-closed part.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from types import FrameType
from typing import Any

from edge.comms.outbox import Outbox
from edge.comms.publisher import MqttPublisher
from edge.core.clock import clock_synced
from edge.device._malloc import limit_malloc_arenas
from edge.device.alerts import AlertTracker
from edge.device.config import DeviceConfig
from edge.device.evidence import Evidence, snapshots_allowed
from edge.device.exam import ExamContext, ExamListener
from edge.device.models import load_installed, start_segmenter
from edge.device.open_alert import OPEN_ALERT_FILE, OpenAlertFile, end_open_alert, recording
from edge.device.pipeline import Pipeline
from edge.device.sdnotify import SystemdNotifier, watchdog_interval
from edge.device.statelog import OutboxWatch
from edge.device.stats import PipelineStats
from edge.errors import ConfigError
from edge.sources import create_source

__all__ = ["OUTBOX_FILE", "Daemon", "RunSummary", "RunningDaemon"]

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite3"
_TICK_S = 0.2


@dataclass(frozen=True)
class RunSummary:
    """What one :meth:`Daemon.run` did, read after it returned (the demo and the soak use it)."""

    exit_code: int  # 0 on a clean stop, 1 when the capture ended on an error
    stop_reason: str
    elapsed_s: float
    frames: int
    frames_bad: int
    queue_drops: int
    fps: float
    latency_ms: dict[str, dict[str, float | None]]
    alerts_sent: dict[str, int] = field(default_factory=dict)
    alerts_failed: dict[str, int] = field(default_factory=dict)  # refused by the publisher
    outbox_depth: int = 0  # alerts left unsent after the final flush
    outbox_dropped: int = 0
    # "ok", or "degraded" when the disk refused writes at the end (reason, lost, quarantined
    # in the other fields); see edge.comms.outbox.
    outbox_state: str = "ok"
    outbox_reason: str | None = None
    outbox_lost: int = 0
    outbox_quarantined: int = 0
    outbox_salvage_incomplete: int = 0  # set-aside files whose message count is unknowable

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``schema`` first) for ``run --summary-json``."""
        return {"schema": "thermoseg.run-summary/1", **asdict(self)}


class RunningDaemon:
    """The daemon's live parts for the duration of one :meth:`Daemon.run`."""

    def __init__(
        self,
        cfg: DeviceConfig,
        outbox: Outbox,
        publisher: MqttPublisher,
        pipeline: Pipeline,
        stats: PipelineStats,
    ) -> None:
        self.cfg = cfg
        self.outbox = outbox
        self.publisher = publisher
        self.pipeline = pipeline
        self.stats = stats

    def stats_payload(self) -> dict[str, Any]:
        """The current ``thermoseg.stats/1`` message."""
        payload = self.stats.payload(
            self.cfg.device_id,
            outbox_depth=self.outbox.depth(),
            outbox_dropped=self.outbox.dropped,
            camera=self.pipeline.camera(),
            mqtt_connected=self.publisher.connected,
        )
        payload["outbox"] = self.outbox.health().as_dict()
        payload["clock_synced"] = clock_synced()
        return payload

    def publish_stats(self) -> None:
        payload = self.stats_payload()
        self.publisher.publish_stats(payload)
        log.debug("stats: %s", payload)

    def status_line(self) -> str:
        """One line for ``systemctl status``."""
        mqtt = "connected" if self.publisher.connected else "disconnected"
        if not self.publisher.connected and self.publisher.last_error:
            mqtt += f" ({self.publisher.last_error})"
        clock = "" if clock_synced() else ", clock NOT synchronised"
        camera = self.pipeline.camera()
        cam = str(camera["state"])
        if camera["state"] == "stalled":
            cam += f" (no frame for {camera['last_frame_age_s']:.0f} s)"
        health = self.outbox.health()
        box = str(self.outbox.depth())
        if health.state == "degraded":
            box += f" DEGRADED ({health.reason}; {health.in_memory} in memory)"
        if health.lost:
            box += f", {health.lost} LOST"
        if health.quarantined:
            box += f", {health.quarantined} damaged file(s) set aside"
        if health.salvage_incomplete:
            box += f" ({health.salvage_incomplete} not fully read: more may be LOST)"
        return (
            f"{self.stats.frames} frames, {self.stats.fps():.1f} fps, camera {cam}, "
            f"MQTT {mqtt}, outbox {box}{clock}"
        )

    def drain(self) -> None:
        """Stop the pipeline, process what is queued (bounded), publish the last stats."""
        self.pipeline.request_stop()
        if not self.pipeline.join(self.cfg.pipeline.drain_timeout_s):
            log.warning(
                "pipeline did not drain in %.1f s; aborting", self.cfg.pipeline.drain_timeout_s
            )
            self.pipeline.abort()
            self.pipeline.join(5.0)
        ended = end_open_alert(
            self.pipeline.tracker, self.pipeline.publish, self.pipeline.segmenter.describe()
        )
        self.pipeline.alerts_sent["end"] += ended
        self.publish_stats()
        log.info(
            "stopped: %d frames (%d bad, %d dropped), alerts %s, outbox depth %d",
            self.stats.frames,
            self.stats.frames_bad,
            self.stats.queue_drops,
            self.pipeline.alerts_sent,
            self.outbox.depth(),
        )


def _health_fields(outbox: Outbox) -> dict[str, Any]:
    h = outbox.health()
    return {
        "outbox_state": h.state,
        "outbox_reason": h.reason,
        "outbox_lost": h.lost,
        "outbox_quarantined": h.quarantined,
        "outbox_salvage_incomplete": h.salvage_incomplete,
    }


def _load_model_for_switch(cfg: DeviceConfig) -> Any:
    """The installed model, checked and loaded; None (logged) when it is refused."""
    try:
        return load_installed(cfg.segmenter, cfg.state_dir, cfg.models)
    except Exception as exc:  # a bad model must never stop the device
        log.error("model: SIGHUP: refused the installed model, keeping the running one: %s", exc)
        return None


def _log_clock_change(before: bool | None) -> bool:
    """One log line when the clock's synchronisation state is first seen or changes."""
    now = clock_synced()
    if now != before:
        if now:
            log.info("clock: synchronised (alerts carry clock_synced=true)")
        else:
            log.warning(
                "clock: NOT synchronised (no NTP yet; alerts carry clock_synced=false and their "
                "times may be stale)"
            )
    return now


class Daemon:
    """One device: ``Daemon(cfg).run()`` until SIGTERM, ``max_seconds``, ``max_frames`` or the end
    of a finite source; returns a :class:`RunSummary` (its ``exit_code`` is the process's)."""

    def __init__(self, cfg: DeviceConfig, notifier: SystemdNotifier | None = None) -> None:
        self.cfg = cfg
        self.notifier = notifier if notifier is not None else SystemdNotifier()
        self._stop = threading.Event()
        self._reload = threading.Event()  # SIGHUP: switch to the installed model
        self._stop_reason = ""
        self._running: RunningDaemon | None = None

    @property
    def running(self) -> RunningDaemon | None:
        """The live parts while :meth:`run` is in progress, else None (for probes and tests)."""
        return self._running

    def request_stop(self, reason: str = "requested") -> None:
        """Ask :meth:`run` to drain and return (safe from a signal handler or another thread)."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request_stop(signal.Signals(signum).name)

    def _on_sighup(self, _signum: int, _frame: FrameType | None) -> None:
        self._reload.set()

    def _install_signals(self) -> list[tuple[int, Any]]:
        if threading.current_thread() is not threading.main_thread():
            return []
        previous: list[tuple[int, Any]] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous.append((sig, signal.signal(sig, self._on_signal)))
        previous.append((signal.SIGHUP, signal.signal(signal.SIGHUP, self._on_sighup)))
        return previous

    def _state_dir(self) -> None:
        try:
            self.cfg.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"state_dir = {str(self.cfg.state_dir)!r}: cannot create it ({exc.strerror}); "
                "expected a writable folder (systemd: StateDirectory=thermoseg)"
            ) from None

    def run(self, max_seconds: float | None = None, max_frames: int | None = None) -> RunSummary:
        """Run until stopped; the summary's exit code is 0 on a clean stop, 1 when the capture
        ended on an error."""
        cfg = self.cfg
        import cv2  # the edge extra; thread count is per process

        cv2.setNumThreads(cfg.pipeline.opencv_threads)
        # Before any pipeline thread allocates: their arenas' high-water marks would add up.
        limit_malloc_arenas(cfg.pipeline.malloc_arenas)
        self._state_dir()
        started = time.monotonic()
        stats = PipelineStats(cfg.stats.window)
        outbox = Outbox(cfg.state_dir / OUTBOX_FILE, cfg.outbox)
        health = outbox.health()
        if health.state == "degraded":
            log.error("starting with the outbox in memory only: %s", health.reason)
        try:
            if outbox.depth():
                log.info("outbox holds %d unsent alert(s) from before", outbox.depth())
            with ExitStack() as stack:
                publisher = MqttPublisher(cfg.mqtt, cfg.device_id, outbox)
                publish = recording(
                    publisher.publish_alert, OpenAlertFile(cfg.state_dir / OPEN_ALERT_FILE)
                )
                for event in OpenAlertFile(cfg.state_dir / OPEN_ALERT_FILE).recover():
                    publish(event)  # what a crash left open ends before anything new
                exam = ExamContext()
                segmenter = start_segmenter(cfg.segmenter, cfg.state_dir, cfg.models)
                stack.callback(segmenter.close)
                source = create_source(cfg.source)
                source.start()
                stack.callback(source.stop)
                publisher.start()
                stack.callback(publisher.stop, cfg.pipeline.flush_timeout_s)
                exam_listener = ExamListener(cfg.mqtt, cfg.device_id, exam)
                exam_listener.start()
                stack.callback(exam_listener.stop)
                pipeline = Pipeline(
                    source,
                    segmenter,
                    AlertTracker(cfg.alerts, cfg.device_id, exam=exam.current),
                    publish,
                    preprocess=cfg.preprocess,
                    analysis=cfg.analysis,
                    capture=cfg.capture,
                    stats=stats,
                    max_frames=max_frames,
                )
                allowed, why = snapshots_allowed(cfg.evidence, cfg.mqtt)
                # Wanted but refused (plain TCP to a remote broker) deserves a warning.
                log.log(
                    logging.INFO if allowed or not cfg.evidence.snapshots else logging.WARNING,
                    "evidence: %s",
                    why,
                )
                if allowed:
                    pipeline.evidence = Evidence(
                        cfg.evidence, pipeline.preprocess_cfg, publisher.publish_snapshot
                    )
                for sig, handler in self._install_signals():
                    stack.callback(signal.signal, sig, handler)
                stack.callback(lambda: pipeline.segmenter.close())  # the one switched to, if any
                running = RunningDaemon(cfg, outbox, publisher, pipeline, stats)
                pipeline.start()
                self._running = running
                log.info(
                    "running: device %s, source %s, segmenter %s, broker %s",
                    cfg.device_id,
                    source.type,
                    segmenter.describe().get("segmenter"),
                    " then ".join(f"{h}:{p}" for h, p in cfg.mqtt.broker_list()),
                )
                self.notifier.ready(f"running: source {source.type}, segmenter {segmenter.type}")
                code = self._supervise(running, max_seconds)
                self.notifier.stopping(f"stopping ({self._stop_reason}): draining and flushing")
                running.drain()
            # The stack has flushed the outbox and stopped the publisher, source and segmenter.
            summary = RunSummary(
                exit_code=code,
                stop_reason=self._stop_reason,
                elapsed_s=round(time.monotonic() - started, 3),
                frames=stats.frames,
                frames_bad=stats.frames_bad,
                queue_drops=stats.queue_drops,
                fps=round(stats.fps(), 3),
                latency_ms=stats.latency(),
                alerts_sent=dict(pipeline.alerts_sent),
                alerts_failed=dict(pipeline.alerts_failed),
                outbox_depth=outbox.depth(),
                outbox_dropped=outbox.dropped,
                **_health_fields(outbox),
            )
        finally:
            self._running = None
            outbox.close()
        self.notifier.status(f"stopped ({self._stop_reason})")
        return summary

    def _switch_model(self, running: RunningDaemon) -> None:
        self.notifier.notify("RELOADING=1", "STATUS=SIGHUP: checking the installed model")
        new = _load_model_for_switch(self.cfg)
        if new is not None:
            running.pipeline.switch_segmenter(new)
        self.notifier.notify("READY=1", f"STATUS={running.status_line()}")

    def _supervise(self, running: RunningDaemon, max_seconds: float | None) -> int:
        cfg = self.cfg
        pipeline = running.pipeline
        started = time.monotonic()
        ping_every = watchdog_interval() if cfg.watchdog.enabled else None
        last_ping_at, last_ping_progress = 0.0, 0
        next_stats = started + cfg.stats.interval_s
        next_status = started + cfg.watchdog.status_interval_s
        code = 0
        synced: bool | None = None
        outbox_watch, next_watch = OutboxWatch(), started
        while not self._stop.wait(_TICK_S):
            now = time.monotonic()
            if pipeline.finished:
                capture = pipeline.capture
                limit = pipeline.max_frames
                if not capture.exhausted and not (limit and pipeline.progress >= limit):
                    # The capture thread died on an unexpected error: exit non-zero so that
                    # systemd (Restart=on-failure) starts us again.
                    log.error("capture ended unexpectedly: %s", capture.last_error)
                    code = 1
                self.request_stop("source finished" if capture.exhausted else "frames done")
                break
            if max_seconds is not None and now - started >= max_seconds:
                self.request_stop(f"--max-seconds {max_seconds:g} reached")
                break
            if now >= next_watch:
                next_watch = now + 1.0
                running.outbox.retry()  # a refusing disk, at most every outbox.retry_s
                outbox_watch.update(
                    running.outbox.depth(),
                    running.publisher.connected,
                    running.publisher.last_error,
                )
            if self._reload.is_set():
                self._reload.clear()
                self._switch_model(running)
            progress = pipeline.progress
            if (
                ping_every is not None
                and progress > last_ping_progress
                and (now - last_ping_at >= ping_every)
            ):
                self.notifier.watchdog()
                last_ping_at, last_ping_progress = now, progress
            if now >= next_stats:
                next_stats = now + cfg.stats.interval_s
                running.publish_stats()
            if now >= next_status:
                next_status = now + cfg.watchdog.status_interval_s
                synced = _log_clock_change(synced)
                self.notifier.status(running.status_line())
        if self._stop_reason in ("SIGTERM", "SIGINT"):
            log.info(
                "%s received: draining the pipeline and flushing the outbox", self._stop_reason
            )
        return code
