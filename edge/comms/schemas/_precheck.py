"""A quick check that a payload is certainly valid against a schema, so jsonschema need not walk it.

jsonschema's generic walk costs far more than the payload's own size warrants on every alert.
:func:`compile_check` turns a schema into nested closures that answer True only when every
keyword surely holds under Draft 2020-12's rules, and False whenever they cannot say (a type
jsonschema would still accept, such as ``1.0`` for an integer, or a keyword they do not know).
False is never a verdict: the caller then asks jsonschema, which stays the one judge of what
is invalid and writes the error. A payload that passes here is one jsonschema accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["Check", "compile_check"]

Check = Callable[[Any], bool]

# Keywords that never constrain an instance.
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description"})
_TYPE_CHECKER = Draft202012Validator.TYPE_CHECKER


def _never(_: Any) -> bool:
    return False


# The Python types that surely are each JSON type (narrower than jsonschema's: a float 1.0 is an
# integer there, a float subclass a number).
_SURE_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "object": (dict,),
    "array": (list,),
}


def _type(spec: Any) -> Check:
    kinds = (spec,) if isinstance(spec, str) else tuple(spec)
    allowed = frozenset(t for k in kinds for t in _SURE_TYPES.get(k, ()))
    return lambda v: type(v) in allowed


def _literal(options: list[Any]) -> Check | None:
    """``enum``/``const`` of strings and null: plain comparison is jsonschema's ``equal``."""
    if not all(o is None or type(o) is str for o in options):
        return None
    strings = frozenset(o for o in options if o is not None)
    null = None in options
    return lambda v: (type(v) is str and v in strings) or (null and v is None)


def _bound(limit: Any, above: bool) -> Check | None:
    if type(limit) not in (int, float):
        return None

    def check(v: Any) -> bool:
        if type(v) is int or type(v) is float:  # a NaN fails both comparisons: unsure
            return bool(v >= limit) if above else bool(v <= limit)
        # jsonschema bounds every number (a float subclass too) and skips other types.
        return not _TYPE_CHECKER.is_type(v, "number")

    return check


def _object(schema: dict[str, Any], sub: Callable[[Any], Check]) -> list[Check]:
    props = {k: sub(s) for k, s in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    # Properties not named in ``properties`` meet ``additionalProperties``: any (true), none
    # (false), or a schema.
    other: Check | None = None if extra is True else sub(extra)

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return not _TYPE_CHECKER.is_type(v, "object")
        for key in required:
            if key not in v:
                return False
        for key, item in v.items():
            named = props.get(key)
            if named is not None:
                if not named(item):
                    return False
            elif other is not None and not other(item):
                return False
        return True

    return [check]


def _array(schema: dict[str, Any], sub: Callable[[Any], Check]) -> list[Check]:
    items = sub(schema["items"]) if "items" in schema else None
    lo = schema.get("minItems", 0)
    hi = schema.get("maxItems")

    def check(v: Any) -> bool:
        if type(v) is not list:
            return not _TYPE_CHECKER.is_type(v, "array")
        if len(v) < lo or (hi is not None and len(v) > hi):
            return False
        if items is not None:
            for item in v:
                if not items(item):
                    return False
        return True

    return [check]


def _string(schema: dict[str, Any]) -> list[Check]:
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
    lo = schema.get("minLength", 0)
    hi = schema.get("maxLength")

    def check(v: Any) -> bool:
        if type(v) is not str:
            return not _TYPE_CHECKER.is_type(v, "string")
        if len(v) < lo or (hi is not None and len(v) > hi):
            return False
        return pattern is None or pattern.search(v) is not None

    return [check]


def _one_of(branches: list[Any], sub: Callable[[Any], Check]) -> Check | None:
    """``oneOf`` whose branches each declare a ``type``: the branch of the value's type must
    surely hold and every other branch surely fails on its type (jsonschema's type test)."""
    if not all(isinstance(b, dict) and "type" in b for b in branches):
        return None
    compiled = [
        (sub(b), (b["type"],) if isinstance(b["type"], str) else tuple(b["type"])) for b in branches
    ]

    def check(v: Any) -> bool:
        passed = 0
        for sub, kinds in compiled:
            if any(_TYPE_CHECKER.is_type(v, k) for k in kinds):
                if not sub(v):
                    return False
                passed += 1
        return passed == 1

    return check


_OBJECT = frozenset({"properties", "required", "additionalProperties"})
_ARRAY = frozenset({"items", "minItems", "maxItems"})
_STRING = frozenset({"pattern", "minLength", "maxLength"})
_KNOWN = (
    _OBJECT | _ARRAY | _STRING | {"$ref", "type", "const", "enum", "minimum", "maximum", "oneOf"}
)


def compile_check(schema: Any, root: dict[str, Any] | None = None) -> Check:
    """The sure-validity check of ``schema`` (``root`` resolves ``#/$defs/...`` references)."""
    return _compile(schema, schema if root is None else root, ())


def _compile(schema: Any, root: dict[str, Any], refs: tuple[str, ...]) -> Check:
    if schema is True:
        return lambda v: True
    if not isinstance(schema, dict) or (schema is not root and "$id" in schema):
        return _never  # False, or a nested resource whose references resolve elsewhere
    keys = set(schema) - _ANNOTATIONS
    if keys - _KNOWN:
        return _never  # a keyword this check does not know: jsonschema decides
    checks: list[Check] = []

    def sub(subschema: Any) -> Check:
        return _compile(subschema, root, refs)

    if "$ref" in keys:
        ref = schema["$ref"]
        if not (isinstance(ref, str) and ref.startswith("#/$defs/")) or ref in refs:
            return _never  # not a plain local definition, or a recursive one
        name = ref[len("#/$defs/") :]
        target = root.get("$defs", {}).get(name)
        if target is None or any(c in name for c in "/~%"):
            return _never
        checks.append(_compile(target, root, (*refs, ref)))
    if "type" in keys:
        checks.append(_type(schema["type"]))
    for word in ("const", "enum"):
        if word in keys:
            literal = _literal([schema[word]] if word == "const" else list(schema[word]))
            if literal is None:
                return _never
            checks.append(literal)
    if "minimum" in keys or "maximum" in keys:
        for word, above in (("minimum", True), ("maximum", False)):
            if word in keys:
                bound = _bound(schema[word], above)
                if bound is None:
                    return _never
                checks.append(bound)
    if keys & _OBJECT:
        checks += _object(schema, sub)
    if keys & _ARRAY:
        checks += _array(schema, sub)
    if keys & _STRING:
        checks += _string(schema)
    if "oneOf" in keys:
        one_of = _one_of(schema["oneOf"], sub)
        if one_of is None:
            return _never
        checks.append(one_of)
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    every = tuple(checks)

    return lambda v: all(c(v) for c in every)
