"""Small typed edits of a valid document, for the fuzz targets' accepting paths.

Byte-level mutations of a config or a manifest are almost always refused, so on their own they
leave the code that runs on an accepted input (the round trip of what was loaded) barely
exercised. The strategies here start from the shipped document and make one to three edits of
the kind a person makes: a field set to another value of its type (often an unusual but valid
one), a key removed, a number nudged, an unknown key added, a value of the wrong type. Most
results are valid, some are not; the checks in :mod:`tests.fuzz_documents` hold either way.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "CONFIG_CHOICES",
    "EDITS",
    "LIKELY_VALID",
    "MANIFEST_CHOICES",
    "edited",
]

Key = tuple[str, ...]

_PREPROCESS: dict[Key, st.SearchStrategy[Any]] = {
    ("palette",): st.sampled_from(["jet", "rainbow", "rainbow_r", "inferno", "iron", "gray"]),
    ("interpolation",): st.sampled_from(["auto", "area", "linear", "cubic", "nearest"]),
    ("crop",): st.sampled_from(["none", "roi"]),
    ("span",): st.sampled_from(["fixed", "body"]),
    ("encoding",): st.sampled_from(["palette", "delta"]),
    ("t_min",): st.floats(15.0, 37.0),
    ("t_max",): st.floats(30.0, 45.0),
    ("size",): st.sampled_from([32, 64, 96, 128, 256]),
    ("roi", "method"): st.sampled_from(["anatomy", "frame"]),
    ("roi", "half_width"): st.floats(0.1, 0.5),
}

# Values a person might set, by key path: most valid, some just outside what is allowed.
CONFIG_CHOICES: dict[Key, st.SearchStrategy[Any]] = {
    ("device_id",): st.sampled_from(["Pi_4-b", "a", "x" * 64, "x" * 65, "dev 1", "pi/1"]),
    ("state_dir",): st.sampled_from(["state", "~/thermoseg", "/tmp/thermoseg-x", "a/../b"]),
    ("source",): st.sampled_from(
        [
            {"type": "replay", "path": "frames", "fps": 0.0},
            {"type": "replay", "files": ["a.npy", "~/b.txt"], "expect_shape": [120, 160]},
            {"type": "synthetic", "resolution": "dmr", "view": "wide", "seed": 7},
            {"type": "synthetic", "script": [{"stage": "advanced", "frames": 1}]},
            {"type": "lepton"},
            {"type": "webcam"},
        ]
    ),
    ("capture", "when_full"): st.sampled_from(["drop_oldest", "block", "drop_newest"]),
    ("capture", "queue_size"): st.integers(1, 64),
    **{("preprocess", *k): v for k, v in _PREPROCESS.items()},
    ("segmenter",): st.sampled_from(
        [
            {"type": "tflite"},
            {"type": "tflite", "num_threads": 2, "threshold": 0.3},
            {"type": "tflite", "num_threads": "auto"},
            {"type": "codebook", "variant": "paper"},
        ]
    ),
    ("segmenter", "block_size"): st.sampled_from([8, 16, 32, 64]),
    ("analysis", "abnormal_from"): st.sampled_from(["initial", "middle", "advanced"]),
    ("analysis", "midline"): st.sampled_from(["mirror", "centroid", "centre"]),
    ("analysis", "decision"): st.sampled_from(["delta_t", "regions"]),
    ("analysis", "grading"): st.sampled_from(["sides", "table1"]),
    ("analysis", "mirror_reference"): st.sampled_from(["max", "mean"]),
    ("analysis", "local_excess_c"): st.one_of(st.just("off"), st.floats(0.1, 5.0)),
    ("analysis", "body_min_c"): st.floats(20.0, 34.0),
    ("alerts", "open_after"): st.integers(1, 100),
    ("evidence", "snapshots"): st.booleans(),
    ("mqtt",): st.sampled_from(
        [
            {"host": "broker.lan", "username": "u", "password": "hunter2-long-secret"},
            {"username": "thermoseg-01", "password_credential": "mqtt-password", "port": 8883},
            {"brokers": ["a.lan", "b.lan:8883"], "username": "u", "password_env": "MQTT_PW"},
            {"host": "broker.lan", "brokers": ["a.lan"]},
        ]
    ),
    ("mqtt", "port"): st.integers(1, 65535),
    ("mqtt", "brokers"): st.lists(st.sampled_from(["a.lan", "b.lan:8883", "[::1]:1"]), max_size=2),
    ("mqtt", "username"): st.sampled_from(["u", "thermoseg-01"]),
    ("mqtt", "password"): st.sampled_from(["hunter2-long-secret", ""]),
    ("mqtt", "password_credential"): st.sampled_from(["mqtt-password", "../x"]),
    ("mqtt", "password_env"): st.just("THERMOSEG_MQTT_PASSWORD"),
    ("mqtt", "topic_prefix"): st.sampled_from(["clinic/a", "t", "a/#", "/a"]),
    ("outbox", "drop_policy"): st.sampled_from(["drop_oldest", "drop_newest"]),
    ("stats", "window"): st.integers(1, 10**6),
    ("pipeline", "opencv_threads"): st.integers(0, 65),
    ("watchdog", "enabled"): st.booleans(),
    ("logging", "level"): st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "debug"]),
    ("logging", "format"): st.sampled_from(["auto", "text", "journal", "json"]),
}

_HEX = "0123456789abcdef"
MANIFEST_CHOICES: dict[Key, st.SearchStrategy[Any]] = {
    ("name",): st.sampled_from(["lite-v5-float16", "x", "ünï-int8"]),
    ("file",): st.sampled_from(["m.tflite", "lite-int8.tflite", "a b.tflite"]),
    ("sha256",): st.one_of(
        st.text(_HEX, min_size=64, max_size=64), st.just("F" * 64), st.just("0" * 63)
    ),
    ("size_bytes",): st.integers(0, 2**40),
    ("quant",): st.sampled_from(["float32", "float16", "dynamic", "int8", "int4"]),
    ("input", "dtype"): st.sampled_from(["float32", "uint8", "int8"]),
    ("input", "shape"): st.lists(st.integers(1, 256), min_size=1, max_size=4),
    ("output", "scale"): st.one_of(st.floats(1e-6, 1.0), st.just(0.0)),
    ("output", "zero_point"): st.integers(-128, 255),
    ("output", "meaning"): st.text(max_size=20),
    **{("preprocess", *k): v for k, v in _PREPROCESS.items()},
    ("training",): st.sampled_from([{}, {"run_id": "r"}, {"config": None}]),
    ("metrics",): st.one_of(
        st.none(), st.dictionaries(st.sampled_from(["dice", "iou"]), st.floats(0, 1), max_size=2)
    ),
    ("converter", "calibration_frames"): st.integers(0, 10**4),
    ("converter", "calibration_source"): st.one_of(st.none(), st.just("data/v2/calib")),
    ("created",): st.sampled_from(["2026-01-01T00:00:00Z", ""]),
}


def _leaves(node: dict[str, Any], path: Key = ()) -> Iterator[Key]:
    for key, value in node.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key)


def _parent(doc: dict[str, Any], path: Key) -> dict[str, Any]:
    node = doc
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    return node


def _nudged(draw: st.DrawFn, value: Any) -> Any:
    """``value`` moved a little, keeping its type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + draw(st.integers(-3, 3))
    if isinstance(value, float):
        return value * draw(st.floats(0.25, 4.0)) + draw(st.sampled_from([0.0, 0.5, -0.5]))
    if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        at = draw(st.integers(0, len(value) - 1))
        return [_nudged(draw, v) if i == at else v for i, v in enumerate(value)]
    return value


