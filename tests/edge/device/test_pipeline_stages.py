"""The two work threads (inference, then analysis) keep frame order, counts and stop semantics."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from edge.core.analysis import AnalysisConfig
from edge.core.preprocess import PreprocessConfig
from edge.device.alerts import AlertConfig, AlertTracker
from edge.device.capture import CaptureConfig
from edge.device.pipeline import Pipeline
from edge.segmenters import CodebookConfig, create_segmenter
from edge.segmenters.base import Segmenter
from edge.sources import SyntheticConfig, SyntheticSource
from edge.sources.synthetic import ScriptSegment


class EveryThirdMaskBroken(Segmenter):
    """The codebook, except that every third mask has a second channel, which analysis refuses
    (the failure happens on the analysis thread, after the frame was handed off)."""

    type = "codebook"
    config_class = CodebookConfig

    def __init__(self) -> None:
        self.inner = create_segmenter(CodebookConfig())
        self.calls = 0

    def segment(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        self.calls += 1
        mask = self.inner.segment(image)
        return np.stack([mask, mask], axis=2) if self.calls % 3 == 0 else mask


SCRIPT = [
    ScriptSegment(stage="normal", frames=3),
    ScriptSegment(stage="advanced", frames=6),
    ScriptSegment(stage="normal", frames=5),
    ScriptSegment(stage="initial", frames=5),
    ScriptSegment(stage="normal", frames=4),
]


def _pipeline(
    source: SyntheticSource, segmenter: Segmenter, sent: list[dict[str, Any]], **kw: Any
) -> Pipeline:
    return Pipeline(
        source,
        segmenter,
        AlertTracker(AlertConfig(open_after=2, close_after=3, update_interval_s=1000), "dev1"),
        sent.append,
        preprocess=PreprocessConfig(),
        # Every region counts: the scenes must raise alerts whatever the codebook's ΔT.
        analysis=AnalysisConfig(decision="regions"),
        capture=CaptureConfig(queue_size=1000),
        **kw,
    )


def _events(sent: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return [(e["event"], e["frame_sequence"], e["grade"]) for e in sent]


def test_threaded_run_raises_the_same_events_in_the_same_order_as_one_frame_at_a_time() -> None:
    threaded: list[dict[str, Any]] = []
    source = SyntheticSource(SyntheticConfig(seed=5, fps=0, loop=False, script=SCRIPT))
    pipeline = _pipeline(source, create_segmenter(CodebookConfig()), threaded)
    source.start()
    pipeline.start()
    assert pipeline.join(60) and pipeline.finished

    serial: list[dict[str, Any]] = []
    source = SyntheticSource(SyntheticConfig(seed=5, fps=0, loop=False, script=SCRIPT))
    one_by_one = _pipeline(source, create_segmenter(CodebookConfig()), serial)
    source.start()
    while (frame := source.read()) is not None:
        one_by_one.process(frame)
    source.stop()

    assert pipeline.stats.frames == one_by_one.stats.frames == sum(s.frames for s in SCRIPT)
    assert len(threaded) >= 4  # two alerts opened and ended
    assert _events(threaded) == _events(serial)


def test_frames_failing_in_analysis_are_counted_bad_and_max_frames_still_counts_good_ones() -> None:
    sent: list[dict[str, Any]] = []
    segmenter = EveryThirdMaskBroken()
    source = SyntheticSource(SyntheticConfig(seed=2, fps=0, loop=True))
    pipeline = _pipeline(source, segmenter, sent, max_frames=10)
    source.start()
    pipeline.start()
    assert pipeline.join(60) and pipeline.finished
    assert pipeline.progress == 10
    # Every third segmented frame failed, and no frame was segmented beyond the tenth good one.
    assert pipeline.stats.frames_bad == segmenter.calls // 3
    assert segmenter.calls == 10 + segmenter.calls // 3
    assert segmenter.calls % 3 != 0


def test_abort_ends_both_work_threads_without_draining() -> None:
    sent: list[dict[str, Any]] = []
    source = SyntheticSource(SyntheticConfig(seed=1, fps=0, loop=True))
    pipeline = _pipeline(source, create_segmenter(CodebookConfig()), sent)
    source.start()
    pipeline.start()
    while pipeline.progress < 3:
        pipeline.join(0.05)
    pipeline.abort()
    assert pipeline.join(10) and pipeline.finished
    source.stop()
