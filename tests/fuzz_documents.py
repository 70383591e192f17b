"""The model manifest and device config targets: hostile documents and edits of shipped ones.

Each strategy mixes hostile bytes with small typed edits of the shipped document
(:mod:`tests.fuzz_edits`), so that a good share of inputs is accepted and the checks on what was
accepted run often: a loaded manifest is written back as strict JSON and reads again the same; a
loaded config has finite numbers and absolute paths, and what check-config prints of it masks
every secret and loads again the same.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import tomllib
from hypothesis import strategies as st
from pydantic import BaseModel

from edge.device._config_walk import secret_names
from edge.device.config import DeviceConfig, effective_config, load_config, to_toml
from edge.errors import ConfigError, ModelError
from edge.io.manifest import read_manifest, write_manifest
from tests.fuzz_core import FLOATS, JSON, Outcome, Target, _mutate_bytes, _weighted
from tests.fuzz_edits import CONFIG_CHOICES, LIKELY_VALID, MANIFEST_CHOICES, edited

__all__ = [
    "CONFIG",
    "DEFAULT_TOML",
    "MANIFEST",
    "SEED_MANIFEST",
    "check_config",
    "check_manifest",
    "config_doc",
    "manifest_doc",
]

ROOT = Path(__file__).parents[1]
DEFAULT_TOML = ROOT / "firmware_config" / "default.toml"
SEED_MANIFEST = ROOT / "edge" / "models" / "lite-int8.json"


def _hostile_or_edited(
    hostile: st.SearchStrategy[bytes],
    seed: dict[str, Any],
    choices: dict[tuple[str, ...], st.SearchStrategy[Any]],
    encode: Callable[[dict[str, Any]], bytes],
) -> st.SearchStrategy[bytes]:
    """2 parts ``hostile`` bytes, 1 part any edits of the shipped document ``seed``, 1 part edits
    likely to keep it valid: a good share accepted, so the checks on what loads run often."""
    return _weighted(
        (2, hostile),
        (1, edited(seed, choices).map(encode)),
        (1, edited(seed, choices, LIKELY_VALID, 2).map(encode)),
    )


# --- model manifests ----------------------------------------------------------------------------


@st.composite
def manifest_doc(draw: st.DrawFn) -> bytes:
    doc = copy.deepcopy(_SEED_MANIFEST_DOC)
    for _ in range(draw(st.integers(1, 3))):
        node: Any = doc
        while isinstance(node, dict) and node and draw(st.booleans()):
            child = node[draw(st.sampled_from(sorted(node)))]
            if not isinstance(child, dict) or not child:
                break
            node = child
        if isinstance(node, dict) and node:
            node[draw(st.sampled_from(sorted(node)))] = draw(JSON)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


def _no_constant(name: str) -> float:
    raise AssertionError(f"write_manifest wrote {name}, which is not JSON")


def check_manifest(data: bytes, work: Path) -> Outcome:
    """A manifest that loads is written back as strict JSON that loads to the same manifest."""
    path = work / "fuzz-manifest.json"
    path.write_bytes(data)
    try:
        manifest = read_manifest(path)
    except ModelError:
        return "refused"
    again = work / "fuzz-manifest-written.json"
    write_manifest(manifest, again)
    json.loads(again.read_text(encoding="utf-8"), parse_constant=_no_constant)
    assert read_manifest(again).model_dump() == manifest.model_dump()
    return "accepted"


def _json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


_SEED_MANIFEST_DOC = json.loads(SEED_MANIFEST.read_text(encoding="utf-8"))

MANIFEST = Target(
    "manifest",
    _hostile_or_edited(
        st.one_of(
            manifest_doc(),
            _mutate_bytes(SEED_MANIFEST.read_bytes()[:1500]),
            st.binary(max_size=512),
            st.just(b"[" * 5000),
        ),
        _SEED_MANIFEST_DOC,
        MANIFEST_CHOICES,
        _json,
    ),
    check_manifest,
)


# --- device config (TOML) -----------------------------------------------------------------------

TOML_VALUES = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    FLOATS,
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    st.sampled_from(["~/x", "../x", "/abs", "", "mqtt-password", "a/b", "tflite", "replay"]),
    st.lists(st.integers(-5, 300), max_size=4),
)


@st.composite
def config_doc(draw: st.DrawFn) -> bytes:
    doc = copy.deepcopy(_DEFAULT_DOC)
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(sorted(doc)))
        if isinstance(doc[section], dict) and doc[section] and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(doc[section])))
            doc[section][key] = draw(TOML_VALUES)
        else:
            doc[section] = draw(TOML_VALUES)
    if draw(st.booleans()):
        if not isinstance(doc.get("mqtt"), dict):
            doc["mqtt"] = {}
        key = draw(st.sampled_from(["password", "password_credential"]))
        doc["mqtt"].update({key: draw(TOML_VALUES), "username": "u"})
    return _toml(doc)


def _leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _leaves(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _leaves(item)
    else:
        yield node


SECRETS = secret_names(DeviceConfig)
MASK = "**********"


def _secrets_shown(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRETS and value not in (None, "", MASK):  # "" reveals nothing
                yield key, value
            yield from _secrets_shown(value)
    elif isinstance(node, list):
        for item in node:
            yield from _secrets_shown(item)


def check_config(data: bytes, work: Path) -> Outcome:
    """A config that loads has finite numbers and absolute paths, and what check-config prints
    of it masks every secret and loads again to the same effective config."""
    path = work / "fuzz-device.toml"
    path.write_bytes(data)
    try:
        cfg = load_config(path)
    except ConfigError:
        return "refused"
    for value in _leaves(cfg):
        assert not isinstance(value, float) or math.isfinite(value), value
        assert not isinstance(value, Path) or value.is_absolute(), value
    shown = effective_config(cfg)
    assert not list(_secrets_shown(shown))
    printed = work / "fuzz-effective.toml"
    printed.write_text(to_toml(shown), encoding="utf-8")  # what check-config prints
    assert effective_config(load_config(printed)) == shown
    return "accepted"


def _toml(doc: dict[str, Any]) -> bytes:
    return to_toml(doc).encode()


_DEFAULT_DOC = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))

CONFIG = Target(
    "config",
    _hostile_or_edited(
        st.one_of(
            config_doc(),
            _mutate_bytes(DEFAULT_TOML.read_bytes()[-2500:]),
            _mutate_bytes(b'device_id = "pi"\n[source]\ntype = "synthetic"\n'),
            st.binary(max_size=256),
        ),
        _DEFAULT_DOC,
        CONFIG_CHOICES,
        _toml,
    ),
    check_config,
)
