"""AlertTracker: debounced new/update/end events from real analyses of synthetic frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from edge import DISCLAIMER
from edge.comms.schemas import validate
from edge.core.analysis import Analysis, AnalysisConfig, analyse
from edge.core.frame import Frame
from edge.device.alerts import AlertConfig, AlertTracker

SEGMENTER = {"segmenter": "codebook", "model_sha256": None}
H, W = 40, 60
# Not mirror images of each other: each blob is warmer than its contralateral site.
BLOBS = {"left": (slice(10, 16), slice(8, 14)), "right": (slice(24, 30), slice(46, 52))}


def _scene(*sides: str) -> tuple[Frame, Analysis]:
    """Skin at 33 °C with a 35 °C blob (and its mask) on each named side of the midline."""
    celsius = np.full((H, W), 33.0, dtype=np.float32)
    mask = np.zeros((H, W), dtype=np.uint8)
    for side in sides:
        celsius[BLOBS[side]] = 35.0
        mask[BLOBS[side]] = 1
    # Unsmoothed ΔT: the payload tests compare it with the blobs' exact 2 °C.
    cfg = AnalysisConfig(blur_frac=0.0, align_frac=0.0)
    analysis = analyse(mask, celsius, cfg, body=np.ones((H, W), dtype=np.uint8))
    return Frame(celsius, "celsius"), analysis


NORMAL, LEFT, BOTH = _scene(), _scene("left"), _scene("left", "right")


class Feed:
    """Feeds scenes to a tracker as frames 0.1 s apart; keeps every event."""

    def __init__(self, tracker: AlertTracker) -> None:
        self.tracker = tracker
        self.seq = 0
        self.events: list[dict[str, Any]] = []

    def __call__(self, scene: tuple[Frame, Analysis], n: int = 1) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        template, analysis = scene
        for _ in range(n):
            frame = Frame(
                template.pixels,
                "celsius",
                timestamp=1_700_000_000.0 + self.seq * 0.1,
                sequence=self.seq,
            )
            out += self.tracker.update(analysis, frame, SEGMENTER)
            self.seq += 1
        self.events += out
        return out


@pytest.fixture
def feed() -> Feed:
    return Feed(
        AlertTracker(AlertConfig(open_after=3, close_after=5, update_interval_s=10.0), "pi-01")
    )


def test_scenes_are_what_the_tests_assume() -> None:
    assert (NORMAL[1].grade, NORMAL[1].abnormal) == ("none", False)
    assert LEFT[1].abnormal and LEFT[1].grade in ("initial", "middle")
    assert (BOTH[1].grade, BOTH[1].abnormal) == ("advanced", True)


def test_alert_opens_only_after_open_after_consecutive_abnormal_frames(feed: Feed) -> None:
    assert feed(LEFT, 2) == []
    assert feed(NORMAL) == []  # the run is broken: counting starts again
    assert feed(LEFT, 2) == []
    events = feed(LEFT)
    assert [e["event"] for e in events] == ["new"]
    assert events[0]["frame_sequence"] == 5
    assert feed.tracker.open_alert_id == events[0]["alert_id"]


def test_a_steady_abnormal_pattern_sends_updates_only_every_interval(feed: Feed) -> None:
    feed(LEFT, 3)
    updates = feed(LEFT, 300)  # 30 s of frames at 10 fps
    assert [e["event"] for e in updates] == ["update"] * 3
    seconds = [(e["frame_sequence"] - 2) / 10 for e in updates]
    assert seconds == pytest.approx([10.0, 20.0, 30.0])


def test_a_grade_change_sends_an_update_at_once(feed: Feed) -> None:
    feed(LEFT, 3)
    events = feed(BOTH)
    assert [(e["event"], e["grade"]) for e in events] == [("update", "advanced")]
    assert feed(BOTH, 5) == []


def test_a_grade_flickering_below_its_peak_waits_for_the_interval(feed: Feed) -> None:
    feed(LEFT, 3)
    assert [e["grade"] for e in feed(BOTH)] == ["advanced"]
    # Near a threshold the grade may flicker every frame: no event per flicker.
    flicker = [event for _ in range(20) for event in feed(LEFT) + feed(BOTH)]
    assert flicker == []


def test_alert_ends_after_close_after_normal_frames_not_before(feed: Feed) -> None:
    feed(LEFT, 3)
    assert feed(NORMAL, 4) == []
    assert feed(LEFT) == []  # back before it could end: the same alert goes on
    assert feed(NORMAL, 4) == []
    events = feed(NORMAL)
    assert [(e["event"], e["abnormal"], e["grade"]) for e in events] == [("end", False, "none")]
    assert feed.tracker.open_alert_id is None
    assert feed(NORMAL, 20) == []


def test_all_events_of_one_alert_share_its_id_and_the_next_alert_gets_a_new_one(feed: Feed) -> None:
    feed(LEFT, 3)
    feed(BOTH)
    feed(NORMAL, 5)
    feed(LEFT, 3)
    kinds = [e["event"] for e in feed.events]
    assert kinds == ["new", "update", "end", "new"]
    first = {e["alert_id"] for e in feed.events[:3]}
    assert len(first) == 1
    assert feed.events[3]["alert_id"] not in first
    assert {e["opened_at"] for e in feed.events[:3]} == {feed.events[0]["timestamp"]}


def test_every_event_validates_and_carries_the_regions_delta_t_and_disclaimer(feed: Feed) -> None:
    feed(LEFT, 3)
    feed(BOTH)
    feed(NORMAL, 5)
    assert len(feed.events) == 3
    for e in feed.events:
        validate("alert", e)
        assert e["disclaimer"] == DISCLAIMER
        assert e["device"] == "pi-01"
        assert e["segmenter"] == SEGMENTER
    new, update, end = feed.events
    assert [r["side"] for r in new["regions"]] == ["left"]
    assert new["max_delta_t_c"] == pytest.approx(2.0)
    assert sorted(r["side"] for r in update["regions"]) == ["left", "right"]
    assert end["regions"] == [] and end["max_delta_t_c"] is None


def test_config_rejects_zero_counts_and_unknown_keys() -> None:
    with pytest.raises(ValueError):
        AlertConfig(open_after=0)
    with pytest.raises(ValueError):
        AlertConfig(close_after=3, cooldown=1)  # type: ignore[call-arg]


def test_every_alert_says_whether_the_clock_was_synchronised_and_old_alerts_still_validate(
    feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    import edge.device.alerts as alerts_module

    monkeypatch.setattr(alerts_module, "clock_synced", lambda: False)
    (event,) = feed(LEFT, 3)
    assert event["clock_synced"] is False
    validate("alert", event)
    monkeypatch.setattr(alerts_module, "clock_synced", lambda: True)
    feed(NORMAL, 4)
    (end,) = feed(NORMAL)
    assert end["event"] == "end" and end["clock_synced"] is True
    del end["clock_synced"]  # from a device older than the field
    validate("alert", end)
