"""Phantom family "a": the project's original generator, extended to the wide clinical view.

A subject is fixed by ``(seed, index)`` and, through independent random streams: its close-up
anatomy (:mod:`edge.phantom.anatomy`, the historical stream, so existing subjects keep their look),
its wide-view body (:mod:`edge.phantom.body`), skin detail (:mod:`edge.phantom.skin`), camera
(:mod:`edge.phantom.camera`), lesions and their style (:mod:`edge.phantom.lesions`), the sensor's
fixed pattern, and the per-frame noise that ``noise_seed`` replaces.

Order of rendering: anatomy + skin detail → camera optics (blur, vignetting, gradient) = the
lesion-free render; + lesion fields = the render with lesions; + sensor noise = the frame.
**Ground truth** is the shared rule: abnormal where with − without ≥ 0.5 °C.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from edge.phantom.anatomy import BreastGeometry, breast_geometry, draw_anatomy, render_anatomy
from edge.phantom.body import draw_body, render_body
from edge.phantom.camera import apply_optics, blur, draw_camera, sensor_noise
from edge.phantom.lesions import draw_lesions, render_lesion, restyle
from edge.phantom.rules import RESOLUTIONS, STAGE_CODE, check_request, truth_mask
from edge.phantom.skin import areola_field, draw_skin, texture_field, vessel_field
from edge.phantom.types import (
    Lesion,
    Phantom,
    PhantomParts,
    Resolution,
    Stage,
    SubjectLabel,
    View,
    subject_id,
)
from edge.phantom.zones import draw_zones, soft_cap, zone_field

__all__ = ["generate_a", "render_parts"]

F32 = npt.NDArray[np.float32]
_SIDE = ("right", "left")  # breast index 0 is on the image left: the patient's right
# Independent random streams per subject (10 is the stage mix in edge.phantom.rules).
_ANATOMY, _LESIONS, _FPN, _NOISE = 11, 12, 13, 14
_WIDE, _SKIN, _CAMERA, _STYLE, _ZONES = 15, 16, 17, 18, 19
_VIEW_CODE = {"closeup": 0, "wide": 1}
# Lesion size per "lepton pixel" relative to the frame width: breasts are smaller in a wide view.
_LESION_SCALE = {"closeup": 1.0, "wide": 0.75}


def _anatomy(
    seed: int, index: int, view: View, h: int, w: int
) -> tuple[F32, F32, npt.NDArray[np.uint8], tuple[BreastGeometry, ...], tuple[F32, F32], float]:
    """Lesion-free render before the camera: (°C, body alpha, breast ROI, breasts, radii, offset)."""
    skin_rng = np.random.default_rng([seed, index, _SKIN, _VIEW_CODE[view]])
    if view == "closeup":
        anatomy = draw_anatomy(np.random.default_rng([seed, index, _ANATOMY]))
        render = render_anatomy(anatomy, h, w)
        breasts: tuple[BreastGeometry, ...] = breast_geometry(anatomy, h, w)
        skin = draw_skin(skin_rng, view, (0.35, 0.75, 0.2, 0.8))
        zones = draw_zones(np.random.default_rng([seed, index, _ZONES]), anatomy)
        on_skin, offset = render.body_alpha, anatomy.offset_c
        extra = zone_field(zones, anatomy, breasts, h, w)
        celsius, alpha, roi, radii = render.celsius, render.body_alpha, render.breast, render.radii
    else:
        body = draw_body(np.random.default_rng([seed, index, _WIDE]))
        wide = render_body(body, h, w)
        breasts = wide.breasts
        skin = draw_skin(skin_rng, view, (0.2, 0.8, body.mid_x - 0.25, body.mid_x + 0.25))
        on_skin, offset = wide.skin_mask, body.skin_c - 33.0
        extra = np.zeros((h, w), np.float32)
        celsius, alpha, roi, radii = wide.celsius, wide.body_alpha, wide.breast, wide.radii
    detail = (
        extra
        + texture_field(skin, h, w)
        + vessel_field(skin, h, w)
        + areola_field(skin, breasts, h, w)
    )
    celsius = celsius + detail * on_skin
    if view == "closeup":
        celsius = soft_cap(zones, celsius, on_skin)
    return celsius, alpha, roi, breasts, radii, offset


@lru_cache(maxsize=8)
def _noise_free(
    seed: int, index: int, stage: Stage, resolution: Resolution, view: View
) -> PhantomParts:
    """The subject without sensor noise; cached so successive frames only draw fresh noise."""
    h, w = RESOLUTIONS[resolution]
    raw, alpha, roi, breasts, radii, offset = _anatomy(seed, index, view, h, w)
    camera = draw_camera(np.random.default_rng([seed, index, _CAMERA, _VIEW_CODE[view]]), view)
    without = apply_optics(camera, raw)
    alpha = blur(camera, alpha)
    lesion_rng = np.random.default_rng([seed, index, _LESIONS, STAGE_CODE[stage]])
    style_rng = np.random.default_rng([seed, index, _STYLE, STAGE_CODE[stage]])
    excess = np.zeros((h, w), np.float32)
    lesions = []
    for spec in draw_lesions(lesion_rng, stage):
        spec = restyle(spec, style_rng)
        field, radius, peak, center = render_lesion(
            spec, breasts[spec.breast], radii[spec.breast], h, w, w / 160.0 * _LESION_SCALE[view]
        )
        excess += field
        lesions.append(Lesion(_SIDE[spec.breast], center, radius, peak))  # type: ignore[arg-type]
    with_lesions = without + excess
    abnormal = truth_mask(without, with_lesions)
    label = SubjectLabel(
        subject=subject_id(seed, index, "a", view),
        stage=stage,
        lesions=tuple(lesions),
        seed=seed,
        index=index,
        resolution=resolution,
        offset_c=offset,
        family="a",
        view=view,
    )
    for array in (without, with_lesions, abnormal, roi, alpha):
        array.setflags(write=False)
    empty = np.zeros((0, 0), np.float32)
    return PhantomParts(without, with_lesions, empty, abnormal, roi, alpha, label)


def _noise(
    seed: int, index: int, resolution: Resolution, view: View, noise_seed: int | None
) -> F32:
    h, w = RESOLUTIONS[resolution]
    camera = draw_camera(np.random.default_rng([seed, index, _CAMERA, _VIEW_CODE[view]]), view)
    pattern_key = [seed, index, _FPN] + ([] if view == "closeup" else [_VIEW_CODE[view]])
    key = [seed, index, _NOISE] + ([] if noise_seed is None else [1, int(noise_seed)])
    return sensor_noise(
        camera, h, w, np.random.default_rng(pattern_key), np.random.default_rng(key)
    )


def render_parts(
    seed: int,
    index: int,
    *,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: View = "closeup",
    noise_seed: int | None = None,
) -> PhantomParts:
    """Render one family-"a" subject into its noise-free parts, ground truth and sensor noise."""
    stage = check_request(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.with_noise(_noise(seed, index, resolution, view, noise_seed))


def generate_a(
    seed: int,
    index: int,
    stage: Stage | None,
    resolution: Resolution,
    view: View,
    noise_seed: int | None,
) -> Phantom:
    """One family-"a" subject (the registry's signature)."""
    stage = check_request(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.phantom(_noise(seed, index, resolution, view, noise_seed))
