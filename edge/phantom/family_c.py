"""Phantom family "c": a third, independently written generator, held out as the never-seen test.

Models are built with families "a" and "b"; family "c" is only ever a test set, so nothing in it
is fitted to a model: its physiology follows the measured real-thermogram facts alone. It shares
with them the value types (:mod:`edge.phantom.types`) and the shared rules
(:mod:`edge.phantom.rules`: sizes, views, the stage mix, the truth threshold), nothing else:

* anatomy (:mod:`._c_body`): the body as smooth unions of signed-distance shapes in cm (trunk,
  neck, shoulders, arms raised or hanging, tapered breasts with ptosis and asymmetry), a view
  that maps pixels to the body (framing, off-centre, roll), sway and a turn of the trunk;
* temperatures (:mod:`._c_heat`): heat sources placed by the shape (fillets of the joins,
  sternum line, fold bands) spread by conduction, sinks (breasts, abdomen, arms, the turning
  silhouette), gradient-noise texture and mottling, ridge-noise vessels (:mod:`._c_texture`);
* lesions (:mod:`._c_lesions`): focal, multi-lobed, diffuse, periareolar ring, fold crescent.

**Ground truth** (the shared rule): abnormal where the lesions raise the noise-free temperature
by at least :data:`ABNORMAL_EXCESS_C` over the same subject rendered without them. Each lesion
field is blurred by the optics, then tapered to zero over the last ~0.8 cm inside its breast's
ROI (a distance transform of the ROI itself), so the mask lies inside the breast ROI; a lesion
whose tapered peak is under 0.8 °C is pulled toward the breast's centre, so every abnormal
subject has a non-empty mask. ROI truth: both breast shapes on visible skin, no axillary tail
(the breast shape has none), bounded below by the inframammary folds.

A subject is fixed by ``(seed, index)``: body, temperatures, skin pattern and the lesions drawn
do not depend on the view or the resolution; where a lesion lands may (it is moved toward what
the view shows of its breast, see above). Sensor noise (NETD; fixed column and row patterns drawn
per subject) has its own stream; ``noise_seed`` replaces only the NETD draw.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from edge.phantom._c_body import BodyC, ShapeC, draw_body, draw_view, shape
from edge.phantom._c_heat import HeatC, draw_heat, optics_blur, render_frame
from edge.phantom._c_lesions import LesionC, draw_lesions_c, lesion_centre, lesion_field
from edge.phantom._c_texture import Lattice
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

__all__ = ["MIN_PEAK_C", "generate_c", "render_parts_c"]

F32 = npt.NDArray[np.float32]
MIN_PEAK_C = 0.8  # every placed lesion's tapered peak reaches this
_SIDE = ("right", "left")  # breast 0 is on the image left: the patient's right
_VIEW_CODE = {"closeup": 0, "wide": 1}
_BODY, _HEAT, _SKIN, _VIEW, _LESIONS, _FPN, _NOISE = 301, 302, 303, 304, 305, 306, 307
_TAPER_CM = 0.8


def _rois(g: ShapeC, alpha: F32) -> list[npt.NDArray[np.uint8]]:
    """Each breast's ROI: its shape, on skin, not behind an arm; the two never touch."""
    visible = (alpha > 0.5) & (g.arm > 0.0)
    right = (g.breast[0] < 0.0) & visible
    left = (g.breast[1] < 0.0) & visible & ~right
    return [right.astype(np.uint8), left.astype(np.uint8)]


def _place(
    spec: LesionC,
    body: BodyC,
    heat: HeatC,
    g: ShapeC,
    lattice: Lattice,
    tapers: list[F32],
) -> tuple[int, tuple[float, float], F32]:
    """(side, centre cm, tapered field) for one lesion, its peak at least :data:`MIN_PEAK_C`."""
    for side in (spec.side, 1 - spec.side):
        if float(tapers[side].max()) <= 0.0:
            continue
        here = dataclasses.replace(spec, side=side)
        b = body.breasts[side]
        for depth in (0.0, 0.4, 0.8, 1.0):
            centre = lesion_centre(here, b, depth)
            raw = lesion_field(here, b, centre, g.midline, g.y, g.breast[side], lattice)
            field = optics_blur(heat, raw) * tapers[side]
            if float(field.max()) >= MIN_PEAK_C:
                return side, centre, field.astype(np.float32)
    # The breasts are mostly out of frame: the deepest visible breast point, scaled up.
    side = 0 if float(tapers[0].max()) >= float(tapers[1].max()) else 1
    here = dataclasses.replace(spec, side=side, look="diffuse")
    inside = cv2.distanceTransform((tapers[side] > 0).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(inside)), inside.shape)
    centre = (float(g.midline[y, x]), float(g.y[y, x]))
    raw = lesion_field(here, body.breasts[side], centre, g.midline, g.y, g.breast[side], lattice)
    field = optics_blur(heat, raw) * tapers[side]
    field *= np.float32(max(1.0, MIN_PEAK_C / max(float(field.max()), 1e-6)))
    return side, centre, field.astype(np.float32)


