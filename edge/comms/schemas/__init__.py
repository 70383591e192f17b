"""JSON Schemas of everything thermoseg publishes over MQTT, and a validator.

The schema files live in ``edge/schemas/<kind>.schema.json`` (shipped as package data) so that
dashboards and other consumers can validate messages without Python.

>>> validate("status", {"schema": "thermoseg.status/1", ...})   # raises ValueError naming the field
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator

from edge.comms.schemas._precheck import Check, compile_check

__all__ = ["SCHEMA_DIR", "SchemaKind", "load_schema", "validate"]

log = logging.getLogger(__name__)

SchemaKind = Literal["alert", "status", "stats"]
SCHEMA_DIR = Path(__file__).parent
_KINDS: tuple[str, ...] = ("alert", "status", "stats")


@functools.cache
def load_schema(kind: SchemaKind) -> dict[str, Any]:
    """The parsed JSON Schema of ``kind`` (alert, status or stats)."""
    if kind not in _KINDS:
        raise ValueError(f"unknown schema kind {kind!r}; expected one of {', '.join(_KINDS)}")
    path = SCHEMA_DIR / f"{kind}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@functools.cache
def _validator(kind: SchemaKind) -> Draft202012Validator:
    return Draft202012Validator(load_schema(kind))


@functools.cache
def _surely_valid(kind: SchemaKind) -> Check:
    return compile_check(load_schema(kind))


def _where(path: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "(top level)"


def validate(kind: SchemaKind, payload: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the field (e.g. ``regions[0].area_px``) when invalid."""
    if _surely_valid(kind)(payload):
        return  # jsonschema would find nothing (edge.comms.schemas._precheck); it judges the rest
    errors = sorted(_validator(kind).iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ValueError(
            f"{kind} payload field {_where(first.absolute_path)}: {first.message}; "
            f"expected what {kind}.schema.json says at {_where(first.absolute_schema_path)}{more}"
        )
