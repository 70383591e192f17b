"""Run TFLite models through the edge wrapper with TensorFlow made unimportable.

Usage: python no_tf_segment.py OUT.npz INPUTS.npy MODEL.tflite...
Writes, per model stem, ``<stem>/prob`` (N, S, S) float32, ``<stem>/mask`` (N, S, S) uint8 and
``<stem>/describe`` (JSON), and exits 0 only if neither tensorflow nor keras got imported.
"""

from __future__ import annotations

import importlib.abc
import json
import sys

BLOCKED = ("tensorflow", "keras", "tf_keras")


class _BlockTensorFlow(importlib.abc.MetaPathFinder):
    """Acts as if TensorFlow were not installed, as on the device."""

    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        if fullname.split(".")[0] in BLOCKED:
            raise ImportError(f"{fullname} is not installed on the device")
        return None


sys.meta_path.insert(0, _BlockTensorFlow())

import numpy as np  # noqa: E402

from edge.segmenters import TFLiteConfig, create_segmenter  # noqa: E402


def main(out: str, inputs: str, *models: str) -> int:
    images = np.load(inputs)
    results: dict[str, np.ndarray] = {}
    for model in models:
        seg = create_segmenter(TFLiteConfig(model=model, num_threads=1))
        stem = seg.describe()["model"]
        results[f"{stem}/prob"] = np.stack([seg.probabilities(im) for im in images])
        results[f"{stem}/mask"] = np.stack([seg.segment(im) for im in images])
        results[f"{stem}/describe"] = np.array(json.dumps(seg.describe()))
        seg.close()
    np.savez(out, **results)
    leaked = [name for name in sys.modules if name.split(".")[0] in BLOCKED]
    if leaked:
        print(f"imported on the device path: {leaked}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
