"""TFLiteSegmenter behaviour on real (tiny, converted here) models through LiteRT.

The models are untrained ``build_unet(base_filters=2)`` at 32×32: behaviour, not accuracy,
is under test (accuracy parity lives in ``tests/convert``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from edge.core.preprocess import PreprocessConfig
from edge.errors import FrameError, MissingExtraError, ModelError
from edge.io.manifest import read_manifest
from edge.segmenters import TFLiteConfig, TFLiteSegmenter, create_segmenter
from edge.segmenters.tflite import DEFAULT_MODEL, default_model_path, resolve_threads

SIZE = 32
PREPROCESS = PreprocessConfig(size=SIZE, palette="iron", t_min=27.0, t_max=37.0)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import keras

    from convert.export import export_tflite
    from edge.phantom import write_dataset
    from training.unet import build_unet

    root = tmp_path_factory.mktemp("tflite-seg")
    keras.utils.set_random_seed(3)
    run = root / "runs" / "mini"
    run.mkdir(parents=True)
    build_unet((SIZE, SIZE, 3), base_filters=2, dropout=0.0).save(run / "model.keras")
    (run / "config.json").write_text(json.dumps({"preprocess": PREPROCESS.model_dump()}))
    write_dataset(root / "calib", count=4, seed=5)
    paths = export_tflite(
        run / "model.keras", ("float32", "int8"), root / "models", calib=root / "calib"
    )
    return dict(zip(("float32", "int8"), paths, strict=True))


def _images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, SIZE, SIZE, 3), dtype=np.uint8)


@pytest.mark.parametrize("quant", ["float32", "int8"])
def test_segment_thresholds_the_dequantised_probabilities(
    models: dict[str, Path], quant: str
) -> None:
    with TFLiteSegmenter(TFLiteConfig(model=models[quant], threshold=0.3)) as seg:
        image = _images(1)[0]
        prob = seg.probabilities(image)
        mask = seg.segment(image)
    assert prob.shape == (SIZE, SIZE) and prob.dtype == np.float32
    assert prob.min() >= 0.0 and prob.max() <= 1.0
    assert mask.shape == (SIZE, SIZE) and mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, (prob > 0.3).astype(np.uint8))


def test_int8_model_output_is_dequantised_with_the_manifest_scale(models: dict[str, Path]) -> None:
    scale = read_manifest(models["int8"].with_suffix(".json")).output.scale
    with TFLiteSegmenter(TFLiteConfig(model=models["int8"])) as seg:
        prob = seg.probabilities(_images(1)[0])
    steps = prob / scale
    np.testing.assert_allclose(steps, np.rint(steps), atol=1e-3)


def test_int8_and_float32_models_agree_on_the_probability_map(models: dict[str, Path]) -> None:
    image = _images(1, seed=4)[0]
    with TFLiteSegmenter(TFLiteConfig(model=models["float32"])) as f32:
        reference = f32.probabilities(image)
    with TFLiteSegmenter(TFLiteConfig(model=models["int8"])) as i8:
        quantised = i8.probabilities(image)
    # Same network; int8 activations and the 1/256 output step bound the difference.
    assert float(np.mean(np.abs(reference - quantised))) < 0.05


def test_describe_and_expected_preprocess_come_from_the_manifest(models: dict[str, Path]) -> None:
    manifest = read_manifest(models["int8"].with_suffix(".json"))
    seg = create_segmenter(TFLiteConfig(model=models["int8"], num_threads=1))
    assert seg.describe() == {
        "segmenter": "tflite",
        "model": "mini-int8",
        "model_sha256": manifest.sha256,
        "quant": "int8",
    }
    assert seg.expected_preprocess() == PREPROCESS
    seg.close()
    seg.close()  # safe twice


def test_concurrent_threads_get_the_same_masks_as_one_thread(models: dict[str, Path]) -> None:
    images = _images(6, seed=1)
    seg = TFLiteSegmenter(TFLiteConfig(model=models["float32"], num_threads=1))
    expected = [seg.segment(im) for im in images]
    results: dict[tuple[int, int], np.ndarray] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for _ in range(3):
                for i, im in enumerate(images):
                    results[(worker, i)] = seg.segment(im)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (_, i), mask in results.items():
        np.testing.assert_array_equal(mask, expected[i])
    # Pooled: at most one per concurrent caller (4 workers; this thread was idle meanwhile).
    assert 1 <= len(seg._interpreters) <= 4
    seg.close()


def test_a_thread_that_segments_after_another_reuses_its_interpreter(
    models: dict[str, Path],
) -> None:
    # The daemon builds the segmenter in its main thread and segments in the inference thread:
    # one interpreter (its packed weights, arena and threads) must serve both.
    seg = TFLiteSegmenter(TFLiteConfig(model=models["int8"], num_threads=1))
    image = _images(1, seed=2)[0]
    expected = seg.segment(image)
    masks: list[np.ndarray] = []
    worker = threading.Thread(target=lambda: masks.append(seg.segment(image)))
    worker.start()
    worker.join()
    np.testing.assert_array_equal(masks[0], expected)
    assert len(seg._interpreters) == 1
    seg.close()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((SIZE, SIZE, 3), np.float32), "expected an RGB uint8 image, got float32"),
        (
            np.zeros((SIZE + 1, SIZE, 3), np.uint8),
            r"image shape \(33, 32, 3\); mini-float32.tflite expects \(32, 32, 3\)",
        ),
        (np.zeros((SIZE, SIZE), np.uint8), r"image shape \(32, 32\)"),
    ],
)
def test_wrong_image_raises_frame_error_naming_the_expected_shape(
    models: dict[str, Path], image: np.ndarray, message: str
) -> None:
    with (
        TFLiteSegmenter(TFLiteConfig(model=models["float32"])) as seg,
        pytest.raises(FrameError, match=message),
    ):
        seg.segment(image)


def test_segmenting_after_close_raises_model_error(models: dict[str, Path]) -> None:
    seg = TFLiteSegmenter(TFLiteConfig(model=models["float32"]))
    seg.close()
    with pytest.raises(ModelError, match="segmenter is closed"):
        seg.segment(_images(1)[0])


def test_a_file_that_is_not_a_tflite_model_raises_model_error(
    tmp_path: Path, models: dict[str, Path]
) -> None:
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"definitely not a flatbuffer" * 10)
    manifest = json.loads(models["float32"].with_suffix(".json").read_text())

    manifest["sha256"] = hashlib.sha256(bogus.read_bytes()).hexdigest()
    bogus.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=r"bogus\.tflite: LiteRT cannot load this model"):
        TFLiteSegmenter(TFLiteConfig(model=bogus))


def test_default_model_is_the_shipped_lite_int8_inside_the_package() -> None:
    import edge

    expected = Path(edge.__file__).parent / "models" / DEFAULT_MODEL
    if expected.is_file():
        assert default_model_path() == expected
    else:
        with pytest.raises(ModelError, match="shipped default model is missing"):
            default_model_path()


def test_missing_litert_raises_missing_extra_error_naming_the_edge_extra(
    monkeypatch: pytest.MonkeyPatch, models: dict[str, Path]
) -> None:
    import edge.segmenters._litert

    monkeypatch.setattr(
        edge.segmenters._litert, "INTERPRETER_MODULES", ("no_such_litert.interpreter",)
    )
    with pytest.raises(MissingExtraError, match=r"thermoseg\[edge\]"):
        TFLiteSegmenter(TFLiteConfig(model=models["float32"]))


def test_auto_threads_leave_one_of_the_allowed_cpus_to_the_pipeline(
    models: dict[str, Path],
) -> None:
    allowed = os.sched_getaffinity(0)
    assert resolve_threads(3) == 3
    assert resolve_threads("auto") == max(1, len(allowed) - 1)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        assert resolve_threads("auto") == 1  # one CPU: never zero threads
        seg = TFLiteSegmenter(TFLiteConfig(model=models["float32"]))
        assert seg.threads == 1
        seg.close()
    finally:
        os.sched_setaffinity(0, allowed)


@pytest.mark.parametrize("bad", [0, 65, "many", 1.5])
def test_thread_counts_other_than_1_to_64_or_auto_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="num_threads"):
        TFLiteConfig(num_threads=bad)  # type: ignore[arg-type]
