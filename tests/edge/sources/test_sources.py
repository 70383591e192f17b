"""Frame sources: Lepton decoding, replay of a folder, the capture thread and the registry."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.core.frame import Frame, celsius_to_y16
from edge.device.capture import CaptureConfig, CaptureThread, DropOldestQueue
from edge.errors import FrameError, SourceError
from edge.sources.base import FrameSource
from edge.sources.lepton import LeptonConfig, LeptonSource, decode_lepton, find_video_device
from edge.sources.replay import ReplayConfig, ReplaySource


def _body_y16(rows: int = 120, value_c: float = 34.0) -> np.ndarray:
    celsius = np.full((rows, 160), value_c, np.float32)
    return celsius_to_y16(celsius)


# --- Lepton decoding -----------------------------------------------------------------------


def test_lepton_centikelvin_counts_decode_to_celsius() -> None:
    raw = _body_y16()
    raw[10, 20] = 31015  # 310.15 K = 37.00 °C
    frame = decode_lepton(raw, sequence=7)
    assert frame.kind == "y16" and frame.shape == (120, 160) and frame.sequence == 7
    celsius = frame.celsius()
    assert celsius is not None
    assert celsius[10, 20] == pytest.approx(37.0, abs=1e-3)
    assert celsius[0, 0] == pytest.approx(34.0, abs=0.01)


def test_lepton_decikelvin_mode_uses_the_configured_resolution() -> None:
    raw = np.full((120, 160), 3101, np.uint16)  # 310.1 K
    frame = decode_lepton(raw, resolution_k=0.1)
    assert frame.resolution_k == 0.1
    assert frame.celsius()[0, 0] == pytest.approx(36.95, abs=1e-3)  # type: ignore[index]


def test_lepton_telemetry_footer_rows_are_stripped_and_kept_as_metadata() -> None:
    raw = _body_y16(122)
    tele = np.zeros((2, 160), np.uint16)
    tele[0, 20], tele[0, 21] = 0x0005, 0x0001  # frame counter, least significant word first
    tele[0, 24] = 30315  # FPA 30.00 °C
    tele[0, 26] = 29815  # housing 25.00 °C
    raw[120:] = tele
    frame = decode_lepton(raw)
    assert frame.shape == (120, 160)
    assert np.array_equal(frame.metadata["telemetry"], tele)
    assert frame.metadata["frame_counter"] == 0x10005
    assert frame.metadata["fpa_temp_c"] == pytest.approx(30.0)
    assert frame.metadata["housing_temp_c"] == pytest.approx(25.0)
    assert frame.celsius() == pytest.approx(np.full((120, 160), 34.0, np.float32), abs=0.01)


def test_lepton_telemetry_header_rows_are_taken_from_the_top() -> None:
    raw = _body_y16(122)
    raw[:2] = 0
    raw[0, 24] = 30315
    frame = decode_lepton(raw, telemetry="header")
    assert frame.metadata["fpa_temp_c"] == pytest.approx(30.0)
    assert int(frame.pixels.min()) > 30000


def test_lepton_raw_byte_buffer_is_read_as_little_endian_y16() -> None:
    raw = _body_y16()
    frame = decode_lepton(raw.astype("<u2").view(np.uint8).reshape(1, -1))
    assert np.array_equal(frame.pixels, raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (np.zeros((120, 80), np.uint16), "expected 160x120"),
        (np.zeros((240, 320), np.uint16), "expected 160x120"),
        (np.zeros((120, 160), np.float32), "expected uint16"),
        (np.zeros((120, 160, 3), np.uint8), "expected uint16"),
    ],
)
def test_lepton_frames_of_wrong_size_or_dtype_raise_frame_error(
    raw: np.ndarray, message: str
) -> None:
    with pytest.raises(FrameError, match=message):
        decode_lepton(raw)


def test_lepton_frame_in_agc_mode_is_rejected_as_implausible() -> None:
    agc = np.full((120, 160), 8192, np.uint16)  # raw counts would read as -191 °C
    with pytest.raises(FrameError, match="TLinear"):
        decode_lepton(agc)


def test_lepton_device_is_found_by_usb_id_in_sysfs(tmp_path: Path) -> None:
    sysfs = tmp_path / "class" / "video4linux"
    for node, ids in (
        ("video0", ("046d", "0825")),
        ("video2", ("1e4e", "0100")),
        ("video3", ("1e4e", "0100")),
    ):
        usb = tmp_path / "devices" / node / "usbdev"
        (usb / "iface").mkdir(parents=True)
        (usb / "idVendor").write_text(ids[0] + "\n")
        (usb / "idProduct").write_text(ids[1] + "\n")
        (sysfs / node).mkdir(parents=True)
        (sysfs / node / "device").symlink_to(usb / "iface")
    assert find_video_device("1e4e:0100", sysfs) == "/dev/video2"
    with pytest.raises(SourceError, match="no V4L2 device with USB id 1234:5678"):
        find_video_device("1234:5678", sysfs)


def test_lepton_start_without_a_device_raises_a_clear_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "video99"
    with pytest.raises(SourceError, match=f"source.device {missing} does not exist"):
        LeptonSource(LeptonConfig(device=str(missing))).start()


def test_lepton_read_before_start_raises_source_error() -> None:
    with pytest.raises(SourceError, match="before start"):
        LeptonSource(LeptonConfig()).read()


# --- Replay ----------------------------------------------------------------------------------


def _write_frames(folder: Path, n: int, shape: tuple[int, int] = (120, 160)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"f{i:03d}.npy"
        np.save(p, np.full(shape, 30.0 + i, np.float32))
        paths.append(p)
    return paths


def test_replay_plays_a_folder_in_name_order_then_ends(tmp_path: Path) -> None:
    _write_frames(tmp_path / "rec", 3)
    with ReplaySource(ReplayConfig(path=tmp_path / "rec")) as src:
        frames = [src.read() for _ in range(3)]
        assert src.read() is None
    assert [f.sequence for f in frames if f] == [1, 2, 3]
    assert [float(f.pixels[0, 0]) for f in frames if f] == [30.0, 31.0, 32.0]
    assert frames[0] is not None and frames[0].metadata["path"].endswith("f000.npy")


def test_replay_loops_when_asked(tmp_path: Path) -> None:
    _write_frames(tmp_path / "rec", 2)
    with ReplaySource(ReplayConfig(path=tmp_path / "rec", loop=True)) as src:
        values = [float(src.read().pixels[0, 0]) for _ in range(5)]  # type: ignore[union-attr]
    assert values == [30.0, 31.0, 30.0, 31.0, 30.0]


def test_replay_corrupt_file_and_wrong_shape_raise_frame_error_then_playback_continues(
    tmp_path: Path,
) -> None:
    paths = _write_frames(tmp_path / "rec", 4)
    paths[1].write_bytes(paths[1].read_bytes()[:100])  # truncated .npy
    np.save(paths[2], np.zeros((60, 80), np.float32) + 30)  # wrong shape
    with ReplaySource(ReplayConfig(path=tmp_path / "rec")) as src:
        assert src.read() is not None
        with pytest.raises(FrameError, match=r"f001\.npy"):
            src.read()
        with pytest.raises(FrameError, match=r"f002\.npy: frame is 80x60, expected 160x120"):
            src.read()
        last = src.read()
        assert last is not None and float(last.pixels[0, 0]) == 33.0
        assert src.state()["bad"] == 2


def test_replay_of_an_empty_folder_raises_source_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no frame files"):
        ReplaySource(ReplayConfig(path=tmp_path / "empty")).start()


# --- Capture thread --------------------------------------------------------------------------


class _FlakySource(FrameSource):
    """A real FrameSource whose device "unplugs" after some frames and fails the first reopen."""

    type = "flaky"
    config_class = ReplayConfig

    def __init__(self, script: list[str], failed_starts: int = 1) -> None:
        self.script = list(script)
        self.failed_starts = failed_starts
        self.starts = 0
        self.seq = 0

    def start(self) -> None:
        self.starts += 1
        if 1 < self.starts <= 1 + self.failed_starts:
            raise SourceError("device gone")

    def read(self, timeout: float | None = None) -> Frame | None:
        if not self.script:
            return None
        step = self.script.pop(0)
        if step == "unplug":
            raise SourceError("read timed out")
        if step == "bad":
            raise FrameError("bad frame")
        self.seq += 1
        return Frame(np.full((16, 16), 30.0, np.float32), "celsius", sequence=self.seq)

    def stop(self) -> None:
        pass


def _run_capture(
    src: FrameSource, queue_size: int = 100
) -> tuple[CaptureThread, list[Frame], dict[str, Any]]:
    counts = {"bad": 0, "drop": 0}
    lock = threading.Lock()

    def add(key: str) -> Any:
        def inc(n: int) -> None:
            with lock:
                counts[key] += n

        return inc

    q = DropOldestQueue(queue_size)
    cfg = CaptureConfig(queue_size=queue_size, reopen_initial_s=0.01, reopen_max_s=0.02)
    src.start()
    t = CaptureThread(src, q, cfg, on_bad=add("bad"), on_drop=add("drop"))
    t.start()
    t.join(10)
    assert not t.is_alive()
    frames = []
    while (f := q.get(0)) is not None:
        frames.append(f)
    return t, frames, counts


def test_capture_counts_bad_frames_and_reopens_an_unplugged_camera_with_back_off() -> None:
    src = _FlakySource(["ok", "bad", "ok", "unplug", "ok", "ok"], failed_starts=2)
    t, frames, counts = _run_capture(src)
    assert [f.sequence for f in frames] == [1, 2, 3, 4]
    assert counts == {"bad": 1, "drop": 0}
    assert t.reopens == 1 and src.starts == 4
    camera = t.camera()
    assert camera.pop("last_frame_age_s") >= 0
    assert camera == {"type": "flaky", "state": "stopped", "reopens": 1}
    assert t.exhausted and t.queue.closed


def test_full_queue_drops_the_oldest_frame_and_counts_it() -> None:
    src = _FlakySource(["ok"] * 5)
    _, frames, counts = _run_capture(src, queue_size=2)
    assert [f.sequence for f in frames] == [4, 5]
    assert counts["drop"] == 3


def test_drop_oldest_queue_get_returns_none_once_closed_and_empty() -> None:
    q = DropOldestQueue(1)
    q.put(Frame(np.zeros((8, 8), np.float32), "celsius", sequence=1))
    q.close()
    first = q.get(0)
    assert first is not None and first.sequence == 1
    assert q.get(5) is None


# --- Synthetic camera --------------------------------------------------------------------------


def test_synthetic_source_follows_its_script_with_fresh_noise_then_ends() -> None:
    from edge.sources.synthetic import ScriptSegment, SyntheticConfig, SyntheticSource

    script = [ScriptSegment(stage="normal", frames=2), ScriptSegment(stage="middle", frames=3)]
    with SyntheticSource(SyntheticConfig(fps=0, loop=False, script=script)) as src:
        frames = []
        while (f := src.read()) is not None:
            frames.append(f)
    assert [f.metadata["stage"] for f in frames] == ["normal"] * 2 + ["middle"] * 3
    assert [f.metadata["abnormal"] for f in frames] == [False] * 2 + [True] * 3
    assert [f.sequence for f in frames] == [1, 2, 3, 4, 5]
    assert all(f.kind == "y16" and f.shape == (120, 160) for f in frames)
    assert frames[0].metadata["subject"] != frames[2].metadata["subject"]
    assert frames[2].metadata["subject"] == frames[3].metadata["subject"]
    assert not np.array_equal(frames[2].pixels, frames[3].pixels)  # same subject, new noise
    body = frames[0].celsius()
    assert body is not None and 25.0 < float(np.median(body)) < 40.0


def test_synthetic_source_loops_with_new_subjects() -> None:
    from edge.sources.synthetic import ScriptSegment, SyntheticConfig, SyntheticSource

    cfg = SyntheticConfig(fps=0, y16=False, script=[ScriptSegment(stage="normal", frames=1)])
    with SyntheticSource(cfg) as src:
        a, b = src.read(), src.read()
    assert a is not None and b is not None and a.kind == "celsius"
    assert a.metadata["subject"] != b.metadata["subject"]


def test_registry_maps_every_type_to_its_source_and_config() -> None:
    from edge.sources import SOURCES, create_source

    assert set(SOURCES) == {"lepton", "picamera2", "replay", "synthetic"}
    for name, cls in SOURCES.items():
        assert cls.type == name
        cfg = cls.config_class.model_validate({"type": name})
        src = create_source(cfg)  # type: ignore[arg-type]
        assert isinstance(src, cls)
        src.stop()  # safe before start()
        assert src.state()["type"] == name


def test_picamera2_off_a_pi_raises_missing_extra_naming_the_extra() -> None:
    from edge.errors import MissingExtraError
    from edge.sources.picamera2 import Picamera2Config, Picamera2Source

    with pytest.raises(MissingExtraError, match=r"thermoseg\[pi\]"):
        Picamera2Source(Picamera2Config()).start()


def test_blocking_queue_loses_nothing_when_the_consumer_is_slow() -> None:
    q = DropOldestQueue(2, block=True)
    frames = [Frame(np.zeros((16, 16), np.float32), "celsius", sequence=i) for i in range(20)]
    drops: list[int] = []

    def produce() -> None:
        drops.extend(q.put(f) for f in frames)
        q.close()

    producer = threading.Thread(target=produce)
    producer.start()
    got = []
    while (item := q.get(timeout=2.0)) is not None:
        got.append(item.sequence)
    producer.join(5)
    assert got == list(range(20)) and sum(drops) == 0


def test_pacer_never_delivers_faster_than_its_rate() -> None:
    import time

    from edge.sources._pacing import Pacer

    pacer = Pacer(50.0)
    start = time.monotonic()
    for _ in range(6):
        pacer.wait()
    # A lower bound only (sleep never returns early): the first frame is due at once.
    assert time.monotonic() - start >= 5 / 50.0
