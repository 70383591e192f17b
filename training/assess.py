"""``thermoseg-train evaluate``: every method on the same held-out frames, judged the same way.

For each frame the device's preprocessing makes the model input; each method's mask is mapped
back to the input resolution (:func:`edge.core.preprocess.mask_to_frame`) and compared with the
ground truth there. The image-level decision is the device's own,
``edge.core.analysis.analyse(mask, celsius, AnalysisConfig()).abnormal``, for every method, and the
truth is "the ground-truth mask has a lesion". Latency is the median wall time of the
segmentation call alone (model-size RGB in, mask out), one frame at a time as on the device.

Writes ``<out>.md`` (the table), ``<out>.json`` (full summaries) and ``<out>.png`` (the figure
grid: rows a normal subject and one abnormal subject per stage; columns input, ground truth and
each method's mask).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from edge.core.preprocess import PreprocessConfig
from edge.core.screening import screen_frame
from edge.errors import DatasetError, ModelError
from edge.io.readers import read_frame, read_mask
from training.data import Sample, discover
from training.figures import figure_rows, plot_grid

__all__ = ["AssessResult", "Method", "assess", "codebook_method", "keras_method"]

log = logging.getLogger(__name__)

Segment = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]]


@dataclass
class Method:
    """A segmenter under assessment: a name, its segment function and what it weighs."""

    name: str
    segment: Segment
    preprocess: PreprocessConfig
    parameters: int | None
    size_bytes: int | None
    training: str = ""


@dataclass
class AssessResult:
    """The table as Markdown, its rows and where the artefacts were written."""

    markdown: str
    rows: list[dict[str, Any]]
    markdown_path: Path
    json_path: Path
    figure_path: Path
    extra: dict[str, Any] = field(default_factory=dict)


def _run_note(config: dict[str, Any]) -> str:
    preset = config.get("preset", {})
    summary = config.get("summary", {})
    epochs = summary.get("epochs_run", "?")
    return (
        f"{preset.get('optimizer', '?')}, base {preset.get('base_filters', '?')}, "
        f"{epochs} epochs × {preset.get('steps_per_epoch') or 'all'} steps × batch "
        f"{preset.get('batch_size', '?')}, {config.get('data', {}).get('train_frames', '?')} frames"
    )


def keras_method(run_dir: Path) -> Method:
    """A trained run folder (``model.keras`` + ``config.json``) as a method."""
    import keras

    path = run_dir / "model.keras"
    if not path.is_file():
        raise ModelError(f"{run_dir}: no model.keras; expected a folder written by `fit`")
    model = keras.models.load_model(path, compile=False)
    config: dict[str, Any] = {}
    if (run_dir / "config.json").is_file():
        config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    if (run_dir / "summary.json").is_file():
        config["summary"] = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    preprocess = PreprocessConfig.model_validate(config.get("preprocess", {}))
    import tensorflow as tf

    infer = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def segment(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        prob = infer(tf.constant(rgb[None].astype(np.float32)))
        return (prob.numpy()[0, :, :, 0] >= 0.5).astype(np.uint8)

    name = str(config.get("preset", {}).get("name", run_dir.name))
    if name != run_dir.name:
        name = f"{name} ({run_dir.name})"
    return Method(
        name, segment, preprocess, int(model.count_params()), path.stat().st_size, _run_note(config)
    )


def codebook_method() -> Method:
    """The device's codebook segmenter with its default config."""
    from edge.segmenters import CodebookConfig, CodebookSegmenter

    seg = CodebookSegmenter(CodebookConfig.model_validate({}))
    preprocess = seg.expected_preprocess() or PreprocessConfig.model_validate({})
    codes = seg.describe().get("final_codes", "?")
    note = f"no training (fixed RGB bands, {codes} final codes per frame)"
    return Method("codebook", seg.segment, preprocess, None, None, note)


