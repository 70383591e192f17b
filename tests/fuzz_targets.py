"""Fuzz targets shared by the property tests (tests/**/test_fuzz_*.py) and ``bench.bench_fuzz``.

Each :class:`Target` pairs a Hypothesis strategy of hostile inputs with a ``check`` that feeds one
input to the real code and returns ``"accepted"`` or ``"refused"``. Refused means the code raised
its documented error (FrameError, ModelError, ConfigError; for the schema validator ValueError);
anything else escapes ``check`` and is a finding. Accepted inputs are checked further (a CSV
cell never starts a formula, a terminal line holds no control character, every stored row is
there; a DMR-IR matrix is the one a plain parser reads, and a matrix that parser reads is not
refused; a loaded manifest or config is written back and reads again the same, with every secret
masked).

The config and manifest strategies mix hostile documents with small typed edits of the shipped
ones (:mod:`tests.fuzz_edits`), so that a good share of inputs is accepted and the checks on
what was accepted run often.

Inputs are small (a few kB): the suite bounds their number with :data:`FUZZ` and the memory of the
code under test by measuring, with ``tracemalloc``, the peak while a ``check`` runs.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import math
import sqlite3
import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import tomllib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from edge.cli.listen import CsvSink, PrintSink, SqliteSink
from edge.comms.schemas import validate
from edge.device._config_walk import secret_names
from edge.device.config import DeviceConfig, effective_config, load_config, to_toml
from edge.errors import ConfigError, FrameError, ModelError
from edge.io._dmr_text import CELSIUS_RANGE, parse_temperature_matrix
from edge.io.manifest import read_manifest, write_manifest
from tests.edge.mqtt_helpers import alert_payload
from tests.fuzz_edits import (
    CONFIG_CHOICES,
    LIKELY_VALID,
    MANIFEST_CHOICES,
    edited,
    reference_matrix,
)

ROOT = Path(__file__).parents[1]
DEFAULT_TOML = ROOT / "firmware_config" / "default.toml"
SEED_MANIFEST = ROOT / "edge" / "models" / "lite-int8.json"

# Reproducible in CI (no example database, no random seed), bounded in time per example.
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MEMORY_LIMIT_BYTES = 64 * 2**20  # traced peak allowed while one target's checks run
# Each target's tests want at least this many of FUZZ's inputs accepted, and as many refused:
# both paths fuzzed, with room for a change of the derandomized inputs.
MIN_EACH = 20
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Outcome = str  # "accepted" | "refused"

# Text a spreadsheet or a terminal would act on, mixed into every text strategy.
NASTY = [
    "=HYPERLINK(\"http://x.invalid\")", "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\t=1",
    "\r=1", "\x1b[2J\x1b[31m", "a\nFAKE LINE", "\u202e", "\u2028", "\x00", "\ud800", "",
    "dev-1\n", "../x", "~", "nan", "inf", "1e999", "٣", "𝟘",
]  # fmt: skip
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.text(st.characters(), max_size=8))
INTS = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 2**63 - 1, 2**63, 2**64, 10**400])
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


@dataclass(frozen=True)
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any, Path], Outcome]


@st.composite
def _weighted(draw: st.DrawFn, *branches: tuple[int, st.SearchStrategy[Any]]) -> Any:
    """One of ``branches`` (weight, strategy), as likely as its weight says. ``st.one_of``
    would not do: it flattens nested (also mapped) ones into their parts, each as likely."""
    pick = draw(st.integers(0, sum(weight for weight, _ in branches) - 1))
    for weight, branch in branches:
        if pick < weight:
            return draw(branch)
        pick -= weight
    raise AssertionError("unreachable")


def _mutate_bytes(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with a slice replaced by random bytes, or cut short."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = seed
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(data)))
            cut = draw(st.integers(0, min(16, len(data) - at)))
            data = data[:at] + draw(st.binary(max_size=16)) + data[at + cut :]
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
        return data

    return build()


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


# --- DMR-IR text matrices ----------------------------------------------------------------------


_BAD_CELLS = [b"nan", b"inf", b"-", b"1e309", b"0x1F", b"1,5", b"\xd9\xa3", b"", b"1e", b"\x0c"]


@st.composite
def dmr_text(draw: st.DrawFn) -> bytes:
    rows, cols = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    sep = draw(st.sampled_from([b" ", b";", b"\t", b"  ", b"; "]))
    end = draw(st.sampled_from([b"\n", b"\r\n", b"\r\r\n"]))
    formats = st.sampled_from(["{:.3f}", "{:.0f}", "{!r}", "{:e}", "{:+.1f}"])
    celsius = st.tuples(formats, st.floats(*CELSIUS_RANGE)).map(lambda f: f[0].format(f[1]))
    # Half the matrices are °C in any notation, the others also hold values outside °C and bad
    # cells.
    cell = (
        celsius.map(str.encode)
        if draw(st.booleans())
        else st.one_of(
            st.floats(-70, 210).map(lambda v: f"{v:.3f}".encode()), st.sampled_from(_BAD_CELLS)
        )
    )
    lines = [sep.join(draw(st.lists(cell, min_size=cols, max_size=cols))) for _ in range(rows)]
    tail = draw(st.sampled_from([b"", sep, end, b"\xef\xbb\xbf"]))
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + end.join(lines) + tail


def check_dmr(data: bytes, _work: Path) -> Outcome:
    """The vectorised parser reads what a plain one reads, and refuses what it refuses."""
    expected = reference_matrix(data)
    try:
        m = parse_temperature_matrix(Path("fuzz.txt"), data)
    except FrameError:
        assert expected is None, f"refused a valid {expected.shape} matrix"
        return "refused"
    assert expected is not None, f"accepted {m.shape}, which a plain parser refuses"
    assert m.dtype.name == "float32" and np.array_equal(m, expected)
    return "accepted"


DMR = Target("dmr_text", st.one_of(dmr_text(), st.binary(max_size=2048)), check_dmr)


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


# --- alert schema and the listen sinks ----------------------------------------------------------


@st.composite
def alert_doc(draw: st.DrawFn) -> dict[str, Any]:
    payload = alert_payload(draw(st.integers(0, 10**6)))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["top", "segmenter", "region"]))
        regions = payload.get("regions")
        node = payload
        if where == "segmenter" and isinstance(payload.get("segmenter"), dict):
            node = payload["segmenter"]
        elif where == "region" and isinstance(regions, list) and regions:
            node = regions[0] if isinstance(regions[0], dict) else payload
        # An earlier mutation may have left the node empty ({}): then only a new key.
        keys = sorted(node)
        key = draw(st.one_of(st.sampled_from(keys), TEXT) if keys else TEXT)
        node[key] = draw(JSON)
    return payload


class Sinks:
    """One CSV, one SQLite and one print sink, fed every valid payload of a run."""

    def __init__(self, work: Path) -> None:
        self.csv_path, self.db_path = work / "fuzz.csv", work / "fuzz.sqlite"
        for p in (self.csv_path, self.db_path):
            p.unlink(missing_ok=True)
        self.csv, self.db, self.print = (
            CsvSink(self.csv_path),
            SqliteSink(self.db_path),
            PrintSink(),
        )
        self.stored = 0
        # What of the CSV file was read and checked already: bytes, the header, data rows.
        self.csv_read, self.csv_header, self.csv_rows = 0, False, 0

    def feed(self, payload: dict[str, Any]) -> None:
        out = io.StringIO()
        new = self.csv.add(copy.deepcopy(payload))
        assert self.db.add(copy.deepcopy(payload)) == new
        with contextlib.redirect_stdout(out):
            assert self.print.add(copy.deepcopy(payload)) == new
        self.stored += int(new)
        text = out.getvalue()
        assert text.count("\n") == int(new) and text[:-1].isprintable(), repr(text)
        rows = self._new_csv_rows()
        assert self.csv_rows == self.stored
        for row in rows:
            for cell in row:
                if cell.startswith(FORMULA_START):
                    float(cell)  # a number the sink wrote as a number, never text left live
        with contextlib.closing(sqlite3.connect(self.db_path)) as db:
            assert db.execute("SELECT COUNT(*) FROM alerts").fetchone() == (self.stored,)

    def _new_csv_rows(self) -> list[list[str]]:
        """The data rows the CSV sink wrote since the last call (it flushes whole rows)."""
        with self.csv_path.open("rb") as f:
            f.seek(self.csv_read)
            chunk = f.read()
        self.csv_read += len(chunk)
        rows = list(csv.reader(io.StringIO(chunk.decode("utf-8"), newline="")))
        if rows and not self.csv_header:
            del rows[0]
            self.csv_header = True
        self.csv_rows += len(rows)
        return rows

    def close(self) -> None:
        for sink in (self.csv, self.db, self.print):
            sink.close()


_SINKS: dict[Path, Sinks] = {}


def check_alert(payload: dict[str, Any], work: Path) -> Outcome:
    try:
        validate("alert", payload)
    except ValueError:
        return "refused"
    if work not in _SINKS:
        _SINKS[work] = Sinks(work)
    _SINKS[work].feed(payload)
    return "accepted"


def close_sinks() -> None:
    for sinks in _SINKS.values():
        sinks.close()
    _SINKS.clear()


ALERT = Target("alert_sinks", alert_doc(), check_alert)

TARGETS: dict[str, Target] = {t.name: t for t in (DMR, MANIFEST, CONFIG, ALERT)}


def workdir() -> Path:
    """A fresh folder for one run's files."""
    return Path(tempfile.mkdtemp(prefix="thermoseg-fuzz-"))


