"""Lepton 3.x telemetry: what the camera says about its own calibration, and what to do about it.

The PureThermal board appends the Lepton's telemetry to each Y16 frame as 2 rows of 160 words;
flattened, they hold the Lepton's three 80-word telemetry packets A, B and C (then 80 unused
words). Word offsets follow the FLIR Lepton Engineering Datasheet / Software IDD, section
"Telemetry Data Content" (Lepton 3: table "Telemetry Row A/C Format"); 32-bit values are two
words, least significant word first (as PureThermal delivers them)::

    A[0]      telemetry revision            A[20:22]  frame counter
    A[1:3]    uptime, ms                    A[24]     FPA temperature, K x 100
    A[3:5]    status bits (below)           A[26]     housing temperature, K x 100
    A[29]     FPA temperature at last FFC   A[30:32]  uptime at last FFC, ms
    C[5]      gain mode (0 high, 1 low, 2 auto)   C[6]  effective gain (0 high, 1 low)
    C[48]     TLinear enabled (0/1)               C[49] TLinear resolution (0: 0.1 K, 1: 0.01 K)

Status bits: bit 3 FFC desired; bits 4-5 FFC state (0 never commanded, 1 imminent, 2 in
progress, 3 done); bit 12 AGC on; bit 15 shutter lock-out; bit 20 over-temperature shutdown
imminent.

Radiometric accuracy is about ±5 °C in high gain and drifts between flat-field corrections, so
:class:`CalibrationMonitor` skips frames taken while the shutter is closed for an FFC, refuses
(or warns about) a configured ``resolution_k`` that TLinear's own word contradicts, refuses
frames with TLinear off, logs gain switches, and reports the state for the stats message.
Requesting an FFC from the daemon (through PureThermal's UVC extension unit, the SYS "run FFC"
command) is not implemented: the Lepton's own automatic FFC (its default) keeps running.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from edge.errors import FrameError

__all__ = [
    "FFC_STATES",
    "CalibrationMonitor",
    "LeptonTelemetry",
    "decode_telemetry",
    "encode_telemetry",
]

log = logging.getLogger(__name__)

PACKET_WORDS = 80
FFC_STATES: tuple[str, ...] = ("never", "imminent", "in_progress", "done")
GAIN_MODES: tuple[str, ...] = ("high", "low", "auto")
_A, _C = 0, 2 * PACKET_WORDS  # packet offsets in the flattened rows


def _k100_to_c(value: int) -> float:
    return round(value / 100.0 - 273.15, 2)


@dataclass(frozen=True)
class LeptonTelemetry:
    """The telemetry words that matter for radiometry, decoded."""

    revision: int
    uptime_ms: int
    frame_counter: int
    ffc_desired: bool
    ffc_state: str  # one of FFC_STATES
    agc_enabled: bool
    shutter_lockout: bool
    overtemp_shutdown_imminent: bool
    fpa_temp_c: float
    housing_temp_c: float
    fpa_temp_at_ffc_c: float
    last_ffc_ms: int
    gain_mode: str  # high | low | auto | unknown
    effective_gain: str  # high | low | unknown
    tlinear_enabled: bool
    tlinear_resolution_k: float | None  # 0.1 or 0.01; None for an unknown word

    @property
    def ms_since_ffc(self) -> int | None:
        """Camera uptime since the last FFC (None before the first one)."""
        if self.ffc_state == "never" or self.last_ffc_ms == 0:
            return None
        return max(0, self.uptime_ms - self.last_ffc_ms)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ms_since_ffc": self.ms_since_ffc}


def _u32(words: np.ndarray, i: int) -> int:
    return int(words[i]) | (int(words[i + 1]) << 16)


def decode_telemetry(rows: np.ndarray) -> LeptonTelemetry:
    """Decode the 2×160 telemetry rows of one PureThermal Y16 frame."""
    words = np.asarray(rows, dtype=np.uint16).reshape(-1)
    if words.size < 3 * PACKET_WORDS:
        raise FrameError(
            f"lepton telemetry: expected at least {3 * PACKET_WORDS} words (packets A, B, C), "
            f"got {words.size}"
        )
    status = _u32(words, _A + 3)
    gain, effective = int(words[_C + 5]), int(words[_C + 6])
    resolution = int(words[_C + 49])
    return LeptonTelemetry(
        revision=int(words[_A + 0]),
        uptime_ms=_u32(words, _A + 1),
        frame_counter=_u32(words, _A + 20),
        ffc_desired=bool(status & (1 << 3)),
        ffc_state=FFC_STATES[(status >> 4) & 0x3],
        agc_enabled=bool(status & (1 << 12)),
        shutter_lockout=bool(status & (1 << 15)),
        overtemp_shutdown_imminent=bool(status & (1 << 20)),
        fpa_temp_c=_k100_to_c(int(words[_A + 24])),
        housing_temp_c=_k100_to_c(int(words[_A + 26])),
        fpa_temp_at_ffc_c=_k100_to_c(int(words[_A + 29])),
        last_ffc_ms=_u32(words, _A + 30),
        gain_mode=GAIN_MODES[gain] if gain < len(GAIN_MODES) else "unknown",
        effective_gain=GAIN_MODES[effective] if effective < 2 else "unknown",
        tlinear_enabled=bool(words[_C + 48]),
        tlinear_resolution_k={0: 0.1, 1: 0.01}.get(resolution),
    )


def encode_telemetry(t: LeptonTelemetry) -> np.ndarray:
    """The 2×160 uint16 rows a camera in state ``t`` sends (for tests and recordings)."""
    words = np.zeros(2 * 160, dtype=np.uint16)

    def put32(i: int, value: int) -> None:
        words[i], words[i + 1] = value & 0xFFFF, (value >> 16) & 0xFFFF

    status = (
        (int(t.ffc_desired) << 3)
        | (FFC_STATES.index(t.ffc_state) << 4)
        | (int(t.agc_enabled) << 12)
        | (int(t.shutter_lockout) << 15)
        | (int(t.overtemp_shutdown_imminent) << 20)
    )
    words[_A + 0] = t.revision
    put32(_A + 1, t.uptime_ms)
    put32(_A + 3, status)
    put32(_A + 20, t.frame_counter)
    words[_A + 24] = round((t.fpa_temp_c + 273.15) * 100)
    words[_A + 26] = round((t.housing_temp_c + 273.15) * 100)
    words[_A + 29] = round((t.fpa_temp_at_ffc_c + 273.15) * 100)
    put32(_A + 30, t.last_ffc_ms)
    words[_C + 5] = GAIN_MODES.index(t.gain_mode) if t.gain_mode in GAIN_MODES else 0xFFFF
    words[_C + 6] = GAIN_MODES.index(t.effective_gain) if t.effective_gain in GAIN_MODES else 9
    words[_C + 48] = int(t.tlinear_enabled)
    words[_C + 49] = {0.1: 0, 0.01: 1}.get(t.tlinear_resolution_k or -1.0, 0xFFFF)
    return words.reshape(2, 160)


Verdict = Literal["use", "skip"]


class CalibrationMonitor:
    """Per-frame decisions from telemetry, and the calibration state the stats report.

    ``resolution_check``: ``refuse`` makes a contradicted ``resolution_k`` a bad frame (the
    temperatures would be off by a factor of ten); ``warn`` logs it once and uses the camera's.
    """

    def __init__(self, resolution_k: float, resolution_check: str = "refuse") -> None:
        self.resolution_k = resolution_k
        self.resolution_check = resolution_check
        self.skipped_ffc = 0
        self.gain_switches = 0
        self._last: LeptonTelemetry | None = None
        self._ffc_frame: int | None = None  # frame counter of the first frame after an FFC
        self._warned_resolution = False

    def check(self, t: LeptonTelemetry) -> tuple[Verdict, float]:
        """``("skip", k)`` during an FFC, else ``("use", k)`` with the resolution to decode at.

        Raises :class:`FrameError` when the pixels are not usable temperatures.
        """
        last, self._last = self._last, t
        if last is not None and last.effective_gain != t.effective_gain:
            self.gain_switches += 1
            log.info(
                "lepton: gain switched %s -> %s (radiometric accuracy differs by gain)",
                last.effective_gain,
                t.effective_gain,
            )
        if t.ffc_state == "in_progress" or (t.shutter_lockout and t.ffc_state == "imminent"):
            if last is None or last.ffc_state != "in_progress":
                log.info("lepton: flat-field correction in progress; skipping frames")
            self.skipped_ffc += 1
            return "skip", self.resolution_k
        if t.ffc_state == "done" and last is not None and last.last_ffc_ms != t.last_ffc_ms:
            self._ffc_frame = t.frame_counter
            log.info("lepton: flat-field correction done at camera frame %d", t.frame_counter)
        if not t.tlinear_enabled:
            raise FrameError(
                "lepton frame: telemetry says TLinear is off, so pixels are not temperatures; "
                "expected radiometry with TLinear enabled (set it with the PureThermal tools)"
            )
        camera_k = t.tlinear_resolution_k
        if camera_k is not None and camera_k != self.resolution_k:
            message = (
                f"source.resolution_k = {self.resolution_k} but the camera's TLinear resolution "
                f"word says {camera_k} K"
            )
            if self.resolution_check == "refuse":
                raise FrameError(f"lepton frame: {message}; fix source.resolution_k")
            if not self._warned_resolution:
                log.warning("lepton: %s; using the camera's %s K", message, camera_k)
                self._warned_resolution = True
            return "use", camera_k
        return "use", self.resolution_k

    def state(self) -> dict[str, Any]:
        """The ``calibration`` object of the stats message (empty before any telemetry)."""
        t = self._last
        if t is None:
            return {}
        frames_since = None if self._ffc_frame is None else t.frame_counter - self._ffc_frame
        return {
            "ffc_state": t.ffc_state,
            "ffc_desired": t.ffc_desired,
            "ms_since_ffc": t.ms_since_ffc,
            "frames_since_ffc": frames_since,
            "fpa_drift_since_ffc_c": round(t.fpa_temp_c - t.fpa_temp_at_ffc_c, 2)
            if t.ms_since_ffc is not None
            else None,
            "gain_mode": t.gain_mode,
            "effective_gain": t.effective_gain,
            "gain_switches": self.gain_switches,
            "tlinear_enabled": t.tlinear_enabled,
            "tlinear_resolution_k": t.tlinear_resolution_k,
            "frames_skipped_ffc": self.skipped_ffc,
            "overtemp_shutdown_imminent": t.overtemp_shutdown_imminent,
        }
