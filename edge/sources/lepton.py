"""FLIR Lepton on a PureThermal board, read as a UVC camera through OpenCV's V4L2 backend.

The board is asked for ``Y16`` (raw 16-bit) with RGB conversion off, so each pixel is the
Lepton's TLinear value in centikelvin (or decikelvin: ``resolution_k``). In "Y16 with
telemetry" mode the frame is 160×122: the two extra rows are telemetry, stripped from the
pixels and kept in ``Frame.metadata``. The device is found by path or by its USB id
(PureThermal: ``1e4e:0100``) under ``/sys/class/video4linux``.

:func:`decode_lepton` holds every check on the pixels (size, dtype, plausible temperatures),
so it is tested on arrays; only the V4L2 open needs the hardware.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge.core.frame import Frame, y16_to_celsius
from edge.errors import FrameError, SourceError
from edge.sources.base import FrameSource
from edge.sources.lepton_telemetry import CalibrationMonitor, LeptonTelemetry, decode_telemetry

__all__ = ["LEPTON_WIDTH", "LeptonConfig", "LeptonSource", "decode_lepton", "find_video_device"]

log = logging.getLogger(__name__)

LEPTON_WIDTH = 160
LEPTON_HEIGHT = 120
TELEMETRY_ROWS = 2
SYSFS_V4L = Path("/sys/class/video4linux")
MAX_FFC_FRAMES = 100  # an FFC takes well under a second (~9 frames); more is a stuck shutter


class LeptonConfig(BaseModel):
    """A Lepton 3.x behind a PureThermal USB board."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["lepton"] = "lepton"
    device: str | None = Field(
        None, description="V4L2 device path (/dev/video0); unset = find the board by usb_id"
    )
    usb_id: str = Field(
        "1e4e:0100", pattern=r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$", description="vendor:product"
    )
    resolution_k: float = Field(
        0.01, description="TLinear resolution in kelvin: 0.01 (centikelvin) or 0.1"
    )
    telemetry: Literal["footer", "header"] = Field(
        "footer", description="where the 2 telemetry rows are in 160x122 frames"
    )
    read_timeout_s: float = Field(
        3.0, gt=0, description="a read that returns nothing for this long is a stalled camera"
    )
    plausible_c: tuple[float, float] = Field(
        (-20.0, 120.0),
        description="median °C outside this range means the camera is not in TLinear mode",
    )
    resolution_check: Literal["refuse", "warn"] = Field(
        "refuse",
        description="when telemetry's TLinear resolution contradicts resolution_k: refuse the "
        "frames, or warn once and use the camera's",
    )

    @field_validator("resolution_k")
    @classmethod
    def _tlinear_resolution(cls, value: float) -> float:
        if value not in (0.01, 0.1):
            raise ValueError(f"expected 0.01 (centikelvin) or 0.1 (decikelvin), got {value}")
        return value


def find_video_device(usb_id: str, sysfs: Path = SYSFS_V4L) -> str:
    """The lowest-numbered ``/dev/videoN`` whose USB device has ``usb_id`` (``vvvv:pppp``).

    A PureThermal exposes two nodes (video and metadata); the video one comes first.
    """
    vendor, product = (part.lower() for part in usb_id.split(":"))
    nodes = sorted(
        sysfs.glob("video*"),
        key=lambda p: int(p.name[5:]) if p.name[5:].isdigit() else 1 << 30,
    )
    for node in nodes:
        # device -> the USB interface; its parent is the USB device holding idVendor/idProduct.
        usb_dev = (node / "device").resolve().parent
        try:
            vid = (usb_dev / "idVendor").read_text().strip().lower()
            pid = (usb_dev / "idProduct").read_text().strip().lower()
        except OSError:
            continue
        if (vid, pid) == (vendor, product):
            return f"/dev/{node.name}"
    raise SourceError(
        f"no V4L2 device with USB id {usb_id} under {sysfs}: plug in the PureThermal board "
        f"or set source.device to its /dev/videoN path"
    )


def _as_y16(raw: np.ndarray) -> np.ndarray:
    """Accept (H, W) uint16, or the raw byte buffer some OpenCV builds return for Y16."""
    if raw.dtype == np.uint16 and raw.ndim == 2:
        return raw
    if raw.dtype == np.uint8 and raw.size in (
        LEPTON_WIDTH * LEPTON_HEIGHT * 2,
        LEPTON_WIDTH * (LEPTON_HEIGHT + TELEMETRY_ROWS) * 2,
    ):
        rows = raw.size // (LEPTON_WIDTH * 2)
        return np.ascontiguousarray(raw).reshape(-1).view("<u2").reshape(rows, LEPTON_WIDTH)
    raise FrameError(
        f"lepton frame: expected uint16 ({LEPTON_HEIGHT}|{LEPTON_HEIGHT + TELEMETRY_ROWS}, "
        f"{LEPTON_WIDTH}) Y16, got {raw.dtype} {raw.shape}"
    )


def _telemetry(rows: np.ndarray, t: LeptonTelemetry) -> dict[str, Any]:
    # Word offsets: edge.sources.lepton_telemetry (Lepton datasheet/IDD telemetry tables).
    return {
        "telemetry": rows.copy(),
        "frame_counter": t.frame_counter,
        "fpa_temp_c": t.fpa_temp_c,
        "housing_temp_c": t.housing_temp_c,
        "lepton": t.as_dict(),
    }