def run_fuzz(target: Target, work: Path, budget: settings = FUZZ) -> Counter[str]:
    """Feed ``target`` its strategy's inputs; a finding fails with the (shrunk) input.

    Returns how many inputs were accepted and refused; AssertionError when the traced memory
    peak while a ``check`` runs exceeds :data:`MEMORY_LIMIT_BYTES`: all that is alive then (what
    the checks keep from input to input adds up) plus the check's own transient allocations.
    Hypothesis's work between checks is not the target's and is left out: the first text draw
    of a process without its disk cache (``.hypothesis/unicode_data``) builds, and frees, a
    table of every Unicode code point, far beyond the limit.
    """
    counts: Counter[str] = Counter()
    peak = 0
    check = target.check

    def measured(value: Any, folder: Path) -> Outcome:
        nonlocal peak
        tracemalloc.reset_peak()
        try:
            return check(value, folder)
        finally:
            peak = max(peak, tracemalloc.get_traced_memory()[1])

    # Hypothesis seeds a derandomized run from the source of ``one``: an edit there changes
    # every target's inputs, so the measurement wraps the check instead.
    target = replace(target, check=measured)

    @budget
    @given(target.strategy)
    def one(value: Any) -> None:
        counts[target.check(value, work)] += 1

    tracemalloc.start()
    try:
        one()
    finally:
        tracemalloc.stop()
        close_sinks()
    assert peak < MEMORY_LIMIT_BYTES, f"{target.name}: traced peak {peak / 2**20:.0f} MiB"
    return counts
