"""The contract every backend in ``edge.segmenters.SEGMENTERS`` keeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from pydantic import BaseModel

from edge.core.preprocess import colorize
from edge.errors import ModelError
from edge.segmenters import SEGMENTERS, CodebookConfig, Segmenter, TFLiteConfig, create_segmenter


def _tflite_config() -> BaseModel:
    from edge.segmenters.tflite import default_model_path

    try:
        default_model_path()
    except ModelError as exc:
        pytest.skip(f"no shipped default .tflite model in this checkout ({exc})")
    return TFLiteConfig()


# type -> a factory of a working config. A new backend must add itself here: the
# test_every_registered_backend_has_a_config_factory test fails until it does.
CONFIG_FACTORIES: dict[str, Callable[[], BaseModel]] = {
    "codebook": CodebookConfig,
    "tflite": _tflite_config,
}


def thermogram() -> np.ndarray:
    """A jet-coloured 128×128 body with a warm spot, as edge.core.preprocess makes it."""
    yy, xx = np.mgrid[:128, :128]
    celsius = np.full((128, 128), 22.0, dtype=np.float32)
    body = (xx - 64) ** 2 / 50**2 + (yy - 70) ** 2 / 45**2 < 1
    celsius[body] = 33.0
    celsius += (3.0 * np.exp(-((xx - 44) ** 2 + (yy - 70) ** 2) / 50.0) * body).astype(np.float32)
    return colorize(celsius, "jet", 28.0, 38.0)


@pytest.fixture(params=sorted(SEGMENTERS))
def segmenter(request: pytest.FixtureRequest) -> Iterator[Segmenter]:
    name = request.param
    if name not in CONFIG_FACTORIES:
        pytest.fail(f"segmenter {name!r} has no entry in CONFIG_FACTORIES of this test")
    seg = create_segmenter(CONFIG_FACTORIES[name]())  # type: ignore[arg-type]
    try:
        yield seg
    finally:
        seg.close()


def test_every_registered_backend_has_a_config_factory() -> None:
    assert set(SEGMENTERS) <= set(CONFIG_FACTORIES)


def test_the_registry_maps_each_type_to_a_class_of_that_type() -> None:
    for name, cls in SEGMENTERS.items():
        assert cls.type == name
        assert cls.config_class.model_fields["type"].default == name


def test_segment_returns_a_uint8_0_1_mask_of_the_input_size(segmenter: Segmenter) -> None:
    mask = segmenter.segment(thermogram())
    assert mask.dtype == np.uint8 and mask.shape == (128, 128)
    assert set(np.unique(mask).tolist()) <= {0, 1}


def test_segment_is_deterministic(segmenter: Segmenter) -> None:
    image = thermogram()
    first = segmenter.segment(image)
    np.testing.assert_array_equal(first, segmenter.segment(image.copy()))
    np.testing.assert_array_equal(image, thermogram())  # the input is not modified


def test_a_blank_blue_background_gives_an_empty_mask(segmenter: Segmenter) -> None:
    blank = colorize(np.full((128, 128), 22.0, dtype=np.float32), "jet", 28.0, 38.0)
    assert not segmenter.segment(blank).any()


def test_describe_names_the_segmenter(segmenter: Segmenter) -> None:
    info = segmenter.describe()
    assert info["segmenter"] == segmenter.type


def test_close_twice_is_safe(segmenter: Segmenter) -> None:
    segmenter.close()
    segmenter.close()


def test_works_as_a_context_manager(segmenter: Segmenter) -> None:
    with segmenter as seg:
        assert seg is segmenter
        seg.segment(thermogram())
