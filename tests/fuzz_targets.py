"""Fuzz targets shared by the property tests (tests/**/test_fuzz_*.py) and ``bench.bench_fuzz``.

The parts live by concern: :mod:`tests.fuzz_core` (the run, budget and memory bound),
:mod:`tests.fuzz_dmr`, :mod:`tests.fuzz_documents` (manifest and config) and
:mod:`tests.fuzz_sinks` (alerts); this module gathers them in :data:`TARGETS`.
"""

from __future__ import annotations

from tests.fuzz_core import FUZZ, MEMORY_LIMIT_BYTES, MIN_EACH, Outcome, Target, run_fuzz, workdir
from tests.fuzz_dmr import DMR
from tests.fuzz_documents import CONFIG, DEFAULT_TOML, MANIFEST, SEED_MANIFEST
from tests.fuzz_sinks import ALERT, close_sinks

__all__ = [
    "ALERT",
    "CONFIG",
    "DEFAULT_TOML",
    "DMR",
    "FUZZ",
    "MANIFEST",
    "MEMORY_LIMIT_BYTES",
    "MIN_EACH",
    "SEED_MANIFEST",
    "TARGETS",
    "Outcome",
    "Target",
    "close_sinks",
    "run_fuzz",
    "workdir",
]

TARGETS: dict[str, Target] = {t.name: t for t in (DMR, MANIFEST, CONFIG, ALERT)}
