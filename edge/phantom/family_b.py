"""Phantom family "b": an independently parameterised synthetic frontal thermogram generator.

Family "b" exists to measure generalisation: models train on family "a"
(:mod:`edge.phantom.generator`) and are tested here. It shares only the value types with
family "a"; anatomy (:mod:`._b_anatomy`: a body in body units seen through a camera, with a
height field), temperatures (:mod:`._b_thermal`: named warm zones, view-factor cooling,
branching-walk vessels, body-space texture, room clutter) and lesions (:mod:`._b_lesions`) are
its own.

Views: ``closeup`` (a Lepton-style chest close-up: the breasts fill much of the frame) and
``wide`` (the DMR-IR clinical framing: neck, shoulders, arms, chest, upper abdomen). Either view
renders at either resolution (``lepton`` 160×120, ``dmr`` 640×480).

**Ground truth rule** (as family "a"): a pixel is abnormal where the lesions raise its
noise-free temperature by at least :data:`ABNORMAL_EXCESS_C` over the same subject rendered
without lesions. Lesion fields are tapered to zero at the breast outline, so the abnormal mask
lies inside the breast region; a lesion is re-placed deeper in the breast until its tapered peak
clears the threshold, so every abnormal subject has a non-empty mask. The breast region is both
breast mounds (no axillary tail), bounded below by the inframammary folds.

A subject is fixed by ``(seed, index)``; the anatomy and the room do not depend on the view,
so one subject can be seen in both framings. Sensor noise (NETD, row/column and smooth fixed
pattern) comes from its own stream, which ``noise_seed`` replaces.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import get_args

import cv2
import numpy as np
import numpy.typing as npt

from edge.errors import ConfigError
from edge.phantom._b_anatomy import CameraB, draw_body, draw_camera, render_geometry
from edge.phantom._b_lesions import draw_lesions_b, lesion_centre, lesion_field
from edge.phantom._b_thermal import draw_thermal, render_scene, skin_alpha
from edge.phantom.rules import ABNORMAL_EXCESS_C, truth_mask
from edge.phantom.types import Lesion, Phantom, PhantomParts, Resolution, Stage, SubjectLabel

__all__ = [
    "ABNORMAL_EXCESS_C",
    "RESOLUTIONS_B",
    "VIEWS",
    "generate_b",
    "render_parts_b",
    "stage_for_b",
    "subject_id_b",
]

F32 = npt.NDArray[np.float32]

RESOLUTIONS_B: dict[str, tuple[int, int]] = {"lepton": (120, 160), "dmr": (480, 640)}
VIEWS = ("closeup", "wide")
NETD_SIGMA_C = 0.05
_MIN_PEAK_C = 0.6  # a placed lesion's tapered peak must clear the truth threshold by this
_POPULATION_MEDIAN_C = 31.3
_STAGES: tuple[str, ...] = get_args(Stage)
_SIDE = ("right", "left")  # breast 0 is on the image left: the patient's right
_STREAM_STAGE, _STREAM_BODY, _STREAM_THERMAL, _STREAM_TEXTURE = 201, 202, 203, 204
_STREAM_CAMERA, _STREAM_LESIONS, _STREAM_FPN, _STREAM_NOISE = 205, 206, 207, 208


def subject_id_b(seed: int, index: int, view: str) -> str:
    """``synthb-{view}-{seed:04d}-{index:05d}``."""
    return f"synthb-{view}-{seed:04d}-{index:05d}"


def _check(seed: int, index: int, resolution: str, view: str) -> None:
    for name, value in (("seed", seed), ("index", index)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ConfigError(f"phantom family b {name}={value!r}: expected a non-negative integer")
    if resolution not in RESOLUTIONS_B:
        raise ConfigError(
            f"phantom family b resolution={resolution!r}: expected one of {', '.join(RESOLUTIONS_B)}"
        )
    if view not in VIEWS:
        raise ConfigError(f"phantom family b view={view!r}: expected one of {', '.join(VIEWS)}")


def stage_for_b(seed: int, index: int) -> Stage:
    """Half the subjects normal, the rest split evenly over initial / middle / advanced."""
    _check(seed, index, "lepton", "closeup")
    u = float(np.random.default_rng([seed, index, _STREAM_STAGE]).random())
    if u < 0.5:
        return "normal"
    return ("initial", "middle", "advanced")[min(int((u - 0.5) * 6), 2)]


def _to_pixel(camera: CameraB, u: float, v: float, h: int, w: int) -> tuple[float, float]:
    ppu = w / camera.span_u
    c, s = math.cos(camera.roll), math.sin(camera.roll)
    du, dv = (u - camera.u0) * ppu, (v - camera.v0) * ppu
    return s * du + c * dv + (h - 1) / 2.0, c * du - s * dv + (w - 1) / 2.0


def _blur(field: F32, sigma: float) -> F32:
    blurred = cv2.GaussianBlur(field, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return blurred.astype(np.float32, copy=False)


@lru_cache(maxsize=8)
def _noise_free(seed: int, index: int, stage: Stage, resolution: str, view: str) -> PhantomParts:
    h, w = RESOLUTIONS_B[resolution]
    body = draw_body(np.random.default_rng([seed, index, _STREAM_BODY]))
    thermal = draw_thermal(np.random.default_rng([seed, index, _STREAM_THERMAL]), body)
    camera = draw_camera(
        np.random.default_rng([seed, index, _STREAM_CAMERA, VIEWS.index(view)]), view, body
    )
    geom = render_geometry(body, camera, h, w)
    scene = render_scene(body, thermal, geom, np.random.default_rng([seed, index, _STREAM_TEXTURE]))
    without = _blur(scene, thermal.blur_px)
    alpha = skin_alpha(thermal, geom)
    skin = alpha > 0.5
    sides = [((rho < 1.0) & skin).astype(np.uint8) for rho in geom.rho]
    breast = (sides[0] | sides[1]).astype(np.uint8)
    ramp = max(1.5, 0.03 * geom.ppu)
    tapers = [
        np.clip((cv2.distanceTransform(m, cv2.DIST_L2, 5) - 0.5) / ramp, 0.0, 1.0).astype(
            np.float32
        )
        for m in sides
    ]
    excess = np.zeros((h, w), np.float32)
    lesions = []
    lesion_rng = np.random.default_rng([seed, index, _STREAM_LESIONS, _STAGES.index(stage)])
    for spec in draw_lesions_b(lesion_rng, stage):
        placed = None
        for side in (spec.side, 1 - spec.side):
            if not sides[side].any():
                continue
            for scale in (1.0, 0.7, 0.4, 0.0):
                centre = lesion_centre(spec, body.breasts[side], scale)
                field = _blur(lesion_field(spec, centre, geom.uu, geom.vv), thermal.blur_px)
                field *= tapers[side]
                if float(field.max()) >= _MIN_PEAK_C:
                    placed = (side, centre, field)
                    break
            if placed is not None:
                break
        if placed is None:  # breast mostly out of frame: the deepest visible breast point
            side = 0 if tapers[0].max() >= tapers[1].max() else 1
            dist = cv2.distanceTransform(sides[side], cv2.DIST_L2, 5)
            y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
            centre = (float(geom.uu[y, x]), float(geom.vv[y, x]))
            field = _blur(lesion_field(spec, centre, geom.uu, geom.vv), thermal.blur_px)
            field *= tapers[side]
            field *= np.float32(max(1.0, _MIN_PEAK_C / max(float(field.max()), 1e-6)))
            placed = (side, centre, field)
        side, centre, field = placed
        excess += field
        lesions.append(
            Lesion(
                breast=_SIDE[side],  # type: ignore[arg-type]
                center_yx=_to_pixel(camera, centre[0], centre[1], h, w),
                radius_px=spec.radius * geom.ppu,
                excess_c=float(field.max()),
            )
        )
    with_lesions = (without + excess).astype(np.float32)
    abnormal = truth_mask(without, with_lesions)
    label = SubjectLabel(
        subject=subject_id_b(seed, index, view),
        stage=stage,
        lesions=tuple(lesions),
        seed=seed,
        index=index,
        resolution=resolution,  # type: ignore[arg-type]
        offset_c=thermal.chest - 0.8 - _POPULATION_MEDIAN_C,
        family="b",
        view=view,  # type: ignore[arg-type]
    )
    for array in (without, with_lesions, abnormal, breast, alpha):
        array.setflags(write=False)
    empty = np.zeros((0, 0), np.float32)
    return PhantomParts(without, with_lesions, empty, abnormal, breast, alpha, label)


def _sensor_noise(
    seed: int, index: int, resolution: str, noise_seed: int | None
) -> npt.NDArray[np.float32]:
    """NETD gaussian noise plus the subject's fixed pattern (columns, rows, a smooth shading)."""
    h, w = RESOLUTIONS_B[resolution]
    fpn_rng = np.random.default_rng([seed, index, _STREAM_FPN])
    fixed = fpn_rng.normal(0.0, 0.025, w).astype(np.float32)[None, :]
    fixed = fixed + fpn_rng.normal(0.0, 0.015, h).astype(np.float32)[:, None]
    smooth = cv2.resize(fpn_rng.normal(0.0, 0.04, (4, 5)).astype(np.float32), (w, h))
    key = [seed, index, _STREAM_NOISE] + ([] if noise_seed is None else [1, int(noise_seed)])
    noise = np.random.default_rng(key).standard_normal((h, w), dtype=np.float32)
    noise *= np.float32(NETD_SIGMA_C)
    return (noise + fixed + smooth).astype(np.float32)


def _resolve(seed: int, index: int, stage: Stage | None, resolution: str, view: str) -> Stage:
    _check(seed, index, resolution, view)
    stage = stage_for_b(seed, index) if stage is None else stage
    if stage not in _STAGES:
        raise ConfigError(f"phantom family b stage={stage!r}: expected one of {', '.join(_STAGES)}")
    return stage


def render_parts_b(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: str = "closeup",
    noise_seed: int | None = None,
) -> PhantomParts:
    """One family-b subject as its noise-free renders, ground truth and sensor noise."""
    stage = _resolve(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.with_noise(_sensor_noise(seed, index, resolution, noise_seed))


def generate_b(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: str = "closeup",
    noise_seed: int | None = None,
) -> Phantom:
    """One family-b subject: °C with sensor noise, abnormal and breast masks, label."""
    stage = _resolve(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.phantom(_sensor_noise(seed, index, resolution, noise_seed))
