"""``thermoseg-convert``: Keras → TFLite with a manifest, and the parity check.

    thermoseg-convert tflite runs/lite/model.keras --quant int8 --calib data/synth --out models/
    thermoseg-convert verify models/lite-int8.tflite --against runs/lite/model.keras \\
        --data data/holdout

Exit codes: 0 success, 1 a user error (the message names the file or value), 2 usage,
3 the parity check failed (TFLite Dice more than ``--tolerance`` below Keras).
TensorFlow is imported only when a command runs (missing: install the ``train`` extra).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from edge import DISCLAIMER
from edge.cli.main import run_command
from edge.io.manifest import QUANT_MODES

__all__ = ["EXIT_PARITY_FAILED", "build_parser", "main"]

log = logging.getLogger(__name__)

EXIT_PARITY_FAILED = 3


def _tflite(args: argparse.Namespace) -> int:
    from convert.export import export_tflite
    from convert.tflite import INT8_CLIP_QUANTILE

    clip = None if args.no_int8_rewrite else (args.int8_clip_quantile or INT8_CLIP_QUANTILE)
    paths = export_tflite(
        args.keras_model,
        list(dict.fromkeys(args.quant)),  # keep order, drop repeats
        args.out,
        calib=args.calib,
        calib_limit=args.calib_limit,
        name=args.name,
        clip_quantile=clip,
    )
    for path in paths:
        print(f"wrote {path} and {path.with_suffix('.json').name} ({path.stat().st_size} bytes)")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from convert.verify import verify

    report = verify(
        args.tflite_model,
        args.against,
        args.data,
        tolerance=args.tolerance,
        threshold=args.threshold,
        num_threads=args.threads,
        limit=args.limit,
    )
    print(report.format())
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0 if report.passed else EXIT_PARITY_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thermoseg-convert",
        description="Convert thermoseg U-Nets to TFLite and check parity. " + DISCLAIMER,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "tflite",
        help="convert runs/NAME/model.keras to NAME-QUANT.tflite + NAME-QUANT.json",
        description="Convert a Keras U-Net to TFLite and write its manifest beside it.",
    )
    p.add_argument("keras_model", type=Path, help="runs/NAME/model.keras")
    p.add_argument(
        "--quant",
        action="append",
        choices=QUANT_MODES,
        required=True,
        help="quantisation (repeat for several): float32, float16, dynamic, int8",
    )
    p.add_argument("--calib", type=Path, default=None, help="frames for int8 calibration")
    p.add_argument("--calib-limit", type=int, default=100, help="at most this many frames")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--name", default=None, help="model name (default: the run folder's name)")
    p.add_argument(
        "--int8-clip-quantile",
        type=float,
        default=None,
        help="int8 only: calibration quantile each ReLU range is equalised to (default 0.9999)",
    )
    p.add_argument(
        "--no-int8-rewrite",
        action="store_true",
        help="int8 only: convert the model as it is, without range equalisation (for comparison)",
    )
    p.set_defaults(func=_tflite)

    v = sub.add_parser(
        "verify",
        help="compare a .tflite (via LiteRT) with its Keras model on frames with masks",
        description="Mask agreement, Dice against ground truth and latency of both models; "
        f"exits {EXIT_PARITY_FAILED} when the TFLite Dice is more than --tolerance below Keras.",
    )
    v.add_argument("tflite_model", type=Path, help="models/NAME-QUANT.tflite (manifest beside it)")
    v.add_argument("--against", type=Path, required=True, help="runs/NAME/model.keras")
    v.add_argument("--data", type=Path, required=True, help="frames + masks/<stem>.png")
    v.add_argument("--tolerance", type=float, default=0.01, help="allowed Dice drop (0.01)")
    v.add_argument("--threshold", type=float, default=0.5, help="probability threshold (0.5)")
    v.add_argument("--threads", type=int, default=1, help="LiteRT threads (1)")
    v.add_argument("--limit", type=int, default=None, help="at most this many frames")
    v.add_argument("--json", type=Path, default=None, help="also write the report as JSON")
    v.set_defaults(func=_verify)

    k = sub.add_parser(
        "keygen",
        help="make an Ed25519 key pair for signing models",
        description="Write a private key file (keep it off the devices) and print the public "
        "key for the devices' [models] public_key.",
    )
    k.add_argument("private_key", type=Path, help="where to write the private key (0600)")
    k.set_defaults(func=_keygen)

    s = sub.add_parser(
        "sign",
        help="sign a .tflite and its manifest (writes FILE.tflite.sig)",
        description="Sign a model and its manifest with an Ed25519 private key so devices with "
        "the matching [models] public_key accept it.",
    )
    s.add_argument("tflite_model", type=Path, help="NAME-QUANT.tflite (manifest beside it)")
    s.add_argument("--key", type=Path, required=True, help="private key file from keygen")
    s.set_defaults(func=_sign)
    return parser


def _keygen(args: argparse.Namespace) -> int:
    from edge.io.signature import generate_keypair

    private, public = generate_keypair()
    try:
        fd = os.open(args.private_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SystemExit(
            f"thermoseg-convert keygen: {args.private_key} exists; not overwriting"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(private + "\n")
    print(f"private key: {args.private_key} (keep it secret, off the devices)")
    print(f'device config:  [models]  public_key = "{public}"')
    return 0


def _sign(args: argparse.Namespace) -> int:
    from edge.io.manifest import load_verified, manifest_path
    from edge.io.signature import sign_model

    load_verified(args.tflite_model)  # never sign a model that does not match its manifest
    try:
        key = args.key.read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"thermoseg-convert sign: --key {args.key}: {exc.strerror}") from None
    out = sign_model(args.tflite_model, manifest_path(args.tflite_model), key)
    print(f"signed: {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_command("thermoseg-convert", build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
