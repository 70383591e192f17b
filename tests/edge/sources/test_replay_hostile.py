"""The daemon's replay source on a folder of hostile files: each is counted and skipped.

Runs the real capture thread over a real folder: the capture thread must reach the end of the
folder (not die on the first bad file), deliver every good frame in order, and the source's
stats must count every bad one.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from edge.device.capture import CaptureConfig, CaptureThread, DropOldestQueue
from edge.io.limits import ReadLimits
from edge.sources.replay import ReplayConfig, ReplaySource


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (2 * width + 1) * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _hostile_folder(folder: Path) -> int:
    """Good 160x120 frames f0..f3 with five bad files between them; returns the bad count."""
    folder.mkdir()
    for i in range(4):
        np.save(folder / f"f{i}_good.npy", np.full((120, 160), 30.0 + i, np.float32))
    np.save(folder / "f0_zero.npy", np.zeros((0, 160), np.float32))
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (120, 160"
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    (folder / "f1_header.npy").write_bytes(
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\x00" * 64
    )
    (folder / "f2_bomb.png").write_bytes(_png_declaring(30000, 30000))
    np.save(folder / "f2_strip.npy", np.full((8, 20000), 30.0, np.float32))
    np.save(folder / "f3_big.npy", np.full((480, 640), 30.0, np.float32))  # over max_pixels below
    return 5


def test_replay_counts_and_skips_every_hostile_file_and_the_capture_thread_finishes(
    tmp_path: Path,
) -> None:
    bad = _hostile_folder(tmp_path / "rec")
    limits = ReadLimits(max_pixels=160 * 120)
    src = ReplaySource(ReplayConfig(path=tmp_path / "rec", limits=limits))
    bad_seen: list[int] = []
    queue = DropOldestQueue(100)
    src.start()
    thread = CaptureThread(src, queue, CaptureConfig(queue_size=100), on_bad=bad_seen.append)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and thread.exhausted  # reached the end, did not crash
    frames = []
    while (frame := queue.get(0)) is not None:
        frames.append(frame)
    assert [float(f.pixels[0, 0]) for f in frames] == [30.0, 31.0, 32.0, 33.0]
    assert sum(bad_seen) == bad
    assert src.state() == {"type": "replay", "files": 9, "bad": bad}


def test_a_bad_replay_file_raises_frame_error_naming_it_then_playback_continues(
    tmp_path: Path,
) -> None:
    _hostile_folder(tmp_path / "rec")
    with ReplaySource(ReplayConfig(path=tmp_path / "rec")) as src:
        outcomes = []
        for _ in range(9):
            try:
                frame = src.read()
                outcomes.append("ok" if frame is not None else "end")
            except Exception as exc:  # the contract: FrameError only, naming the file
                outcomes.append(f"{type(exc).__name__}:{Path(str(exc).split(':')[0]).name}")
        assert src.read() is None
    assert outcomes == [
        "ok",
        "FrameError:f0_zero.npy",
        "ok",
        "FrameError:f1_header.npy",
        "FrameError:f2_bomb.png",
        "ok",
        "FrameError:f2_strip.npy",
        "FrameError:f3_big.npy",  # 640x480 differs from the 160x120 frames before it
        "ok",
    ]