def decode_lepton(
    raw: np.ndarray,
    *,
    resolution_k: float = 0.01,
    telemetry: str = "footer",
    plausible_c: tuple[float, float] = (-20.0, 120.0),
    sequence: int = 0,
    timestamp: float | None = None,
    source: str = "lepton",
    monitor: CalibrationMonitor | None = None,
) -> Frame:
    """One raw Y16 buffer to a ``y16`` :class:`Frame` of 160×120.

    Raises :class:`FrameError` for a wrong size or dtype and for a frame whose median
    temperature is implausible (the camera is in AGC rather than TLinear mode). With a
    ``monitor`` and telemetry rows, the telemetry is checked too: a frame taken during a
    flat-field correction comes back with ``metadata["ffc_in_progress"] = True`` (the caller
    skips it), TLinear off or a contradicted ``resolution_k`` raise :class:`FrameError`.
    """
    y16 = _as_y16(np.asarray(raw))
    if y16.shape[1] != LEPTON_WIDTH or y16.shape[0] not in (
        LEPTON_HEIGHT,
        LEPTON_HEIGHT + TELEMETRY_ROWS,
    ):
        raise FrameError(
            f"lepton frame: expected {LEPTON_WIDTH}x{LEPTON_HEIGHT} or "
            f"{LEPTON_WIDTH}x{LEPTON_HEIGHT + TELEMETRY_ROWS}, got {y16.shape[1]}x{y16.shape[0]}"
        )
    metadata: dict[str, Any] = {}
    if y16.shape[0] == LEPTON_HEIGHT + TELEMETRY_ROWS:
        if telemetry == "header":
            tele, y16 = y16[:TELEMETRY_ROWS], y16[TELEMETRY_ROWS:]
        else:
            tele, y16 = y16[-TELEMETRY_ROWS:], y16[:-TELEMETRY_ROWS]
        decoded = decode_telemetry(tele)
        metadata.update(_telemetry(tele, decoded))
        if monitor is not None:
            verdict, resolution_k = monitor.check(decoded)
            if verdict == "skip":
                metadata["ffc_in_progress"] = True
                plausible_c = (-math.inf, math.inf)  # the closed shutter, not the scene
    pixels = np.ascontiguousarray(y16, dtype=np.uint16)
    median_c = float(np.median(y16_to_celsius(pixels[::4, ::4], resolution_k)))
    lo, hi = plausible_c
    if not lo <= median_c <= hi:
        raise FrameError(
            f"lepton frame: median {median_c:.1f} °C is outside {lo}..{hi} °C; expected TLinear "
            f"counts at {resolution_k} K (is radiometry/TLinear enabled on the camera?)"
        )
    return Frame(
        pixels=pixels,
        kind="y16",
        timestamp=time.time() if timestamp is None else timestamp,
        sequence=sequence,
        source=source,
        metadata=metadata,
        resolution_k=resolution_k,
    )


class LeptonSource(FrameSource):
    """Frames from a PureThermal/Lepton over V4L2 (Linux only)."""

    type = "lepton"
    config_class = LeptonConfig

    def __init__(self, config: LeptonConfig) -> None:
        self.config = config
        self._cap: Any = None
        self._device: str | None = None
        self._sequence = 0
        self.monitor = CalibrationMonitor(config.resolution_k, config.resolution_check)

    def start(self) -> None:
        import cv2  # the edge extra; imported here so config validation never needs OpenCV

        dev = self.config.device or find_video_device(self.config.usb_id)
        if not Path(dev).exists():
            raise SourceError(f"source.device {dev} does not exist; expected a V4L2 device node")
        cap = cv2.VideoCapture(dev, cv2.CAP_V4L2)
        if not cap.isOpened():
            raise SourceError(
                f"cannot open {dev} with V4L2 (is the user in group 'video'? is it a camera?)"
            )
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc("Y", "1", "6", " "))
        cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)
        # Unsupported properties are ignored by OpenCV (set() returns False), which is fine.
        cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.config.read_timeout_s * 1000.0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
        got = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4))
        if got != "Y16 ":
            cap.release()
            raise SourceError(f"{dev} does not deliver Y16 (got {got!r}); expected a PureThermal")
        self._cap, self._device = cap, dev
        log.info("lepton: opened %s (Y16, TLinear %.2f K)", dev, self.config.resolution_k)

    def read(self, timeout: float | None = None) -> Frame | None:
        if self._cap is None:
            raise SourceError("lepton: read() before start() or after stop()")
        for _ in range(MAX_FFC_FRAMES):
            ok, raw = self._cap.read()
            if not ok or raw is None:
                raise SourceError(
                    f"lepton {self._device}: no frame within {self.config.read_timeout_s} s "
                    f"(camera stalled or unplugged)"
                )
            frame = decode_lepton(
                raw,
                resolution_k=self.config.resolution_k,
                telemetry=self.config.telemetry,
                plausible_c=self.config.plausible_c,
                sequence=self._sequence + 1,
                source=f"lepton:{self._device}",
                monitor=self.monitor,
            )
            if not frame.metadata.get("ffc_in_progress"):
                self._sequence += 1
                return frame
        raise SourceError(
            f"lepton {self._device}: {MAX_FFC_FRAMES} frames in a row taken during a flat-field "
            "correction (shutter stuck?)"
        )

    def stop(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def state(self) -> dict[str, Any]:
        return {"type": self.type, "device": self._device, "calibration": self.monitor.state()}
