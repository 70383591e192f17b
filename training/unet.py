"""The paper's U-Net, layer by layer, and its parameter table as published.

:func:`build_unet` is the classic Ronneberger U-Net as popularised by zhixuhao's Keras
implementation, which the paper follows: an encoder of five levels (64-128-256-512-1024 filters
at ``base_filters=64``), each two 3×3 convolutions (ReLU, ``he_normal``, ``same`` padding)
followed by 2×2 max-pooling; dropout after the 512 and 1024 blocks; a decoder of
``UpSampling2D(2)`` → 2×2 convolution → concatenation with the skip → two 3×3 convolutions;
a 3×3 two-filter convolution and a 1×1 sigmoid output.

Differences from the paper's table (:data:`PAPER_TABLE`), and why:

* **Input.** The paper feeds 128×128×3 RGB (palette images); zhixuhao's reference model takes
  256×256×1 grey (31,031,685 parameters). Our first convolution sees 3 channels, so our total is
  31,032,837 at ``base_filters=64`` (+1,152 weights in ``conv1_1``); the spatial size changes no
  parameter count.
* **Rescaling inside the model.** A ``Rescaling(1/255)`` layer (no parameters) maps the
  uint8-range RGB the device produces to [0, 1], so the converted TFLite model takes exactly what
  :func:`edge.core.preprocess.to_model_input` returns. The paper scaled outside the model.
* **Typos in the paper's table.** The row for the second level lists 12 filters at 64×64
  (128 by the architecture and by its own parameter count) and ``conv3_1`` lists 295,163
  parameters (3·3·128·256 + 256 = 295,168). :data:`PAPER_TABLE` keeps the published values and
  flags those rows; every other row is our reconstruction at the paper's 128×128×3 input.
* **Width.** ``base_filters`` scales every level (the lite device model uses 16 or less); the
  topology is unchanged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import keras

__all__ = ["PAPER_TABLE", "PAPER_TOTAL_PARAMS", "PaperRow", "build_unet", "summary_rows"]

log = logging.getLogger(__name__)


class PaperRow(NamedTuple):
    """One row of the paper's layer table."""

    layer: str
    output_shape: tuple[int, ...]
    params: int
    typo: str = ""


PAPER_TABLE: tuple[PaperRow, ...] = (
    PaperRow("input", (128, 128, 3), 0),
    PaperRow("conv1_1", (128, 128, 64), 1_792),
    PaperRow("conv1_2", (128, 128, 64), 36_928),
    PaperRow("pool1", (64, 64, 64), 0),
    PaperRow("conv2_1", (64, 64, 12), 73_856, "12 filters printed; 128 by architecture and params"),
    PaperRow("conv2_2", (64, 64, 128), 147_584),
    PaperRow("pool2", (32, 32, 128), 0),
    PaperRow("conv3_1", (32, 32, 256), 295_163, "295163 printed; 3*3*128*256+256 = 295168"),
    PaperRow("conv3_2", (32, 32, 256), 590_080),
    PaperRow("pool3", (16, 16, 256), 0),
    PaperRow("conv4_1", (16, 16, 512), 1_180_160),
    PaperRow("conv4_2", (16, 16, 512), 2_359_808),
    PaperRow("drop4", (16, 16, 512), 0),
    PaperRow("pool4", (8, 8, 512), 0),
    PaperRow("conv5_1", (8, 8, 1024), 4_719_616),
    PaperRow("conv5_2", (8, 8, 1024), 9_438_208),
    PaperRow("drop5", (8, 8, 1024), 0),
    PaperRow("up6", (16, 16, 512), 2_097_664),
    PaperRow("merge6", (16, 16, 1024), 0),
    PaperRow("conv6_1", (16, 16, 512), 4_719_104),
    PaperRow("conv6_2", (16, 16, 512), 2_359_808),
    PaperRow("up7", (32, 32, 256), 524_544),
    PaperRow("merge7", (32, 32, 512), 0),
    PaperRow("conv7_1", (32, 32, 256), 1_179_904),
    PaperRow("conv7_2", (32, 32, 256), 590_080),
    PaperRow("up8", (64, 64, 128), 131_200),
    PaperRow("merge8", (64, 64, 256), 0),
    PaperRow("conv8_1", (64, 64, 128), 295_040),
    PaperRow("conv8_2", (64, 64, 128), 147_584),
    PaperRow("up9", (128, 128, 64), 32_832),
    PaperRow("merge9", (128, 128, 128), 0),
    PaperRow("conv9_1", (128, 128, 64), 73_792),
    PaperRow("conv9_2", (128, 128, 64), 36_928),
    PaperRow("conv9_3", (128, 128, 2), 1_154),
    PaperRow("conv10", (128, 128, 1), 3),
)
# The published rows sum to 5 less than the architecture because of the conv3_1 typo.
PAPER_TOTAL_PARAMS: int = sum(r.params for r in PAPER_TABLE)


