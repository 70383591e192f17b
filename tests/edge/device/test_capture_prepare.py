"""The capture thread preprocesses frames for the pipeline; the inference thread only segments."""

from __future__ import annotations

import threading
from typing import Any

from edge.core.analysis import AnalysisConfig
from edge.core.frame import Frame
from edge.core.preprocess import PreprocessConfig
from edge.device.alerts import AlertConfig, AlertTracker
from edge.device.capture import CaptureConfig, CaptureThread, DropOldestQueue
from edge.device.pipeline import Pipeline
from edge.segmenters import CodebookConfig, create_segmenter
from edge.sources import SyntheticConfig, SyntheticSource


def test_capture_thread_queues_what_prepare_makes_and_skips_what_it_refuses() -> None:
    source = SyntheticSource(SyntheticConfig(fps=0.0, seed=3))
    source.start()
    queue = DropOldestQueue(2, block=True)
    seen: list[str] = []

    def prepare(frame: Frame) -> Any:
        seen.append(threading.current_thread().name)
        return None if frame.sequence % 2 else ("prepared", frame.sequence)

    capture = CaptureThread(source, queue, CaptureConfig(queue_size=2), prepare=prepare)
    capture.start()
    items = [queue.get(10) for _ in range(3)]
    capture.stop()
    queue.close()
    capture.join(10)
    assert items == [("prepared", s) for s in (2, 4, 6)]
    assert set(seen) == {capture.name}  # prepared where the frames were read


def test_pipeline_prepares_in_the_capture_thread_and_processes_every_frame() -> None:
    source = SyntheticSource(SyntheticConfig(fps=0.0, seed=5))
    source.start()
    sent: list[dict[str, Any]] = []
    pipeline = Pipeline(
        source,
        create_segmenter(CodebookConfig()),
        AlertTracker(AlertConfig(open_after=2, close_after=2), "dev"),
        sent.append,
        preprocess=PreprocessConfig(),
        analysis=AnalysisConfig(),
        capture=CaptureConfig(queue_size=2, when_full="block"),
        max_frames=12,
    )
    threads: list[str] = []
    prepare = pipeline._prepare

    def spy(frame: Frame) -> Any:
        threads.append(threading.current_thread().name)
        return prepare(frame)

    pipeline.capture._prepare = spy
    pipeline.start()
    assert pipeline.join(30)
    assert pipeline.stats.frames == 12 and pipeline.stats.frames_bad == 0
    assert set(threads) == {pipeline.capture.name}
