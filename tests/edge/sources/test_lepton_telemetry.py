"""Lepton calibration state from telemetry, on recorded (hand-built) telemetry rows.

Each recording below is the two 160-word footer rows a PureThermal appends to a Y16 frame,
written word by word at the offsets of the Lepton datasheet's telemetry tables (packet A =
flat words 0-79, packet C = flat words 160-239), independently of the decoder's own encoder.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from edge.core.frame import celsius_to_y16
from edge.errors import FrameError, SourceError
from edge.sources.lepton import LeptonConfig, LeptonSource, decode_lepton
from edge.sources.lepton_telemetry import (
    CalibrationMonitor,
    decode_telemetry,
    encode_telemetry,
)

C = 160  # flat offset of telemetry packet C


def _recording(
    *,
    frame: int,
    uptime_ms: int,
    ffc_bits: int,
    last_ffc_ms: int,
    gain: int = 0,
    effective: int = 0,
    tlinear: int = 1,
    resolution: int = 1,
    status_extra: int = 0,
) -> np.ndarray:
    w = np.zeros(320, np.uint16)
    w[0] = 14  # telemetry revision
    w[1], w[2] = uptime_ms & 0xFFFF, uptime_ms >> 16
    status = (ffc_bits << 4) | status_extra
    w[3], w[4] = status & 0xFFFF, status >> 16
    w[20], w[21] = frame & 0xFFFF, frame >> 16
    w[24] = 30415  # FPA 31.00 °C
    w[26] = 29915  # housing 26.00 °C
    w[29] = 30365  # FPA at last FFC 30.50 °C
    w[30], w[31] = last_ffc_ms & 0xFFFF, last_ffc_ms >> 16
    w[C + 5], w[C + 6] = gain, effective
    w[C + 48], w[C + 49] = tlinear, resolution
    return w.reshape(2, 160)


# A camera 3 minutes after its last FFC, then an automatic FFC (imminent, 2 frames with the
# shutter closed, done with a new last-FFC time), then a switch from high to low gain.
SESSION = [
    _recording(frame=70_000, uptime_ms=400_000, ffc_bits=3, last_ffc_ms=220_000),
    _recording(frame=70_001, uptime_ms=400_111, ffc_bits=1, last_ffc_ms=220_000, status_extra=8),
    _recording(frame=70_002, uptime_ms=400_222, ffc_bits=2, last_ffc_ms=220_000),
    _recording(frame=70_003, uptime_ms=400_333, ffc_bits=2, last_ffc_ms=220_000),
    _recording(frame=70_004, uptime_ms=400_444, ffc_bits=3, last_ffc_ms=400_400),
    _recording(frame=70_005, uptime_ms=400_555, ffc_bits=3, last_ffc_ms=400_400, gain=2),
    _recording(
        frame=70_006, uptime_ms=400_666, ffc_bits=3, last_ffc_ms=400_400, gain=2, effective=1
    ),
]


def test_row_a_and_c_words_decode_to_the_calibration_state() -> None:
    t = decode_telemetry(SESSION[0])
    assert (t.revision, t.frame_counter, t.uptime_ms) == (14, 70_000, 400_000)
    assert t.ffc_state == "done" and not t.ffc_desired
    assert t.ms_since_ffc == 180_000
    assert (t.fpa_temp_c, t.housing_temp_c, t.fpa_temp_at_ffc_c) == (31.0, 26.0, 30.5)
    assert (t.gain_mode, t.effective_gain) == ("high", "high")
    assert t.tlinear_enabled and t.tlinear_resolution_k == 0.01
    imminent = decode_telemetry(SESSION[1])
    assert imminent.ffc_state == "imminent" and imminent.ffc_desired
    assert decode_telemetry(SESSION[2]).ffc_state == "in_progress"
    assert decode_telemetry(SESSION[6]).gain_mode == "auto"
    assert decode_telemetry(SESSION[6]).effective_gain == "low"


def test_status_bits_for_agc_shutter_lockout_and_overtemp() -> None:
    t = decode_telemetry(
        _recording(
            frame=1,
            uptime_ms=1,
            ffc_bits=0,
            last_ffc_ms=0,
            status_extra=(1 << 12) | (1 << 15) | (1 << 20),
        )
    )
    assert t.agc_enabled and t.shutter_lockout and t.overtemp_shutdown_imminent
    assert t.ffc_state == "never" and t.ms_since_ffc is None


def test_encoder_writes_what_the_decoder_reads() -> None:
    for rows in SESSION:
        t = decode_telemetry(rows)
        assert decode_telemetry(encode_telemetry(t)) == t


def _frame(rows: np.ndarray, celsius: float = 34.0, resolution_k: float = 0.01) -> np.ndarray:
    raw = np.zeros((122, 160), np.uint16)
    raw[:120] = celsius_to_y16(np.full((120, 160), celsius, np.float32), resolution_k)
    raw[120:] = rows
    return raw


def test_frames_during_ffc_are_flagged_and_the_state_counts_frames_since_ffc(
    caplog: pytest.LogCaptureFixture,
) -> None:
    monitor = CalibrationMonitor(0.01)
    caplog.set_level(logging.INFO, logger="edge.sources.lepton_telemetry")
    flagged = []
    for rows in SESSION:
        frame = decode_lepton(_frame(rows), monitor=monitor)
        flagged.append(bool(frame.metadata.get("ffc_in_progress")))
    assert flagged == [False, False, True, True, False, False, False]
    state = monitor.state()
    assert state["frames_skipped_ffc"] == 2
    assert state["ffc_state"] == "done"
    assert state["frames_since_ffc"] == 2  # camera frames 70_004 -> 70_006
    assert state["ms_since_ffc"] == 266
    assert state["fpa_drift_since_ffc_c"] == 0.5
    assert state["gain_switches"] == 1 and state["effective_gain"] == "low"
    text = caplog.text
    assert text.count("flat-field correction in progress") == 1  # once per FFC, not per frame
    assert "flat-field correction done" in text and "gain switched high -> low" in text


def test_a_resolution_k_contradicting_tlinear_is_refused_or_warned_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    decikelvin = _recording(frame=5, uptime_ms=9, ffc_bits=3, last_ffc_ms=1, resolution=0)
    with pytest.raises(FrameError, match=r"resolution_k = 0.01.*says 0.1 K"):
        decode_lepton(_frame(decikelvin, 34.0, 0.1), monitor=CalibrationMonitor(0.01))
    monitor = CalibrationMonitor(0.01, "warn")
    with caplog.at_level(logging.WARNING, logger="edge.sources.lepton_telemetry"):
        for _ in range(3):
            frame = decode_lepton(_frame(decikelvin, 34.0, 0.1), monitor=monitor)
    assert frame.resolution_k == 0.1
    assert frame.celsius()[0, 0] == pytest.approx(34.0, abs=0.06)  # type: ignore[index]
    assert caplog.text.count("using the camera's 0.1 K") == 1


def test_tlinear_off_is_refused_with_a_clear_message() -> None:
    rows = _recording(frame=5, uptime_ms=9, ffc_bits=3, last_ffc_ms=1, tlinear=0)
    with pytest.raises(FrameError, match="TLinear is off"):
        decode_lepton(_frame(rows), monitor=CalibrationMonitor(0.01))


class _RecordedCapture:
    """Plays recorded raw frames back the way cv2.VideoCapture.read() returns them."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = list(frames)

    def read(self) -> tuple[bool, Any]:
        if not self.frames:
            return False, None
        return True, self.frames.pop(0)

    def release(self) -> None:
        self.frames = []


def test_the_source_skips_ffc_frames_and_reports_calibration_in_its_state() -> None:
    src = LeptonSource(LeptonConfig(device="/dev/video0"))
    src._cap, src._device = _RecordedCapture([_frame(r) for r in SESSION]), "/dev/video0"
    counters = []
    for _ in range(5):
        frame = src.read()
        assert frame is not None
        counters.append(frame.metadata["frame_counter"])
    assert counters == [70_000, 70_001, 70_004, 70_005, 70_006]  # 70_002/3: shutter closed
    assert [frame.sequence] == [5]
    calibration = src.state()["calibration"]
    assert calibration["frames_skipped_ffc"] == 2 and calibration["tlinear_resolution_k"] == 0.01


def test_a_shutter_stuck_in_ffc_becomes_a_source_error() -> None:
    stuck = _recording(frame=1, uptime_ms=1, ffc_bits=2, last_ffc_ms=0)
    src = LeptonSource(LeptonConfig(device="/dev/video0"))
    src._cap, src._device = _RecordedCapture([_frame(stuck)] * 120), "/dev/video0"
    with pytest.raises(SourceError, match="flat-field correction"):
        src.read()
