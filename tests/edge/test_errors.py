"""The one-line rendering of pydantic errors that every config loader and option shares."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from edge.errors import validation_problems


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate: float


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inner: _Inner


def test_each_problem_is_named_by_its_key_path_and_joined_on_one_line() -> None:
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate({"inner": {"rate": "fast", "typo": 1}})
    text = validation_problems(info.value)
    assert "inner.rate: Input should be a valid number" in text
    assert "inner.typo: Extra inputs are not permitted" in text
    assert text.count("; ") == 1 and "\n" not in text and "https://" not in text


def test_a_problem_with_the_whole_document_is_named_root() -> None:
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate([1, 2])
    assert validation_problems(info.value).startswith("<root>: ")


def test_the_value_at_fault_can_be_named_beside_its_key() -> None:
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate({"inner": {"rate": "fast"}})
    assert validation_problems(info.value, with_input=True) == (
        "inner.rate='fast': Input should be a valid number, unable to parse string as a number"
    )
