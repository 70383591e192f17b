"""The paper's U-Net, layer by layer, with our corrected layer table.

:func:`build_unet` is the classic Ronneberger U-Net in the layout of zhixuhao's public Keras
implementation (our choice of reference; the paper does not name an implementation): an encoder
of five levels (64-128-256-512-1024 filters at ``base_filters=64``), each two 3×3 convolutions
(ReLU, ``he_normal``) followed by 2×2 max-pooling; dropout after the 512 and 1024 blocks; a
decoder of ``UpSampling2D(2)`` → 2×2 convolution → concatenation with the skip → two 3×3
convolutions; a 3×3 two-filter convolution and a 1×1 sigmoid output. The paper's input is
128×128×3.

Options after the paper's section 6.2, off by default (the default is the measured model):

* ``padding="symmetric"``: every convolution sees its input mirrored at the border (symmetric
  padding, 6.2 item 7) instead of zeros (``"same"``). Parameter counts do not change.
* ``colour_head=True``: a second output ``overlay``, 128×128×3, the input with the predicted
  mask painted in ``overlay_rgb`` (255, 255, 49) (6.2 steps 1-4). Our reading: the colour
  output is the input blended towards the colour by the mask probability, so it is
  differentiable and at a probability of 1 it is exactly the colour; the mask output stays.

Our own choices, not the paper's:

* **Rescaling inside the model.** A ``Rescaling(1/255)`` layer (no parameters) maps the
  uint8-range RGB the device produces to [0, 1], so the converted TFLite model takes exactly
  what :func:`edge.core.preprocess.to_model_input` returns.
* **Width.** ``base_filters`` scales every level (the lite device model uses 16 or less); the
  topology is unchanged.

**The table.** :data:`UNET_TABLE` is the corrected table: every row is what the built model has
at 128×128×3 and base 64 (the test checks each row). The paper's printed table is not
transcribed in this repository; :data:`PRINTED_DIFFERENCES` lists the differences between the
printed table and the corrected one that have been reported, each with who reported it, and
:data:`PAPER_PRINTED_TOTAL_PARAMS` is the total the paper prints, which differs from the built
model's (the test prints both).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    import keras

__all__ = [
    "PAPER_PRINTED_TOTAL_PARAMS",
    "PRINTED_DIFFERENCES",
    "UNET_TABLE",
    "PrintedDifference",
    "UNetRow",
    "build_unet",
    "summary_rows",
]

log = logging.getLogger(__name__)

Padding = Literal["same", "symmetric"]


class UNetRow(NamedTuple):
    """One row of the corrected layer table: layer, output shape (no batch), parameters."""

    layer: str
    output_shape: tuple[int, ...]
    params: int


class PrintedDifference(NamedTuple):
    """Where the paper's printed table differs from :data:`UNET_TABLE`, as reported."""

    layer: str
    printed: str
    corrected: str
    reported_by: str


UNET_TABLE: tuple[UNetRow, ...] = (
    UNetRow("input", (128, 128, 3), 0),
    UNetRow("conv1_1", (128, 128, 64), 1_792),
    UNetRow("conv1_2", (128, 128, 64), 36_928),
    UNetRow("pool1", (64, 64, 64), 0),
    UNetRow("conv2_1", (64, 64, 128), 73_856),
    UNetRow("conv2_2", (64, 64, 128), 147_584),
    UNetRow("pool2", (32, 32, 128), 0),
    UNetRow("conv3_1", (32, 32, 256), 295_168),
    UNetRow("conv3_2", (32, 32, 256), 590_080),
    UNetRow("pool3", (16, 16, 256), 0),
    UNetRow("conv4_1", (16, 16, 512), 1_180_160),
    UNetRow("conv4_2", (16, 16, 512), 2_359_808),
    UNetRow("drop4", (16, 16, 512), 0),
    UNetRow("pool4", (8, 8, 512), 0),
    UNetRow("conv5_1", (8, 8, 1024), 4_719_616),
    UNetRow("conv5_2", (8, 8, 1024), 9_438_208),
    UNetRow("drop5", (8, 8, 1024), 0),
    UNetRow("up6", (16, 16, 512), 2_097_664),
    UNetRow("merge6", (16, 16, 1024), 0),
    UNetRow("conv6_1", (16, 16, 512), 4_719_104),
    UNetRow("conv6_2", (16, 16, 512), 2_359_808),
    UNetRow("up7", (32, 32, 256), 524_544),
    UNetRow("merge7", (32, 32, 512), 0),
    UNetRow("conv7_1", (32, 32, 256), 1_179_904),
    UNetRow("conv7_2", (32, 32, 256), 590_080),
    UNetRow("up8", (64, 64, 128), 131_200),
    UNetRow("merge8", (64, 64, 256), 0),
    UNetRow("conv8_1", (64, 64, 128), 295_040),
    UNetRow("conv8_2", (64, 64, 128), 147_584),
    UNetRow("up9", (128, 128, 64), 32_832),
    UNetRow("merge9", (128, 128, 128), 0),
    UNetRow("conv9_1", (128, 128, 64), 73_792),
    UNetRow("conv9_2", (128, 128, 64), 36_928),
    UNetRow("conv9_3", (128, 128, 2), 1_154),
    UNetRow("conv10", (128, 128, 1), 3),
)