def _swapped(draw: st.DrawFn, value: Any) -> Any:
    """``value`` as another type: some a validator converts (1 for 1.0), most it refuses."""
    if isinstance(value, bool):
        return draw(st.sampled_from([int(value), "yes"]))
    if isinstance(value, int):
        return draw(st.sampled_from([float(value), str(value), value + 0.5, [value]]))
    if isinstance(value, float):
        options = [str(value), [value]] + ([int(value)] if value.is_integer() else [])
        return draw(st.sampled_from(options))
    if isinstance(value, str):
        return draw(st.sampled_from([[value], 1, value.upper(), {"value": value}]))
    if isinstance(value, list):
        return value[0] if value else {}
    return "x"


EDITS = ("choice", "drop", "nudge", "extra", "swap")
LIKELY_VALID = ("choice", "choice", "drop")


def _edit(
    draw: st.DrawFn, doc: dict[str, Any], choices: dict[Key, st.SearchStrategy[Any]], how: str
) -> None:
    if how == "choice":
        path = draw(st.sampled_from(sorted(choices)))
        _parent(doc, path)[path[-1]] = draw(choices[path])
        return
    path = draw(st.sampled_from(sorted(_leaves(doc))))
    parent, key = _parent(doc, path), path[-1]
    if how == "drop":
        del parent[key]
    elif how == "nudge":
        parent[key] = _nudged(draw, parent[key])
    elif how == "extra":
        parent[draw(st.sampled_from(["extra", "Type", key.upper(), key + "_s"]))] = parent[key]
    else:
        parent[key] = _swapped(draw, parent[key])


@st.composite
def edited(
    draw: st.DrawFn,
    doc: dict[str, Any],
    choices: dict[Key, st.SearchStrategy[Any]],
    kinds: tuple[str, ...] = EDITS,
    most: int = 3,
) -> dict[str, Any]:
    """A deep copy of ``doc`` after one to ``most`` edits of ``kinds`` (see :data:`EDITS`).

    ``choices`` holds the values a "choice" edit sets, by key path; the first value a strategy
    gives (the one Hypothesis starts from and shrinks to) is a valid one."""
    out = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, most))):
        _edit(draw, out, choices, draw(st.sampled_from(kinds)))
    return out