def _centre_px(g: ShapeC, centre: tuple[float, float]) -> tuple[float, float]:
    """The pixel whose body point is nearest the lesion centre."""
    dist = np.hypot(g.midline - centre[0], g.y - centre[1])
    y, x = np.unravel_index(int(np.argmin(dist)), dist.shape)
    return float(y), float(x)


@lru_cache(maxsize=8)
def _noise_free(seed: int, index: int, stage: Stage, resolution: str, view: str) -> PhantomParts:
    """The subject without sensor noise; cached so successive frames only draw fresh noise."""
    h, w = RESOLUTIONS[resolution]
    body = draw_body(np.random.default_rng([seed, index, _BODY]))
    heat = draw_heat(np.random.default_rng([seed, index, _HEAT]), body)
    lattice = Lattice([seed, index, _SKIN])
    framing = draw_view(np.random.default_rng([seed, index, _VIEW, _VIEW_CODE[view]]), view, body)
    g = shape(body, framing, h, w)
    without, alpha = render_frame(body, heat, g, lattice)
    rois = _rois(g, alpha)
    breast = (rois[0] | rois[1]).astype(np.uint8)
    ramp = max(1.5, _TAPER_CM / g.cm_per_px)
    tapers = [
        np.clip((cv2.distanceTransform(m, cv2.DIST_L2, 5) - 0.5) / ramp, 0.0, 1.0).astype(
            np.float32
        )
        for m in rois
    ]
    excess = np.zeros((h, w), np.float32)
    lesions = []
    lesion_rng = np.random.default_rng([seed, index, _LESIONS, STAGE_CODE[stage]])
    for spec in draw_lesions_c(lesion_rng, stage):
        side, centre, field = _place(spec, body, heat, g, lattice, tapers)
        excess += field
        lesions.append(
            Lesion(
                breast=_SIDE[side],  # type: ignore[arg-type]
                center_yx=_centre_px(g, centre),
                radius_px=spec.radius / g.cm_per_px,
                excess_c=float(field.max()),
            )
        )
    with_lesions = (without + excess).astype(np.float32)
    abnormal = truth_mask(without, with_lesions)
    label = SubjectLabel(
        subject=subject_id(seed, index, "c", view),
        stage=stage,
        lesions=tuple(lesions),
        seed=seed,
        index=index,
        resolution=resolution,  # type: ignore[arg-type]
        offset_c=heat.chest_offset,
        family="c",
        view=view,  # type: ignore[arg-type]
    )
    for array in (without, with_lesions, abnormal, breast, alpha):
        array.setflags(write=False)
    empty = np.zeros((0, 0), np.float32)
    return PhantomParts(without, with_lesions, empty, abnormal, breast, alpha, label)


def _sensor_noise(seed: int, index: int, resolution: str, noise_seed: int | None) -> F32:
    """NETD noise (``noise_seed`` redraws it) plus the subject's fixed column and row offsets."""
    h, w = RESOLUTIONS[resolution]
    fpn = np.random.default_rng([seed, index, _FPN])
    netd = float(fpn.uniform(0.04, 0.065))
    pattern = fpn.normal(0.0, float(fpn.uniform(0.015, 0.035)), w).astype(np.float32)[None, :]
    pattern = (
        pattern + fpn.normal(0.0, float(fpn.uniform(0.0, 0.02)), h).astype(np.float32)[:, None]
    )
    key = [seed, index, _NOISE] + ([] if noise_seed is None else [1, int(noise_seed)])
    noise = np.random.default_rng(key).standard_normal((h, w), dtype=np.float32)
    noise *= np.float32(netd)
    return (noise + pattern).astype(np.float32)


def render_parts_c(
    seed: int,
    index: int,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: View = "closeup",
    noise_seed: int | None = None,
) -> PhantomParts:
    """One family-"c" subject as its noise-free renders, ground truth and sensor noise."""
    stage = check_request(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.with_noise(_sensor_noise(seed, index, resolution, noise_seed))


def generate_c(
    seed: int,
    index: int,
    stage: Stage | None = None,
    resolution: Resolution = "lepton",
    view: View = "closeup",
    noise_seed: int | None = None,
) -> Phantom:
    """One family-"c" subject: °C with sensor noise, abnormal and breast masks, label."""
    stage = check_request(seed, index, stage, resolution, view)
    parts = _noise_free(int(seed), int(index), stage, resolution, view)
    return parts.phantom(_sensor_noise(seed, index, resolution, noise_seed))
