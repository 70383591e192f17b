"""Phantom family "d": a fourth, independently written generator, for training beside "a" and "b".

Family "d" widens what a model is built with; family "c" stays the never-seen test. It shares
with the others the value types (:mod:`edge.phantom.types`) and the shared rules
(:mod:`edge.phantom.rules`: sizes, views, the stage mix, the truth threshold), nothing else:

* anatomy (:mod:`._d_body`): a scanline body (a spline contour of half-widths per row, a bent
  midline), arms as tapered ribbons at their own angle (raised or hanging), breasts as deformed
  ellipsoids whose surface slope, with the trunk's elliptic cross-section, gives each pixel
  its viewing angle;
* temperatures (:mod:`._d_thermal`): steady heat flow from the core through the tissue to the
  room, every anatomical effect a factor on the Biot number (thin, fatty, contact, perfused
  tissue, convection by height), directional emissivity at grazing angles; perfusion along
  branching arterial trees with Murray's-law radii (:mod:`._d_vessels`); skin texture and
  mottling as sparse anisotropic Gabor noise (:mod:`._d_gabor`);
* lesions (:mod:`._d_lesions`): anisotropic nodules with a feeding vessel, plateau-like warming
  of a quadrant, a crescent at the areola, an elongated warming along the fold.

**Ground truth** (the shared rule): abnormal where the lesions raise the noise-free temperature
by at least :data:`ABNORMAL_EXCESS_C` over the same subject rendered without them. Each lesion
field is blurred by the optics, then tapered to zero over the last ~0.8 cm inside its breast's
ROI, so the mask lies inside the ROI; a lesion whose tapered peak is under 0.8 °C is pulled
toward the breast's centre (or, for breasts mostly out of frame, put at the deepest visible
breast point), so every abnormal subject has a non-empty mask. ROI truth: both ellipsoids on
visible skin, not behind an arm; the ellipsoid has no axillary tail and ends at the fold.

A subject is fixed by ``(seed, index)``: body, temperatures, vessels, skin pattern and the
lesions drawn do not depend on the view or the resolution; where a lesion lands may (it is
moved toward what the view shows of its breast, see above). Sensor noise (NETD; fixed column, row and smooth
patterns drawn per subject) has its own stream; ``noise_seed`` replaces only the NETD draw.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._d_body import BodyD, GeomD, ViewD, draw_body, draw_view, geometry, to_pixel
from edge.phantom._d_gabor import draw_channels, gabor_noise
from edge.phantom._d_lesions import LesionD, draw_lesions_d, lesion_centre, lesion_field
from edge.phantom._d_thermal import ThermalD, draw_thermal, optics, render
from edge.phantom._d_vessels import grow_trees, perfusion
from edge.phantom.rules import RESOLUTIONS, STAGE_CODE, check_request, truth_mask
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

__all__ = ["MIN_PEAK_C", "generate_d", "render_parts_d"]

F32 = npt.NDArray[np.float32]
MIN_PEAK_C = 0.8  # every placed lesion's tapered peak reaches this
_SIDE = ("right", "left")  # breast 0 is on the image left: the patient's right
_VIEW_CODE = {"closeup": 0, "wide": 1}
_BODY, _HEAT, _SKIN, _VIEW, _LESIONS, _FPN, _NOISE, _TREE = 401, 402, 403, 404, 405, 406, 407, 408
_TAPER_CM = 0.8


def _rois(g: GeomD, alpha: F32) -> list[npt.NDArray[np.uint8]]:
    """Each breast's ROI: its ellipsoid, on skin, not behind an arm; the two never touch.

    A hanging arm's edge can cut a few pixels off a breast: only the largest piece counts."""
    visible = (alpha > 0.5) & (g.arm_in <= 0.0)
    right = (g.rho[0] < 1.0) & visible
    left = (g.rho[1] < 1.0) & visible & ~right
    return [_largest(right.astype(np.uint8)), _largest(left.astype(np.uint8))]


def _largest(mask: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 2:
        return mask
    keep = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return (labels == keep).astype(np.uint8)


def _field(spec: LesionD, side: int, body: BodyD, g: GeomD, centre: tuple[float, float]) -> F32:
    b = body.breasts[side]
    return lesion_field(spec, side, b, centre, g.x, g.y, g.p[side], g.q[side], g.rho[side])


def _place(
    spec: LesionD, body: BodyD, heat: ThermalD, g: GeomD, tapers: list[F32]
) -> tuple[int, tuple[float, float], F32]:
    """(side, centre cm, tapered field) for one lesion, its peak at least :data:`MIN_PEAK_C`."""
    for side in (spec.side, 1 - spec.side):
        if float(tapers[side].max()) <= 0.0:
            continue
        for depth in (0.0, 0.4, 0.8, 1.0):
            centre = lesion_centre(spec, side, body.breasts[side], depth)
            field = optics(heat, _field(spec, side, body, g, centre)) * tapers[side]
            if float(field.max()) >= MIN_PEAK_C:
                return side, centre, field.astype(np.float32)
    # The breasts are mostly out of frame: a nodule at the deepest visible breast point, scaled.
    side = 0 if float(tapers[0].max()) >= float(tapers[1].max()) else 1
    here = dataclasses.replace(spec, look="nodule", feeder=(0.0, 1.0, 0.0))
    inside = cv2.distanceTransform((tapers[side] > 0).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(inside)), inside.shape)
    centre = (float(g.x[y, x]), float(g.y[y, x]))
    field = optics(heat, _field(here, side, body, g, centre)) * tapers[side]
    field *= np.float32(max(1.0, MIN_PEAK_C / max(float(field.max()), 1e-6)))
    return side, centre, field.astype(np.float32)


