"""Synthetic frontal thermograms with exact ground truth (phantoms)."""

from __future__ import annotations

from edge.phantom.generator import (
    ABNORMAL_EXCESS_C,
    FAMILIES,
    FPN_SIGMA_C,
    NETD_SIGMA_C,
    RESOLUTIONS,
    VIEWS,
    Family,
    Lesion,
    Phantom,
    PhantomParts,
    Resolution,
    Stage,
    SubjectLabel,
    View,
    generate,
    render_parts,
    stage_for,
    subject_id,
    write_dataset,
)

__all__ = [
    "ABNORMAL_EXCESS_C",
    "FAMILIES",
    "FPN_SIGMA_C",
    "NETD_SIGMA_C",
    "RESOLUTIONS",
    "VIEWS",
    "Family",
    "Lesion",
    "Phantom",
    "PhantomParts",
    "Resolution",
    "Stage",
    "SubjectLabel",
    "View",
    "generate",
    "render_parts",
    "stage_for",
    "subject_id",
    "write_dataset",
]
