"""The TFLite (LiteRT) segmenter: a converted U-Net run by the LiteRT interpreter.

The model must have its manifest beside it (same stem, ``.json``); construction refuses a model
whose manifest is missing, whose sha256 differs, or whose input/output tensors differ from the
manifest, each with a :class:`~edge.errors.ModelError` naming the file and the mismatch.

Quantised tensors are handled from the interpreter's own tensor details: the RGB image is
quantised with the input's scale/zero-point (for an int8 model, uint8 input with scale
1, so the RGB bytes go in unchanged) and the output is dequantised to a probability before the
threshold. An interpreter is not thread-safe, so each calling thread gets its own (built lazily
from the verified bytes). TensorFlow is never imported.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from edge.core.preprocess import PreprocessConfig
from edge.errors import FrameError, ModelError
from edge.io.manifest import ModelManifest, TensorInfo, check_tensor, load_verified
from edge.segmenters._litert import make_interpreter
from edge.segmenters.base import Segmenter

__all__ = [
    "DEFAULT_MODEL",
    "TFLiteConfig",
    "TFLiteSegmenter",
    "default_model_path",
    "resolve_threads",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "lite-int8.tflite"


class TFLiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["tflite"] = "tflite"
    model: Path | None = Field(None, description="path to a .tflite file; None = shipped default")
    num_threads: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = Field(
        "auto",
        description="interpreter threads; 'auto': the CPUs this process may use less one, "
        "left to capture, analysis and MQTT (at least 1)",
    )
    threshold: float = Field(
        0.5, gt=0.0, lt=1.0, description="probability above which a pixel is abnormal"
    )


def resolve_threads(num_threads: int | Literal["auto"]) -> int:
    """The interpreter thread count for ``num_threads`` on this machine.

    "auto" leaves one CPU (of those this process may run on: taskset and cgroup pinning count)
    to the Python side of the pipeline: on two cores, two LiteRT threads and the capture,
    analysis and MQTT threads fight for the same two CPUs.
    """
    if num_threads != "auto":
        return num_threads
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every CPU counts
    cpus = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return max(1, cpus - 1)


def default_model_path() -> Path:
    """The shipped default model (``edge/models/`` + :data:`DEFAULT_MODEL`) inside the installed package."""
    path = Path(str(resources.files("edge").joinpath("models", DEFAULT_MODEL)))
    if not path.is_file():
        raise ModelError(
            f"{path}: the shipped default model is missing from this installation; "
            f"pass --model (or segmenter.model) with a converted .tflite file"
        )
    return path


def _quantize(image: npt.NDArray[np.uint8], spec: TensorInfo) -> np.ndarray:
    dtype = np.dtype(spec.dtype)
    if dtype.kind == "f":
        return image.astype(dtype)
    if dtype == np.uint8 and spec.scale == 1.0 and spec.zero_point == 0:
        return image  # identity quantisation (an int8 model): the bytes go in as they are
    if spec.scale == 0.0:
        raise ModelError(f"input tensor {spec.name} is {spec.dtype} but has no quantisation scale")
    q = np.rint(image.astype(np.float32) / np.float32(spec.scale)) + spec.zero_point
    info = np.iinfo(dtype)
    return np.clip(q, info.min, info.max).astype(dtype)


def _dequantize(raw: np.ndarray, spec: TensorInfo) -> npt.NDArray[np.float32]:
    if raw.dtype.kind == "f":
        return raw.astype(np.float32, copy=False)
    return (raw.astype(np.float32) - np.float32(spec.zero_point)) * np.float32(spec.scale)


class TFLiteSegmenter(Segmenter):
    """U-Net probabilities from a ``.tflite`` model, thresholded to a 0/1 mask."""

    type = "tflite"
    config_class = TFLiteConfig

    def __init__(self, config: TFLiteConfig) -> None:
        self.config = config
        self.threads = resolve_threads(config.num_threads)
        self.model_path = config.model if config.model is not None else default_model_path()
        self.manifest: ModelManifest
        self._content: bytes | None
        self.manifest, self._content = load_verified(self.model_path)
        # Interpreters are pooled, not kept per thread: a LiteRT interpreter serves one call at
        # a time, and each holds its own packed weights, arena and thread pool (megabytes), so
        # the daemon's inference thread reuses the one made here instead of making a second.
        self._lock = threading.Lock()
        self._interpreters: list[Any] = []  # every interpreter made (closed together)
        self._idle: list[Any] = []  # those no call is using now
        interpreter = self._acquire()  # the first one validates the tensors
        self._release(interpreter)
        inputs = interpreter.get_input_details()
        outputs = interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError(
                f"{self.model_path}: expected one input and one output tensor, "
                f"got {len(inputs)} and {len(outputs)}"
            )
        check_tensor(self.manifest.input, inputs[0], "input", self.model_path)
        check_tensor(self.manifest.output, outputs[0], "output", self.model_path)
        self._in_index = int(inputs[0]["index"])
        self._out_index = int(outputs[0]["index"])
        shape = self.manifest.input.shape
        if len(shape) != 4 or shape[0] != 1 or shape[3] != 3 or shape[1] != shape[2]:
            raise ModelError(
                f"{self.model_path}: input shape {shape}; expected [1, S, S, 3] (one RGB image)"
            )
        self.size = shape[1]
        if self.manifest.preprocess.size != self.size:
            raise ModelError(
                f"{self.model_path}: manifest preprocess.size {self.manifest.preprocess.size} "
                f"differs from the input side {self.size}"
            )
        log.info(
            "tflite model %s (%s, sha256 %s…), %d thread(s)",
            self.model_path.name,
            self.manifest.quant,
            self.manifest.sha256[:12],
            self.threads,
        )

    def _acquire(self) -> Any:
        """An idle interpreter, or a new one when every one is busy (concurrent callers)."""
        with self._lock:
            content = self._content
            if content is None:
                raise ModelError(f"{self.model_path}: segmenter is closed")
            if self._idle:
                return self._idle.pop()
        interpreter = make_interpreter(content, self.threads, source=str(self.model_path))
        with self._lock:
            self._interpreters.append(interpreter)
        return interpreter

    def _release(self, interpreter: Any) -> None:
        with self._lock:
            if self._content is not None:  # not closed meanwhile
                self._idle.append(interpreter)

    def probabilities(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """RGB uint8 (S, S, 3) → the model's probability map, float32 (S, S) in 0..1."""
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
            got = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
            raise FrameError(f"tflite segmenter: expected an RGB uint8 image, got {got}")
        if image.shape != (self.size, self.size, 3):
            raise FrameError(
                f"tflite segmenter: image shape {image.shape}; {self.model_path.name} expects "
                f"({self.size}, {self.size}, 3) from edge.core.preprocess.to_model_input"
            )
        interpreter = self._acquire()
        try:
            interpreter.set_tensor(self._in_index, _quantize(image, self.manifest.input)[None])
            interpreter.invoke()
            raw = interpreter.get_tensor(self._out_index)  # a copy: the interpreter may go back
        finally:
            self._release(interpreter)
        return _dequantize(raw, self.manifest.output).reshape(self.size, self.size)

    def segment(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """RGB uint8 (S, S, 3) → mask uint8 (S, S): 1 where probability > threshold."""
        return (self.probabilities(image) > self.config.threshold).astype(np.uint8)

    def describe(self) -> dict[str, Any]:
        return {
            "segmenter": self.type,
            "model": self.manifest.name,
            "model_sha256": self.manifest.sha256,
            "quant": self.manifest.quant,
        }

    def expected_preprocess(self) -> PreprocessConfig:
        return self.manifest.preprocess

    def close(self) -> None:
        with self._lock:
            self._interpreters.clear()
            self._idle.clear()
            self._content = None