def _evaluate_method(
    method: Method, samples: Sequence[Sample], keep: set[int]
) -> tuple[dict[str, Any], dict[int, np.ndarray]]:
    from edge.core.analysis import AnalysisConfig
    from edge.core.metrics import Evaluation

    evaluation = Evaluation()
    analysis_cfg = AnalysisConfig()
    latencies: list[float] = []
    kept: dict[int, np.ndarray] = {}
    for i, s in enumerate(samples):
        frame = read_frame(s.image)
        truth = read_mask(s.mask)
        if truth.shape != frame.shape:
            raise DatasetError(f"{s.mask}: mask {truth.shape} differs from {s.image} {frame.shape}")
        decision = screen_frame(frame, method.segment, method.preprocess, analysis_cfg)
        evaluation.add_decision(decision, truth)
        latencies.append(decision.timings_ms["segment"] / 1e3)
        if i in keep:
            kept[i] = decision.mask
    summary = dict(evaluation.summary())
    summary["latency_ms_median"] = float(np.median(latencies) * 1000.0)
    return summary, kept


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| Method | Training | Dice | Dice (mean, abnormal) | IoU | Precision | Recall "
        "| Sensitivity | Specificity | Median ms/frame | Parameters | Weights (float32) "
        "| model.keras |"
    )
    lines = [head, "|---|---|" + "---:|" * 11]

    def f(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else "–"

    def mb(v: Any) -> str:
        return f"{v / 1e6:.2f} MB" if v else "–"

    for r in rows:
        params = r["parameters"]
        lines.append(
            f"| {r['method']} | {r['training']} | {f(r.get('dice'))} | {f(r.get('dice_mean'))} | "
            f"{f(r.get('iou'))} | {f(r.get('precision'))} | {f(r.get('recall'))} | "
            f"{f(r.get('sensitivity'))} | {f(r.get('specificity'))} | "
            f"{r['latency_ms_median']:.1f} | {f'{params:,}' if params else '–'} | "
            f"{mb(4 * params if params else None)} | {mb(r['size_bytes'])} |"
        )
    return "\n".join(lines) + "\n"


def assess(
    runs: Sequence[Path],
    data: Path,
    *,
    codebook: bool = True,
    out: Path = Path("runs/assessment.md"),
    limit: int | None = None,
    separator: str | None = None,
) -> AssessResult:
    """Evaluate the codebook (optional) and each run on ``data``; write table, JSON, figure."""
    methods = ([codebook_method()] if codebook else []) + [keras_method(Path(r)) for r in runs]
    if not methods:
        raise ModelError("nothing to evaluate: pass run folders and/or --codebook")
    _, samples = discover(data, separator=separator)
    samples = samples[:limit] if limit else samples
    chosen = figure_rows(samples)
    rows: list[dict[str, Any]] = []
    masks: dict[str, dict[int, np.ndarray]] = {}
    for m in methods:
        log.info("evaluating %s on %d frames", m.name, len(samples))
        summary, kept = _evaluate_method(m, samples, {i for _, i in chosen})
        rows.append(
            {
                "method": m.name,
                "training": m.training,
                "parameters": m.parameters,
                "size_bytes": m.size_bytes,
                **summary,
            }
        )
        masks[m.name] = kept
    markdown = (
        f"Held-out set: `{data}` ({len(samples)} frames). Masks compared at the input resolution; "
        "image-level decision `edge.core.analysis.analyse(...).abnormal` for every method.\n\n"
        + _table(rows)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    md_path, json_path, png_path = (
        out.with_suffix(".md"),
        out.with_suffix(".json"),
        out.with_suffix(".png"),
    )
    md_path.write_text(markdown, encoding="utf-8")
    json_path.write_text(
        json.dumps(
            {"data": str(data), "frames": len(samples), "rows": rows}, indent=2, default=str
        ),
        encoding="utf-8",
    )
    plot_grid(samples, chosen, methods[0].preprocess, masks, png_path)
    return AssessResult(markdown, rows, md_path, json_path, png_path)