def _conv(filters: int, kernel: int, name: str) -> keras.layers.Conv2D:
    import keras

    return keras.layers.Conv2D(
        filters,
        kernel,
        activation="relu",
        padding="same",
        kernel_initializer="he_normal",
        name=name,
    )


def build_unet(
    input_shape: tuple[int, int, int] = (128, 128, 3),
    base_filters: int = 64,
    num_classes: int = 1,
    dropout: float = 0.5,
    name: str = "unet",
) -> keras.Model:
    """The paper's U-Net; input is RGB in the uint8 range (0..255), output sigmoid probabilities.

    ``base_filters`` is the first level's width (64 in the paper); each level doubles it.
    The input side must be divisible by 16 (four poolings).
    """
    import keras

    if input_shape[0] % 16 or input_shape[1] % 16:
        raise ValueError(f"input_shape {input_shape}: height and width must be multiples of 16")
    if base_filters < 1:
        raise ValueError(f"base_filters must be >= 1, got {base_filters}")
    f = [base_filters * 2**i for i in range(5)]
    inputs = keras.Input(shape=input_shape, name="rgb")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)

    skips = []
    for level in range(4):
        x = _conv(f[level], 3, f"conv{level + 1}_1")(x)
        x = _conv(f[level], 3, f"conv{level + 1}_2")(x)
        if level == 3:
            x = keras.layers.Dropout(dropout, name="drop4")(x)
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level + 1}")(x)
    x = _conv(f[4], 3, "conv5_1")(x)
    x = _conv(f[4], 3, "conv5_2")(x)
    x = keras.layers.Dropout(dropout, name="drop5")(x)

    for step, level in enumerate(range(3, -1, -1), start=6):
        x = keras.layers.UpSampling2D(2, name=f"upsample{step}")(x)
        x = _conv(f[level], 2, f"up{step}")(x)
        x = keras.layers.Concatenate(axis=3, name=f"merge{step}")([skips[level], x])
        x = _conv(f[level], 3, f"conv{step}_1")(x)
        x = _conv(f[level], 3, f"conv{step}_2")(x)
    x = _conv(2 * num_classes, 3, "conv9_3")(x)
    # float32 even under a mixed-precision policy: a float16 sigmoid saturates near 0 and 1.
    outputs = keras.layers.Conv2D(
        num_classes, 1, activation="sigmoid", dtype="float32", name="conv10"
    )(x)
    model = keras.Model(inputs, outputs, name=name)
    log.debug("built %s: base %d, %d parameters", name, base_filters, model.count_params())
    return model


def summary_rows(model: keras.Model) -> list[tuple[str, tuple[int, ...], int]]:
    """(layer name, output shape without batch, parameters) for every layer of ``model``."""
    rows = []
    for layer in model.layers:
        shape = tuple(int(d) for d in layer.output.shape[1:])
        rows.append((layer.name, shape, int(layer.count_params())))
    return rows
