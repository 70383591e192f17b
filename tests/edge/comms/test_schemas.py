"""The published JSON Schemas: valid messages pass, a wrong field is named in the error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.comms.publisher import status_payload
from edge.comms.schemas import SCHEMA_DIR, load_schema, validate
from edge.core.analysis import AnalysisConfig, analyse
from edge.device.stats import PipelineStats
from tests.edge.mqtt_helpers import alert_payload


def test_every_schema_file_is_a_valid_draft_2020_12_schema() -> None:
    names = sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json"))
    assert names == ["alert.schema.json", "stats.schema.json", "status.schema.json"]
    versions = {"alert": 2, "status": 1, "stats": 1}  # alert/2 added exam_id, snapshot, end_reason
    for kind, version in versions.items():
        schema = load_schema(kind)  # type: ignore[arg-type]
        assert schema["title"] == f"thermoseg.{kind}/{version}"
        assert schema["properties"]["schema"]["const"] == schema["title"]


def test_an_alert_2_payload_rejects_a_name_as_exam_id_and_accepts_a_snapshot_reference() -> None:
    ok = alert_payload(1)
    ok["exam_id"] = "EX-2026-0042"
    ok["snapshot"] = {
        "topic": "thermoseg/pi-test/alerts/x/snapshot",
        "sha256": "0" * 64,
        "bytes": 1234,
        "width": 544,
        "height": 382,
        "frame_sequence": 1,
    }
    validate("alert", ok)
    named = dict(ok, exam_id="Jane Doe 1970/01/01")
    with pytest.raises(ValueError, match="exam_id"):
        validate("alert", named)
    v1 = dict(alert_payload(1), schema="thermoseg.alert/1")
    with pytest.raises(ValueError, match="schema"):
        validate("alert", v1)


def test_alert_with_a_wrong_field_is_rejected_naming_that_field() -> None:
    bad = alert_payload(3)
    bad["regions"] = [{"id": 1}]
    with pytest.raises(ValueError, match=r"alert payload field regions\[0\]"):
        validate("alert", bad)
    missing = alert_payload(3)
    del missing["disclaimer"]
    with pytest.raises(ValueError, match="disclaimer"):
        validate("alert", missing)
    extra = alert_payload(3)
    extra["diagnosis"] = "cancer"
    with pytest.raises(ValueError, match="diagnosis"):
        validate("alert", extra)


def test_status_messages_including_the_last_will_validate() -> None:
    validate("status", status_payload("pi-01", "online", 1_700_000_000.0))
    validate("status", status_payload("pi-01", "offline", None))
    with pytest.raises(ValueError, match="state"):
        validate("status", status_payload("pi-01", "sleeping", None))


def test_the_pipeline_stats_payload_validates_before_and_after_frames() -> None:
    stats = PipelineStats(window=50)
    camera = {"type": "synthetic", "state": "running", "reopens": 0}
    kw = {"outbox_depth": 0, "outbox_dropped": 0, "camera": camera, "mqtt_connected": False}
    validate("stats", stats.payload("pi-01", **kw))  # type: ignore[arg-type]
    for i in range(5):
        stats.record({"preprocess": 1.0 + i, "segment": 20.0, "analyse": 2.0, "total": 23.0 + i})
    payload = stats.payload("pi-01", **kw)  # type: ignore[arg-type]
    validate("stats", json.loads(json.dumps(payload)))
    payload["camera"] = {"type": "lepton", "state": "exploded", "reopens": 0}
    with pytest.raises(ValueError, match=r"camera\.state"):
        validate("stats", payload)


def test_stats_of_a_device_that_predates_salvage_incomplete_still_validate() -> None:
    # stats/1 gained outbox.salvage_incomplete as an optional field: a dashboard running this
    # version keeps accepting the stats of devices not yet updated.
    stats = PipelineStats(window=50)
    camera = {"type": "synthetic", "state": "running", "reopens": 0}
    outbox = {"state": "ok", "reason": None, "in_memory": 0, "lost": 0, "quarantined": 0}
    kw = {"outbox_depth": 0, "outbox_dropped": 0, "camera": camera, "mqtt_connected": True}
    payload = json.loads(json.dumps(stats.payload("pi-01", **kw)))  # type: ignore[arg-type]
    validate("stats", dict(payload, outbox=outbox))
    with pytest.raises(ValueError, match="salvage_incomplete"):
        validate("stats", dict(payload, outbox=dict(outbox, salvage_incomplete=-1)))


def test_an_alert_with_a_region_counted_by_the_local_rule_validates_and_older_ones_still_do() -> (
    None
):
    field = np.full((120, 160), 22.0, dtype=np.float32)
    field[10:115, 20:140] = 33.0
    mask = np.zeros((120, 160), dtype=np.uint8)
    mask[50:56, 40:46] = 1
    field[50:56, 40:46] += 1.5
    field[50:56, 114:120] += 1.5  # the mirror site is as warm: only the local rule counts it
    (region,) = analyse(mask, field, AnalysisConfig(local_excess_c=1.0)).regions
    assert region.rule == "local"
    payload = alert_payload(1)
    payload["regions"] = [region.to_dict()]
    validate("alert", json.loads(json.dumps(payload)))
    older = region.to_dict()
    del older["local_excess_c"]  # a device that predates the field
    validate("alert", dict(payload, regions=[older]))
