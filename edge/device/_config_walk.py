"""Walks over the config models: secret keys and relative paths.

One place for the checks every section shares, so a new section gets them without code of its
own (``inf``/``nan`` anywhere in the document are refused by :mod:`edge.core._doc_walk`): a
secret is never echoed whatever its type, and a path is read as the config file's author meant it (``~`` expanded, relative to
the file's folder, not to whatever folder the daemon happens to start in).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

__all__ = ["config_models", "resolve_paths", "secret_names"]


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _models_in(typing.get_args(annotation)[0])
    elif origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _models_in(arg)


def config_models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """``root`` and every model reachable through its fields (each once, in field order)."""
    seen: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            todo.extend(_models_in(field.annotation))
    return seen


def _is_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_is_secret(a) for a in typing.get_args(annotation))


def secret_names(root: type[BaseModel]) -> frozenset[str]:
    """Keys whose values are secrets: SecretStr/SecretBytes or kept out of repr."""
    return frozenset(
        name
        for model in config_models(root)
        for name, field in model.model_fields.items()
        if _is_secret(field.annotation) or field.repr is False
    )


def _resolve(value: Any, base: Path | None) -> Any:
    if isinstance(value, Path):
        path = value.expanduser()
        return base / path if base is not None and not path.is_absolute() else path
    if isinstance(value, BaseModel):
        return resolve_paths(value, base)
    if isinstance(value, list):
        return [_resolve(v, base) for v in value]
    return value


def resolve_paths(model: BaseModel, base: Path | None) -> Any:
    """A copy of ``model`` whose paths have ``~`` expanded and are relative to ``base``."""
    update = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        new = _resolve(value, base)
        if new is not value:
            update[name] = new
    return model.model_copy(update=update) if update else model
