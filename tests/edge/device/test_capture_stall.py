"""A camera whose read hangs (a wedged USB transfer) is reported as stalled, not running."""

from __future__ import annotations

import threading
from typing import Any

from edge.comms.schemas import validate
from edge.core.frame import Frame
from edge.device.capture import CaptureConfig, CaptureThread, DropOldestQueue
from edge.device.stats import PipelineStats
from edge.sources.base import FrameSource
from edge.sources.synthetic import ScriptSegment, SyntheticConfig, SyntheticSource
from tests.edge.mqtt_helpers import wait_for


class HangingCamera(FrameSource):
    """Real synthetic frames, then a read that blocks until released (as a hung V4L2 read)."""

    type = "hanging"
    config_class = SyntheticConfig

    def __init__(self, frames_before_hang: int) -> None:
        self.inner = SyntheticSource(
            SyntheticConfig(fps=0, loop=True, script=[ScriptSegment(stage="normal", frames=5)])
        )
        self.left = frames_before_hang
        self.release = threading.Event()
        self.hanging = threading.Event()

    def start(self) -> None:
        self.inner.start()

    def read(self, timeout: float | None = None) -> Frame | None:
        if self.left == 0:
            self.hanging.set()
            self.release.wait()  # ignores the timeout, as a wedged driver call does
            self.hanging.clear()
        self.left -= 1  # below 0 after the hang: it never hangs again
        return self.inner.read(timeout)

    def stop(self) -> None:
        self.release.set()
        self.inner.stop()

    def state(self) -> dict[str, Any]:
        return {"type": self.type}


def _payload(capture: CaptureThread) -> dict[str, Any]:
    payload = PipelineStats().payload(
        "dev1", outbox_depth=0, outbox_dropped=0, camera=capture.camera(), mqtt_connected=True
    )
    validate("stats", payload)
    return payload


def test_a_hung_camera_read_is_reported_as_stalled_with_the_age_of_the_last_frame() -> None:
    camera = HangingCamera(frames_before_hang=3)
    camera.start()
    queue = DropOldestQueue(10)
    capture = CaptureThread(camera, queue, CaptureConfig(stall_after_s=0.3))
    capture.start()
    try:
        assert camera.hanging.wait(30)
        assert len(queue) == 3
        # Before the fix the state stayed "running" for as long as the read hung.
        assert wait_for(lambda: capture.camera()["state"] == "stalled", 30)
        stalled = _payload(capture)["camera"]
        assert stalled["state"] == "stalled" and stalled["last_frame_age_s"] > 0.3
        camera.release.set()  # the read returns: frames flow again
        assert wait_for(lambda: len(queue) > 3, 30)
        assert capture.camera()["state"] == "running"
    finally:
        capture.stop()
        camera.release.set()
        capture.join(10)


def test_a_camera_waiting_less_than_the_threshold_is_running() -> None:
    camera = HangingCamera(frames_before_hang=1)
    camera.start()
    capture = CaptureThread(camera, DropOldestQueue(10), CaptureConfig(stall_after_s=3600))
    capture.start()
    try:
        assert camera.hanging.wait(30)
        assert _payload(capture)["camera"]["state"] == "running"
    finally:
        capture.stop()
        camera.release.set()
        capture.join(10)
