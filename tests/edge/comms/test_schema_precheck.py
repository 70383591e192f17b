"""The schemas' quick pre-check: what it passes, jsonschema (the oracle) passes too, and
``validate`` rejects exactly what jsonschema rejects, with jsonschema's message."""

from __future__ import annotations

import copy
import json
import math
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from edge.comms.publisher import status_payload
from edge.comms.schemas import load_schema, validate
from edge.comms.schemas._precheck import compile_check
from edge.device.stats import PipelineStats
from tests.edge.mqtt_helpers import alert_payload


def _alert() -> dict[str, Any]:
    payload = alert_payload(7)
    region = dict(payload["regions"][0], id=2, side="right", counted=False, rule=None)
    region.update(reason="symmetric", delta_t_peak_c=0.4, local_excess_c=None, roi_overlap=1.0)
    payload["regions"].append(region)
    payload["exam_id"] = "EX-7"
    payload["clock_synced"] = True
    payload["snapshot"] = {
        "topic": "thermoseg/pi-test/alerts/x/snapshot",
        "sha256": "ab" * 32,
        "bytes": 9000,
        "width": 544,
        "height": 382,
        "frame_sequence": 7,
    }
    return payload


def _stats() -> dict[str, Any]:
    stats = PipelineStats(window=50)
    for i in range(3):
        stats.record({"preprocess": 1.0 + i, "segment": 20.0, "analyse": 2.0, "total": 23.0 + i})
    camera = {"type": "synthetic", "state": "running", "reopens": 0}
    kw = {"outbox_depth": 0, "outbox_dropped": 0, "camera": camera, "mqtt_connected": True}
    return json.loads(json.dumps(stats.payload("pi-01", **kw)))  # type: ignore[arg-type]


VALID = {
    "alert": [
        alert_payload(1),
        dict(alert_payload(2), event="end", end_reason="recovered"),
        _alert(),
    ],
    "status": [status_payload("pi-01", "online", 1.7e9), status_payload("pi-01", "offline", None)],
    "stats": [_stats()],
}


def _oracle_errors(kind: str, payload: Any) -> list[str]:
    validator = Draft202012Validator(load_schema(kind))  # type: ignore[arg-type]
    return [e.message for e in validator.iter_errors(payload)]


@pytest.mark.parametrize("kind", sorted(VALID))
def test_the_payloads_the_device_publishes_pass_the_pre_check_without_jsonschema(kind: str) -> None:
    check = compile_check(load_schema(kind))  # type: ignore[arg-type]
    for payload in VALID[kind]:
        assert _oracle_errors(kind, payload) == []
        assert check(payload)


# Values jsonschema types differently from plain JSON: 1.0 is an integer, True is not a number,
# a NaN meets no bound, numpy floats are numbers, a tuple is no array, a dict subclass is.
ODD = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    1.0,
    -0.5,
    0.5,
    1e308,
    math.nan,
    math.inf,
    np.float64(2.0),
    np.float32(0.25),
    np.int64(3),
    "",
    "x",
    "left",
    "initial",
    "0" * 32,
    "a" * 32 + "\n",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00Z\n",
    "thermoseg.alert/2",
    [],
    [1, 2, 3, 4],
    [1.0, 2.0],
    (1, 2, 3, 4),
    {},
    {"id": 1},
    OrderedDict(segmenter="x"),
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*path, i))
    return out


def _mutate(payload: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    if not path:
        return value if how == "set" else payload
    out = copy.deepcopy(payload)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "set":
        parent[last] = value
    elif how == "delete":
        del parent[last]
    elif how == "extra" and isinstance(parent[last], dict):
        parent[last]["unexpected"] = value
    elif how == "extra" and isinstance(parent[last], list):
        parent[last].append(value)
    return out


def _agrees_with_jsonschema(kind: str, payload: Any) -> None:
    errors = _oracle_errors(kind, payload)
    if compile_check(load_schema(kind))(payload):  # type: ignore[arg-type]
        assert errors == []
    if errors:
        with pytest.raises(ValueError) as raised:
            validate(kind, payload)  # type: ignore[arg-type]
        assert any(message in str(raised.value) for message in errors)
    else:
        validate(kind, payload)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(VALID))
def test_validate_rejects_exactly_what_jsonschema_rejects_for_every_single_field_change(
    kind: str,
) -> None:
    payload = VALID[kind][-1]  # the richest of each kind
    for path in _paths(payload):
        _agrees_with_jsonschema(kind, _mutate(payload, path, "delete", None))
        for value in ODD:
            for how in ("set", "extra"):
                _agrees_with_jsonschema(kind, _mutate(payload, path, how, value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_validate_rejects_exactly_what_jsonschema_rejects_after_several_changes(
    data: st.DataObject,
) -> None:
    kind = data.draw(st.sampled_from(sorted(VALID)))
    payload = data.draw(st.sampled_from(VALID[kind]))
    for _ in range(data.draw(st.integers(2, 4))):
        path = data.draw(st.sampled_from(_paths(payload)))
        how = data.draw(st.sampled_from(["set", "delete", "extra"]))
        payload = _mutate(payload, path, how, data.draw(st.sampled_from(ODD)))
    _agrees_with_jsonschema(kind, payload)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "multipleOf": 2},  # a keyword the pre-check does not know
        {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}},  # a recursive reference
        {"$ref": "https://example.invalid/other.json"},
        {"enum": [1, "a"]},  # non-string literals: jsonschema's equality rules
        {"oneOf": [{"type": "integer"}, {"minimum": 0}]},  # a branch without a type
        {"type": "array", "prefixItems": [{"type": "integer"}]},
    ],
)
def test_a_schema_the_pre_check_cannot_read_leaves_every_verdict_to_jsonschema(
    schema: dict[str, Any],
) -> None:
    check = compile_check(schema)
    for value in [*ODD, 4]:
        assert not check(value)
