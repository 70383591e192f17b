"""The breast region of interest of a frontal thermogram, from thermal anatomy alone.

:func:`find_roi` works on °C frames, close-ups (a Lepton on the chest) and wide clinical views
(neck, shoulders, arms, chest and upper abdomen) alike:

1. **Body**: Otsu's threshold on the frame's own range, the largest 8-connected part, holes
   filled (the body is warmer than the room).
2. **Midline**: the vertical axis about which the body's column profile best matches its mirror
   (:func:`~edge.core.imaging.find_midline`).
3. **Torso**: in each row, the run of body pixels through the midline; ``chest width`` is the
   median run width over the lower half of the torso's height (below raised arms).
4. **View**: a *wide* view shows a neck, a torso top narrower than ``neck_ratio`` × the chest;
   otherwise it is a *close-up*.
5. **Breast band**: the rows between ``band`` fractions of the torso's height for that view
   (wide views put the axillae above and the folds and abdomen below it), and the columns within
   ``half_width`` × chest width of the midline (the lateral axillary tails excluded).

The ROI mask is body ∩ band; the image's left of the midline is the patient's right breast.
The **crop box** is the band widened by ``crop_margin`` and kept symmetric about the midline, so
a model input made from it has the midline at its centre and the left/right mirror of the input
is the contralateral side. It is a geometric reading of anatomy, not a learned detector: it
knows nothing of breast shape, and its accuracy is measured against the phantoms' ROI truth in
``docs/`` (assessment), not assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from edge.core._median import Quantised, median
from edge.core.imaging import body_and_levels, find_midline

__all__ = ["BreastROI", "RoiConfig", "find_roi", "find_roi_and_levels", "full_frame_roi"]

View = Literal["closeup", "wide"]


class RoiConfig(BaseModel):
    """How the breast region is found; fractions are of the torso found in the frame."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    method: Literal["anatomy", "frame"] = Field(
        "anatomy", description="'anatomy': find the breasts; 'frame': the whole frame is the ROI"
    )
    band_closeup: tuple[float, float] = Field(
        (0.25, 1.0), description="close-up: breast rows as fractions of the torso's height"
    )
    band_wide: tuple[float, float] = Field(
        (0.38, 0.95), description="wide view: breast rows as fractions of the torso's height"
    )
    half_width: float = Field(
        0.46, gt=0.0, le=1.0, description="ROI columns: ± this fraction of the chest width"
    )
    neck_ratio: float = Field(
        0.62, gt=0.0, lt=1.0, description="torso top narrower than this × chest: a wide view"
    )
    crop_margin: float = Field(
        0.08, ge=0.0, le=0.5, description="crop box margin, fraction of the chest width"
    )


@dataclass(frozen=True)
class BreastROI:
    """The breast region of one frame, in that frame's pixels."""

    mask: npt.NDArray[np.uint8]  # 0/1 (H, W)
    body: npt.NDArray[np.bool_]  # (H, W)
    midline_x: float
    box: tuple[int, int, int, int]  # crop (x0, y0, x1, y1), end-exclusive
    view: View | Literal["frame"]
    chest_width_px: float

    def side_of(self, x: float) -> Literal["left", "right"]:
        """Image side of column ``x`` (image left = the patient's right breast)."""
        return "left" if x < self.midline_x else "right"

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable summary (no masks)."""
        return {
            "view": self.view,
            "box": list(self.box),
            "midline_x": round(self.midline_x, 2),
            "chest_width_px": round(self.chest_width_px, 1),
            "area_px": int(self.mask.sum()),
        }


def full_frame_roi(shape: tuple[int, int], body: npt.NDArray[np.bool_] | None = None) -> BreastROI:
    """The whole frame as the ROI (pseudo-colour frames, or ``method = "frame"``)."""
    h, w = shape
    body_b = np.ones(shape, dtype=bool) if body is None else body
    mid = find_midline(body_b)
    return BreastROI(np.ones(shape, dtype=np.uint8), body_b, mid, (0, 0, w, h), "frame", float(w))


def _largest_filled(body: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    # Labels alone and a histogram of them: OpenCV's statistics cost ~3x the labelling here.
    binary = body.astype(np.uint8)
    n, labels = cv2.connectedComponents(binary, connectivity=8, ltype=cv2.CV_32S)
    if n <= 1:
        return body
    if n == 2:  # one part (the usual frame): it is the body as it is
        part = binary
    else:
        area = np.bincount(np.asarray(labels).ravel(), minlength=n)
        keep = 1 + int(np.argmax(area[1:]))
        part = (labels == keep).view(np.uint8)
    # Fill holes: background reachable from the border (marked 2) stays background; the part
    # (1) and the holes (0) are the filled body.
    flood = np.asarray(cv2.copyMakeBorder(part, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0))
    cv2.floodFill(flood, None, (0, 0), 2)
    return np.asarray(flood[1:-1, 1:-1] != 2)


def _runs_through(body: npt.NDArray[np.bool_], x: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the left and right ends (inclusive) of the body run through column ``x``."""
    h, w = body.shape
    rows = np.arange(h)
    # A boolean row's argmin is its first False: the first non-body pixel going left from x
    # (a reversed view) and going right; a row without one runs to the frame's edge. One
    # reduction per side, no inverted copies.
    left_part = body[:, x::-1]  # column 0 here is x itself
    right_part = body[:, x:]
    il = left_part.argmin(axis=1)
    ir = right_part.argmin(axis=1)
    left = np.where(left_part[rows, il], 0, x - il + 1)
    right = np.where(right_part[rows, ir], w - 1, x + ir - 1)
    return left, right