# Reported differences; the printed table itself is not in this repository, so neither report
# is checked here against the paper. The two sources name different rows.
PRINTED_DIFFERENCES: tuple[PrintedDifference, ...] = (
    PrintedDifference(
        "conv2_1", "12 filters at 64×64", "128 filters", "earlier version of this module"
    ),
    PrintedDifference(
        "conv3_1",
        "295,163 parameters",
        "3·3·128·256 + 256 = 295,168",
        "earlier version of this module",
    ),
    PrintedDifference("Conv2d_4", "12 filters", "(row as built)", "issue 15"),
    PrintedDifference("Dropout_2", "a different output shape", "(row as built)", "issue 15"),
)
# The total the paper prints, as quoted in issue 15; the built model at 128×128×3, base 64,
# has a different count (tests/training/test_unet.py prints both).
PAPER_PRINTED_TOTAL_PARAMS: int = 31_033_432


@cache
def _symmetric_pad_class() -> type[Any]:
    """The Keras layer that mirrors its input at the border (built on first use)."""
    import keras

    @keras.saving.register_keras_serializable(package="thermoseg")
    class SymmetricPad2D(keras.layers.Layer):
        """Pad H and W by mirroring the border pixels (``numpy.pad`` mode ``symmetric``)."""

        def __init__(self, before: int, after: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.before, self.after = before, after

        def call(self, x: Any) -> Any:
            pads = ((0, 0), (self.before, self.after), (self.before, self.after), (0, 0))
            return keras.ops.pad(x, pads, mode="symmetric")

        def compute_output_shape(self, shape: tuple[Any, ...]) -> tuple[Any, ...]:
            grow = self.before + self.after
            h, w = shape[1], shape[2]
            return (
                shape[0],
                None if h is None else h + grow,
                None if w is None else w + grow,
                shape[3],
            )

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "before": self.before, "after": self.after}

    return SymmetricPad2D


def _conv(x: Any, filters: int, kernel: int, name: str, padding: Padding) -> Any:
    """A ReLU convolution keeping the spatial size, padded with zeros or by mirroring."""
    import keras

    if padding == "symmetric":
        # Keras "same" pads (k - 1) // 2 before and the rest after; mirror the same amounts.
        before = (kernel - 1) // 2
        x = _symmetric_pad_class()(before, kernel - 1 - before, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(
        filters,
        kernel,
        activation="relu",
        padding="same" if padding == "same" else "valid",
        kernel_initializer="he_normal",
        name=name,
    )(x)


def build_unet(
    input_shape: tuple[int, int, int] = (128, 128, 3),
    base_filters: int = 64,
    num_classes: int = 1,
    dropout: float = 0.5,
    name: str = "unet",
    *,
    padding: Padding = "same",
    colour_head: bool = False,
    overlay_rgb: tuple[int, int, int] = (255, 255, 49),
) -> keras.Model:
    """The paper's U-Net; input is RGB in the uint8 range (0..255), output sigmoid probabilities.

    ``base_filters`` is the first level's width (64 in the paper); each level doubles it.
    The input side must be divisible by 16 (four poolings). ``padding`` and ``colour_head`` are
    the paper's options described in the module docstring; with ``colour_head`` the model has
    two outputs, ``[mask, overlay]`` (``overlay`` in the 0..255 range).
    """
    import keras

    if input_shape[0] % 16 or input_shape[1] % 16:
        raise ValueError(f"input_shape {input_shape}: height and width must be multiples of 16")
    if base_filters < 1:
        raise ValueError(f"base_filters must be >= 1, got {base_filters}")
    if padding not in ("same", "symmetric"):
        raise ValueError(f"padding = {padding!r}; expected 'same' or 'symmetric'")
    if colour_head and (num_classes != 1 or input_shape[2] != 3):
        raise ValueError("colour_head needs one class and an RGB (H, W, 3) input")
    f = [base_filters * 2**i for i in range(5)]
    inputs = keras.Input(shape=input_shape, name="rgb")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)

    skips = []
    for level in range(4):
        x = _conv(x, f[level], 3, f"conv{level + 1}_1", padding)
        x = _conv(x, f[level], 3, f"conv{level + 1}_2", padding)
        if level == 3:
            x = keras.layers.Dropout(dropout, name="drop4")(x)
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level + 1}")(x)
    x = _conv(x, f[4], 3, "conv5_1", padding)
    x = _conv(x, f[4], 3, "conv5_2", padding)
    x = keras.layers.Dropout(dropout, name="drop5")(x)

    for step, level in enumerate(range(3, -1, -1), start=6):
        x = keras.layers.UpSampling2D(2, name=f"upsample{step}")(x)
        x = _conv(x, f[level], 2, f"up{step}", padding)
        x = keras.layers.Concatenate(axis=3, name=f"merge{step}")([skips[level], x])
        x = _conv(x, f[level], 3, f"conv{step}_1", padding)
        x = _conv(x, f[level], 3, f"conv{step}_2", padding)
    x = _conv(x, 2 * num_classes, 3, "conv9_3", padding)
    # float32 even under a mixed-precision policy: a float16 sigmoid saturates near 0 and 1.
    mask = keras.layers.Conv2D(
        num_classes, 1, activation="sigmoid", dtype="float32", name="conv10"
    )(x)
    outputs: Any = mask
    if colour_head:
        # overlay = rgb + p · (colour - rgb): the input, painted in the colour where p = 1.
        towards = keras.layers.Rescaling(
            -1.0, offset=list(map(float, overlay_rgb)), name="to_colour"
        )
        p3 = keras.layers.Concatenate(axis=3, name="mask_rgb")([mask, mask, mask])
        paint = keras.layers.Multiply(name="paint")([p3, towards(inputs)])
        outputs = [mask, keras.layers.Add(name="overlay")([inputs, paint])]
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
