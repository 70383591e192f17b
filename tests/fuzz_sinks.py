"""The alert target: hostile alerts through the schema, the valid ones into every listen sink.

An accepted alert is stored by the CSV, SQLite and print sinks alike: a CSV cell never starts a
formula, a terminal line holds no control character, every stored row is there.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from edge.cli.listen import CsvSink, PrintSink, SqliteSink
from edge.comms.schemas import validate
from tests.edge.mqtt_helpers import alert_payload
from tests.fuzz_core import JSON, TEXT, Outcome, Target

__all__ = ["ALERT", "Sinks", "alert_doc", "check_alert", "close_sinks"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


ALERT = Target("alert_sinks", alert_doc(), check_alert, close_sinks)