def _centre_px(
    view: ViewD, centre: tuple[float, float], roi: npt.NDArray[np.uint8], field: F32
) -> tuple[float, float]:
    """The lesion centre's pixel; its warmest pixel where the centre is off the visible ROI."""
    h, w = roi.shape
    y, x = to_pixel(view, centre[0], centre[1], h, w)
    if 0 <= round(y) < h and 0 <= round(x) < w and roi[round(y), round(x)]:
        return y, x
    peak_y, peak_x = np.unravel_index(int(np.argmax(field)), field.shape)
    return float(peak_y), float(peak_x)


def _taper(roi: npt.NDArray[np.uint8], ramp: float) -> F32:
    inside = cv2.distanceTransform(roi, cv2.DIST_L2, 5)
    return np.clip((inside - 0.5) / ramp, 0.0, 1.0).astype(np.float32)


@lru_cache(maxsize=8)
def _noise_free(seed: int, index: int, stage: Stage, resolution: str, view: str) -> PhantomParts:
    """The subject without sensor noise; cached so successive frames only draw fresh noise."""
    h, w = RESOLUTIONS[resolution]
    body = draw_body(np.random.default_rng([seed, index, _BODY]))
    heat = draw_thermal(np.random.default_rng([seed, index, _HEAT]), body)
    trees = grow_trees(np.random.default_rng([seed, index, _TREE]), body)
    fine, blotch = draw_channels(np.random.default_rng([seed, index, _SKIN]))
    framing: ViewD = draw_view(
        np.random.default_rng([seed, index, _VIEW, _VIEW_CODE[view]]), view, body
    )
    g = geometry(body, framing, h, w)
    vessels = perfusion(trees, framing, h, w)
    texture = gabor_noise(fine, framing, h, w)
    mottle = gabor_noise((blotch,), framing, h, w)
    without, alpha = render(body, heat, g, vessels, texture, mottle)
    rois = _rois(g, alpha)
    breast = (rois[0] | rois[1]).astype(np.uint8)
    ramp = max(1.5, _TAPER_CM / g.cm_per_px)
    tapers = [_taper(m, ramp) for m in rois]
    excess = np.zeros((h, w), np.float32)
    lesions = []
    lesion_rng = np.random.default_rng([seed, index, _LESIONS, STAGE_CODE[stage]])
    for spec in draw_lesions_d(lesion_rng, stage):
        side, centre, field = _place(spec, body, heat, g, tapers)
        excess += field
        lesions.append(
            Lesion(
                breast=_SIDE[side],  # type: ignore[arg-type]
                center_yx=_centre_px(framing, centre, rois[side], field),
                radius_px=1.5 * (spec.major * spec.minor) ** 0.5 / g.cm_per_px,
                excess_c=float(field.max()),
            )
        )
    with_lesions = (without + excess).astype(np.float32)
    abnormal = truth_mask(without, with_lesions)
    label = SubjectLabel(
        subject=subject_id(seed, index, "d", view),
        stage=stage,
        lesions=tuple(lesions),
        seed=seed,
        index=index,
        resolution=resolution,  # type: ignore[arg-type]
        offset_c=heat.chest_offset,
        family="d",
        view=view,  # type: ignore[arg-type]
    )
    for array in (without, with_lesions, abnormal, breast, alpha):
        array.setflags(write=False)
    empty = np.zeros((0, 0), np.float32)
    return PhantomParts(without, with_lesions, empty, abnormal, breast, alpha, label)


def _sensor_noise(seed: int, index: int, resolution: str, noise_seed: int | None) -> F32:
    """NETD noise (``noise_seed`` redraws it) plus the subject's fixed column, row and smooth
    (lens narcissus) patterns."""
    h, w = RESOLUTIONS[resolution]
    fpn = np.random.default_rng([seed, index, _FPN])
    netd = float(fpn.uniform(0.04, 0.07))
    pattern = fpn.normal(0.0, float(fpn.uniform(0.01, 0.035)), w).astype(np.float32)[None, :]
    pattern = (
        pattern + fpn.normal(0.0, float(fpn.uniform(0.0, 0.02)), h).astype(np.float32)[:, None]
    )
    yy = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    a, b, c = (float(v) for v in fpn.normal(0.0, 0.04, 3))
    pattern = pattern + np.float32(a) * xx + np.float32(b) * yy + np.float32(c) * xx * yy
    key = [seed, index, _NOISE] + ([] if noise_seed is None else [1, int(noise_seed)])
    noise = np.random.default_rng(key).standard_normal((h, w), dtype=np.float32)
    noise *= np.float32(netd)
    return (noise + pattern).astype(np.float32)


def render_parts_d(
    seed: int,
    index: int,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: View = "closeup",
    noise_seed: int | None = None,
) -> PhantomParts:
    """One family-"d" subject as its noise-free renders, ground truth and sensor noise."""
    stage = check_request(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.with_noise(_sensor_noise(seed, index, resolution, noise_seed))


def generate_d(
    seed: int,
    index: int,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: View = "closeup",
    noise_seed: int | None = None,
) -> Phantom:
    """One family-"d" subject: °C with sensor noise, abnormal and breast masks, label."""
    stage = check_request(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.phantom(_sensor_noise(seed, index, resolution, noise_seed))
