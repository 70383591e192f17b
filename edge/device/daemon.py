"""The edge daemon: wires config -> source, segmenter, pipeline, alerts, MQTT, systemd.

Start-up order: outbox and MQTT client (secrets resolved, so a bad credential fails first),
segmenter (model loaded), source (camera opened), then the MQTT network thread and the
pipeline; only then ``READY=1``. The main thread then supervises: ``WATCHDOG=1`` only when
frames were processed since the last ping, stats every ``stats.interval_s``, ``STATUS=`` lines.

SIGTERM/SIGINT: ``STOPPING=1``, the camera stops, queued frames are processed (up to
``pipeline.drain_timeout_s``), the outbox is flushed (up to ``pipeline.flush_timeout_s``), the
retained status becomes ``stopped`` and :meth:`Daemon.run` returns 0. Whatever the broker did not
acknowledge stays in the outbox and is sent by the next start.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import ExitStack
from types import FrameType
from typing import Any

from edge.comms.outbox import Outbox
from edge.comms.publisher import MqttPublisher
from edge.device.alerts import AlertTracker
from edge.device.config import DeviceConfig
from edge.device.pipeline import Pipeline
from edge.device.sdnotify import SystemdNotifier, watchdog_interval
from edge.device.stats import PipelineStats
from edge.errors import ConfigError
from edge.segmenters import create_segmenter
from edge.sources import create_source

__all__ = ["OUTBOX_FILE", "Daemon"]

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite3"
_TICK_S = 0.2


class Daemon:
    """One device: ``Daemon(cfg).run()`` until SIGTERM, ``max_seconds``, ``max_frames`` or the end
    of a finite source; returns the process exit code."""

    def __init__(self, cfg: DeviceConfig, notifier: SystemdNotifier | None = None) -> None:
        self.cfg = cfg
        self.notifier = notifier if notifier is not None else SystemdNotifier()
        self._stop = threading.Event()
        self._stop_reason = ""
        self.stats = PipelineStats(cfg.stats.window)
        self.pipeline: Pipeline | None = None
        self.publisher: MqttPublisher | None = None
        self.outbox: Outbox | None = None

    def request_stop(self, reason: str = "requested") -> None:
        """Ask :meth:`run` to drain and return (safe from a signal handler or another thread)."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request_stop(signal.Signals(signum).name)

    def _install_signals(self) -> list[tuple[int, Any]]:
        if threading.current_thread() is not threading.main_thread():
            return []
        previous: list[tuple[int, Any]] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous.append((sig, signal.signal(sig, self._on_signal)))
        return previous

    def _state_dir(self) -> None:
        try:
            self.cfg.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"state_dir = {str(self.cfg.state_dir)!r}: cannot create it ({exc.strerror}); "
                "expected a writable folder (systemd: StateDirectory=thermoseg)"
            ) from None

    def run(self, max_seconds: float | None = None, max_frames: int | None = None) -> int:
        """Run until stopped; 0 on a clean stop, 1 when the capture ended on an error."""
        cfg = self.cfg
        import cv2  # the edge extra; thread count is per process

        cv2.setNumThreads(cfg.pipeline.opencv_threads)
        self._state_dir()
        with ExitStack() as stack:
            self.outbox = Outbox(cfg.state_dir / OUTBOX_FILE, cfg.outbox)
            stack.callback(self.outbox.close)
            if self.outbox.depth():
                log.info("outbox holds %d unsent alert(s) from before", self.outbox.depth())
            self.publisher = MqttPublisher(cfg.mqtt, cfg.device_id, self.outbox)
            segmenter = create_segmenter(cfg.segmenter)
            stack.callback(segmenter.close)
            source = create_source(cfg.source)
            source.start()
            stack.callback(source.stop)
            self.publisher.start()
            stack.callback(self.publisher.stop, cfg.pipeline.flush_timeout_s)
            tracker = AlertTracker(cfg.alerts, cfg.device_id)
            self.pipeline = Pipeline(
                source,
                segmenter,
                tracker,
                self.publisher.publish_alert,
                preprocess=cfg.preprocess,
                analysis=cfg.analysis,
                capture=cfg.capture,
                stats=self.stats,
                max_frames=max_frames,
            )
            for sig, handler in self._install_signals():
                stack.callback(signal.signal, sig, handler)
            self.pipeline.start()
            describe = segmenter.describe()
            log.info(
                "running: device %s, source %s, segmenter %s, broker %s:%d",
                cfg.device_id,
                source.type,
                describe.get("segmenter"),
                cfg.mqtt.host,
                cfg.mqtt.port,
            )
            self.notifier.ready(f"running: source {source.type}, segmenter {segmenter.type}")
            code = self._supervise(max_seconds)
            self.notifier.stopping(f"stopping ({self._stop_reason}): draining and flushing")
            self._shutdown()
        self.notifier.status(f"stopped ({self._stop_reason})")
        return code

    def _supervise(self, max_seconds: float | None) -> int:
        assert self.pipeline is not None
        cfg = self.cfg
        started = time.monotonic()
        ping_every = watchdog_interval() if cfg.watchdog.enabled else None
        last_ping_at, last_ping_progress = 0.0, 0
        next_stats = started + cfg.stats.interval_s
        next_status = started + cfg.watchdog.status_interval_s
        code = 0
        while not self._stop.wait(_TICK_S):
            now = time.monotonic()
            if self.pipeline.finished:
                capture = self.pipeline.capture
                limit = self.pipeline.max_frames
                if not capture.exhausted and not (limit and self.pipeline.progress >= limit):
                    # The capture thread died on an unexpected error: exit non-zero so that
                    # systemd (Restart=on-failure) starts us again.
                    log.error("capture ended unexpectedly: %s", capture.last_error)
                    code = 1
                self.request_stop("source finished" if capture.exhausted else "frames done")
                break
            if max_seconds is not None and now - started >= max_seconds:
                self.request_stop(f"--max-seconds {max_seconds:g} reached")
                break
            progress = self.pipeline.progress
            if (
                ping_every is not None
                and progress > last_ping_progress
                and (now - last_ping_at >= ping_every)
            ):
                self.notifier.watchdog()
                last_ping_at, last_ping_progress = now, progress
            if now >= next_stats:
                next_stats = now + cfg.stats.interval_s
                self._publish_stats()
            if now >= next_status:
                next_status = now + cfg.watchdog.status_interval_s
                self.notifier.status(self.status_line())
        if self._stop_reason in ("SIGTERM", "SIGINT"):
            log.info(
                "%s received: draining the pipeline and flushing the outbox", self._stop_reason
            )
        return code

    def _shutdown(self) -> None:
        assert self.pipeline is not None
        self.pipeline.request_stop()
        if not self.pipeline.join(self.cfg.pipeline.drain_timeout_s):
            log.warning(
                "pipeline did not drain in %.1f s; aborting", self.cfg.pipeline.drain_timeout_s
            )
            self.pipeline.abort()
            self.pipeline.join(5.0)
        self._publish_stats()
        log.info(
            "stopped: %d frames (%d bad, %d dropped), alerts %s, outbox depth %d",
            self.stats.frames,
            self.stats.frames_bad,
            self.stats.queue_drops,
            self.pipeline.alerts_sent,
            self.outbox.depth() if self.outbox else 0,
        )

    def stats_payload(self) -> dict[str, Any]:
        """The current ``thermoseg.stats/1`` message."""
        assert self.pipeline is not None and self.outbox is not None
        return self.stats.payload(
            self.cfg.device_id,
            outbox_depth=self.outbox.depth(),
            outbox_dropped=self.outbox.dropped,
            camera=self.pipeline.camera(),
            mqtt_connected=bool(self.publisher and self.publisher.connected),
        )

    def _publish_stats(self) -> None:
        if self.publisher is None:
            return
        payload = self.stats_payload()
        self.publisher.publish_stats(payload)
        log.debug("stats: %s", payload)

    def status_line(self) -> str:
        """One line for ``systemctl status``."""
        assert self.pipeline is not None
        mqtt = "connected" if self.publisher and self.publisher.connected else "disconnected"
        if self.publisher and not self.publisher.connected and self.publisher.last_error:
            mqtt += f" ({self.publisher.last_error})"
        return (
            f"{self.stats.frames} frames, {self.stats.fps():.1f} fps, camera "
            f"{self.pipeline.capture.state}, MQTT {mqtt}, outbox "
            f"{self.outbox.depth() if self.outbox else 0}"
        )