def find_roi(
    celsius: npt.NDArray[np.float32],
    cfg: RoiConfig | None = None,
    *,
    body_min_c: float | None = None,
) -> BreastROI:
    """The breast ROI of a °C frame (H, W); see the module docstring."""
    return find_roi_and_levels(celsius, cfg, body_min_c=body_min_c)[0]


def find_roi_and_levels(
    celsius: npt.NDArray[np.float32],
    cfg: RoiConfig | None = None,
    *,
    body_min_c: float | None = None,
) -> tuple[BreastROI, Quantised | None]:
    """:func:`find_roi` and the frame's levels its body was found on
    (:func:`~edge.core.imaging.body_and_levels`), for the body's median."""
    found, levels = body_and_levels(celsius, body_min_c)
    return _roi_of_body(celsius, _largest_filled(found), cfg or RoiConfig()), levels


def _roi_of_body(
    celsius: npt.NDArray[np.float32], body: npt.NDArray[np.bool_], cfg: RoiConfig
) -> BreastROI:
    shape = (int(celsius.shape[0]), int(celsius.shape[1]))
    if cfg.method == "frame" or not body.any():
        return full_frame_roi(shape, body if body.any() else None)
    h, w = shape
    mid = find_midline(body)
    xm = int(np.clip(round(mid), 0, w - 1))
    left, right = _runs_through(body, xm)
    on_axis = body[:, xm]
    rows = np.flatnonzero(on_axis)
    if rows.size < 4:
        return full_frame_roi(shape, body)
    y_top, y_bot = int(rows[0]), int(rows[-1])
    height = y_bot - y_top + 1
    width = np.where(on_axis, right - left + 1, 0).astype(np.float64)
    lower = width[y_top + height // 2 : y_bot + 1]
    chest = median(lower[lower > 0]) if (lower > 0).any() else float(w)
    top = width[y_top : y_top + max(2, height // 12)]
    view: View = "wide" if median(top) < cfg.neck_ratio * chest else "closeup"
    b0, b1 = cfg.band_wide if view == "wide" else cfg.band_closeup
    r0 = y_top + round(b0 * height)
    r1 = min(h, y_top + round(b1 * height))
    half = cfg.half_width * chest
    xx = np.arange(w)
    cols = np.abs(xx - mid) <= half
    mask = np.zeros(shape, dtype=np.uint8)
    mask[r0:r1] = (body[r0:r1] & cols[None, :]).astype(np.uint8)
    # Crop box: symmetric about the midline, inside the frame.
    reach = half + cfg.crop_margin * chest
    reach = min(reach, mid + 0.5, w - 0.5 - mid)
    x0 = max(0, int(np.floor(mid - reach + 0.5)))
    x1 = min(w, int(np.ceil(mid + reach + 0.5)))
    margin = round(cfg.crop_margin * chest)
    y0 = max(0, r0 - margin)
    y1 = min(h, r1 + margin)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return full_frame_roi(shape, body)
    return BreastROI(mask, body, float(mid), (x0, y0, x1, y1), view, chest)
