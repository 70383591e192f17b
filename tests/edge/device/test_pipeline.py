"""The pipeline in-process: real sources, the codebook segmenter, analysis and alert tracker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.comms.schemas import validate
from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.device.alerts import AlertConfig, AlertTracker
from edge.device.capture import CaptureConfig, CaptureThread, DropOldestQueue
from edge.device.pipeline import Pipeline
from edge.device.stats import PipelineStats
from edge.segmenters import CodebookConfig, create_segmenter
from edge.sources import ReplayConfig, ReplaySource, SyntheticConfig, SyntheticSource
from edge.sources.base import FrameSource
from edge.sources.synthetic import ScriptSegment


def _run(
    source: FrameSource,
    max_frames: int | None = None,
    publish: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Pipeline, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    pipeline = Pipeline(
        source,
        create_segmenter(CodebookConfig()),
        AlertTracker(AlertConfig(open_after=2, close_after=3, update_interval_s=1000), "dev1"),
        publish or sent.append,
        preprocess=PreprocessConfig(),
        analysis=AnalysisConfig(),
        capture=CaptureConfig(queue_size=1000),
        max_frames=max_frames,
    )
    source.start()
    pipeline.start()
    assert pipeline.join(60)
    return pipeline, sent


def test_abnormal_subject_opens_one_alert_that_ends_when_normal_subjects_follow() -> None:
    script = [
        ScriptSegment(stage="normal", frames=3),
        ScriptSegment(stage="advanced", frames=6),
        ScriptSegment(stage="normal", frames=5),
    ]
    src = SyntheticSource(SyntheticConfig(seed=5, fps=0, loop=False, script=script))
    pipeline, sent = _run(src)
    assert pipeline.stats.frames == 14 and pipeline.stats.frames_bad == 0
    assert [e["event"] for e in sent] == ["new", "end"]
    assert sent[0]["alert_id"] == sent[1]["alert_id"]
    assert sent[0]["frame_sequence"] == 5  # the 2nd abnormal frame opens it (open_after = 2)
    for event in sent:
        validate("alert", event)
    assert sent[0]["segmenter"]["segmenter"] == "codebook"
    assert pipeline.alerts_sent == {"new": 1, "update": 0, "end": 1}


def test_corrupt_and_wrong_shape_files_are_counted_and_skipped(tmp_path: Path) -> None:
    for i in range(5):
        np.save(tmp_path / f"f{i}.npy", np.full((120, 160), 31.0, np.float32))
    (tmp_path / "f1.npy").write_bytes(b"\x93NUMPY garbage")
    np.save(tmp_path / "f3.npy", np.full((60, 80), 31.0, np.float32))
    pipeline, _ = _run(ReplaySource(ReplayConfig(path=tmp_path)))
    assert pipeline.stats.frames == 3
    assert pipeline.stats.frames_bad == 2
    assert pipeline.capture.exhausted


def test_max_frames_stops_the_pipeline_after_exactly_that_many_frames() -> None:
    src = SyntheticSource(SyntheticConfig(fps=0, loop=True))
    pipeline, _ = _run(src, max_frames=7)
    assert pipeline.progress == 7
    assert pipeline.finished


def test_stats_payload_has_every_stage_and_matches_the_schema() -> None:
    src = SyntheticSource(
        SyntheticConfig(fps=0, loop=False, script=[ScriptSegment(stage="normal", frames=4)])
    )
    pipeline, _ = _run(src)
    payload = pipeline.stats.payload(
        "dev1", outbox_depth=0, outbox_dropped=0, camera=pipeline.camera(), mqtt_connected=False
    )
    validate("stats", payload)
    assert payload["frames"] == 4
    for stage in ("preprocess", "segment", "analyse", "total"):
        lat = payload["latency_ms"][stage]
        assert lat["p50"] is not None and lat["p99"] >= lat["p50"] >= 0
    camera = dict(payload["camera"])
    assert camera.pop("last_frame_age_s") >= 0
    assert camera == {"type": "synthetic", "state": "stopped", "reopens": 0}


def test_latency_percentiles_cover_only_the_recent_window() -> None:
    stats = PipelineStats(window=10)
    for ms in [1000.0] * 5 + [float(v) for v in range(1, 11)]:
        stats.record({"total": ms})
    lat = stats.latency()
    assert lat["total"]["p50"] == pytest.approx(5.5)
    assert lat["total"]["p99"] == pytest.approx(9.91)
    assert lat["segment"] == {"p50": None, "p99": None}
    validate(
        "stats",
        stats.payload(
            "dev1",
            outbox_depth=0,
            outbox_dropped=0,
            camera={"type": "x", "state": "running", "reopens": 0},
            mqtt_connected=True,
        ),
    )


def test_an_alert_the_publisher_refuses_is_counted_and_screening_goes_on() -> None:
    script = [
        ScriptSegment(stage="normal", frames=3),
        ScriptSegment(stage="advanced", frames=6),
        ScriptSegment(stage="normal", frames=5),
    ]
    src = SyntheticSource(SyntheticConfig(seed=5, fps=0, loop=False, script=script))
    sent: list[dict[str, Any]] = []

    def refuse_new(event: dict[str, Any]) -> None:
        if event["event"] == "new":
            raise ValueError("payload refused by the schema")
        sent.append(event)

    pipeline, _ = _run(src, publish=refuse_new)
    assert pipeline.stats.frames == 14  # the analysis thread outlived the refusal
    assert pipeline.alerts_failed == {"new": 1}
    assert pipeline.alerts_sent == {"new": 0, "update": 0, "end": 1}
    assert [e["event"] for e in sent] == ["end"]


def test_a_capture_hook_that_raises_costs_one_frame_not_the_camera() -> None:
    src = SyntheticSource(
        SyntheticConfig(fps=0, loop=False, script=[ScriptSegment(stage="normal", frames=6)])
    )
    bad: list[int] = []
    queue = DropOldestQueue(100, block=True)
    calls = {"n": 0}

    def prepare(frame: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("hook failed")
        return frame

    thread = CaptureThread(
        src, queue, CaptureConfig(), on_bad=bad.append, on_drop=lambda n: None, prepare=prepare
    )
    src.start()
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and thread.exhausted and thread.last_error is None
    assert bad == [1] and calls["n"] == 6
    got = []
    while (item := queue.get(timeout=0.1)) is not None:
        got.append(item)
    assert len(got) == 5
