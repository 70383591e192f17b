"""``thermoseg-edge model install FILE.tflite``: install a model for the running daemon.

Checks the model (manifest, Ed25519 signature when ``[models] public_key`` is set, a trial
inference), installs it atomically under ``<state_dir>/models/`` and makes it current; then
``systemctl reload thermoseg-edge`` (SIGHUP) switches the running daemon to it between two
frames. ``model show`` prints which model is installed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "model",
        help="install a new segmentation model for the daemon (then: systemctl reload)",
        description="Install a .tflite model (with its manifest and signature beside it) into "
        "the device's state folder; the daemon switches to it on SIGHUP.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    inst = actions.add_parser("install", help="check and install FILE.tflite as the current model")
    inst.add_argument("model", type=Path, help="FILE.tflite (FILE.json and FILE.tflite.sig beside)")
    inst.add_argument("--config", type=Path, required=True, help="device config TOML")
    inst.set_defaults(func=_install)
    show = actions.add_parser("show", help="print the installed model, if any")
    show.add_argument("--config", type=Path, required=True, help="device config TOML")
    show.set_defaults(func=_show)


def _install(args: argparse.Namespace) -> int:
    from edge.device.config import load_config
    from edge.device.models import install_model

    cfg = load_config(args.config)
    path = install_model(args.model, cfg.state_dir, cfg.models)
    signed = "signature checked" if cfg.models.public_key else "NOT signature-checked"
    print(f"installed {args.model.name} as {path} ({signed})")
    if cfg.segmenter.type != "tflite":
        print('note: [segmenter] type is not "tflite"; the daemon keeps its codebook segmenter')
    print("switch the running daemon to it: systemctl reload thermoseg-edge  (SIGHUP)")
    return 0


def _show(args: argparse.Namespace) -> int:
    from edge.device.config import load_config
    from edge.device.models import installed_model
    from edge.io.manifest import manifest_path, read_manifest

    cfg = load_config(args.config)
    path = installed_model(cfg.state_dir)
    if path is None:
        print(f"no model installed under {cfg.state_dir}; the daemon uses [segmenter]")
        return 0
    manifest = read_manifest(manifest_path(path))
    print(f"{path.resolve()}: {manifest.name} ({manifest.quant}, sha256 {manifest.sha256[:16]}…)")
    return 0
