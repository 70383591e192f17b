"""Models installed in the field: check, install atomically, and load for a live switch.

``thermoseg-edge model install FILE.tflite`` checks the model against its manifest (sha256 and
size), its Ed25519 signature when ``[models] public_key`` is set, and that LiteRT loads it and
runs one inference; then it copies model, manifest and signature into
``<state_dir>/models/<sha256[:16]>/`` and points ``<state_dir>/models/current`` at that folder
with one atomic ``rename`` of a symlink. A half-copied or refused model is never ``current``.

The daemon uses ``current`` instead of ``segmenter.model`` (tflite only) at start-up, after the
same checks (a refused one is logged and ``[segmenter]`` runs instead), and on
``SIGHUP`` (``systemctl reload thermoseg-edge``) checks it again the same way and hands it to the
pipeline, which switches between two frames; a model that fails any check is refused, logged,
and the running one stays.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge.errors import ModelError
from edge.io.manifest import ModelManifest, load_verified, manifest_path
from edge.io.signature import decode_key, signature_path, verify_model
from edge.segmenters import CodebookConfig, TFLiteConfig, create_segmenter
from edge.segmenters.base import Segmenter

__all__ = [
    "CURRENT",
    "MODELS_DIR",
    "ModelsConfig",
    "check_model",
    "install_model",
    "installed_model",
    "load_installed",
    "segmenter_config",
    "start_segmenter",
]

log = logging.getLogger(__name__)

MODELS_DIR = "models"
CURRENT = "current"
_MODEL_FILE = "model.tflite"


class ModelsConfig(BaseModel):
    """Models installed with ``thermoseg-edge model install`` and who may sign them."""

    model_config = ConfigDict(extra="forbid")

    public_key: str | None = Field(
        None,
        description="publisher's Ed25519 public key (base64, from `thermoseg-convert keygen`); "
        "set: every installed model must carry a valid FILE.tflite.sig",
    )

    @field_validator("public_key")
    @classmethod
    def _key_ok(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                decode_key(value, "models.public_key")
            except ModelError as exc:
                raise ValueError(str(exc)) from None
        return value


def check_model(model_path: Path, cfg: ModelsConfig, num_threads: int = 1) -> ModelManifest:
    """Manifest, signature and a trial inference; ModelError naming the file and the fault."""
    manifest = _verify(model_path, cfg)
    _load(TFLiteConfig(model=model_path, num_threads=num_threads)).close()
    return manifest


def _verify(model_path: Path, cfg: ModelsConfig) -> ModelManifest:
    manifest, data = load_verified(model_path)
    if cfg.public_key is not None:
        verify_model(
            data,
            manifest_path(model_path).read_bytes(),
            signature_path(model_path),
            cfg.public_key,
        )
    else:
        log.warning("model %s: not signature-checked (models.public_key is unset)", model_path)
    return manifest


def _load(config: TFLiteConfig) -> Segmenter:
    """A loaded segmenter that has run one inference on a blank image."""
    try:
        segmenter = create_segmenter(config)
    except ModelError:
        raise
    except Exception as exc:  # LiteRT raises ValueError/RuntimeError for a broken flatbuffer
        raise ModelError(f"{config.model}: LiteRT cannot load the model: {exc}") from exc
    size = int(getattr(segmenter, "size", 128))
    try:
        segmenter.segment(np.zeros((size, size, 3), np.uint8))
    except Exception as exc:
        segmenter.close()
        raise ModelError(f"{config.model}: trial inference failed: {exc}") from exc
    return segmenter


def _copy_synced(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    with dst.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _give_to_owner_of(state_dir: Path, paths: list[Path]) -> None:
    # Run as root by a technician, the files must still belong to the daemon's (dynamic) user.
    if os.geteuid() != 0:
        return
    st = state_dir.stat()
    for p in paths:
        os.chown(p, st.st_uid, st.st_gid, follow_symlinks=False)


def install_model(model_path: Path, state_dir: Path, cfg: ModelsConfig) -> Path:
    """Check ``model_path`` and make it ``current``; returns the installed model file."""
    manifest = check_model(model_path, cfg)
    root = state_dir / MODELS_DIR
    try:
        root.mkdir(parents=True, exist_ok=True)
        target = root / manifest.sha256[:16]
        made: list[Path] = []
        if not (target / _MODEL_FILE).is_file():
            tmp = Path(tempfile.mkdtemp(prefix=".install-", dir=root))
            _copy_synced(model_path, tmp / _MODEL_FILE)
            _copy_synced(manifest_path(model_path), manifest_path(tmp / _MODEL_FILE))
            if signature_path(model_path).is_file():
                _copy_synced(signature_path(model_path), signature_path(tmp / _MODEL_FILE))
            made = [tmp, *tmp.iterdir()]
            _give_to_owner_of(state_dir, [root, *made])
            if target.exists():
                shutil.rmtree(target)  # an earlier, incomplete copy
            os.rename(tmp, target)
        # The copy is checked again: what becomes current is exactly what was verified.
        check_model(target / _MODEL_FILE, cfg)
        link = root / f".{CURRENT}.tmp"
        link.unlink(missing_ok=True)
        os.symlink(target.name, link)
        _give_to_owner_of(state_dir, [link])
        os.replace(link, root / CURRENT)
        _fsync_dir(root)
    except OSError as exc:
        raise ModelError(f"{root}: cannot install the model there: {exc}") from exc
    log.info("model: installed %s (sha256 %s…) as current", manifest.name, manifest.sha256[:12])
    return target / _MODEL_FILE


def installed_model(state_dir: Path) -> Path | None:
    """``<state_dir>/models/current/model.tflite`` when a model was installed, else None."""
    path = state_dir / MODELS_DIR / CURRENT / _MODEL_FILE
    return path if path.is_file() else None


def segmenter_config(
    configured: CodebookConfig | TFLiteConfig, state_dir: Path
) -> CodebookConfig | TFLiteConfig:
    """The segmenter to run: the installed model replaces ``segmenter.model`` (tflite only)."""
    installed = installed_model(state_dir)
    if installed is None:
        return configured
    if not isinstance(configured, TFLiteConfig):
        log.warning(
            'model: %s is installed but [segmenter] type = %r; set type = "tflite" to use it',
            installed.parent,
            configured.type,
        )
        return configured
    log.info("model: using the installed %s (overrides segmenter.model)", installed.parent)
    return configured.model_copy(update={"model": installed.resolve()})


def load_installed(
    configured: CodebookConfig | TFLiteConfig, state_dir: Path, cfg: ModelsConfig
) -> Segmenter:
    """Check and load the installed model for a live switch (ModelError: keep the old one)."""
    chosen = segmenter_config(configured, state_dir)
    if not isinstance(chosen, TFLiteConfig) or chosen.model is None:
        raise ModelError(
            f"no installed model under {state_dir / MODELS_DIR / CURRENT} for a tflite segmenter"
        )
    _verify(chosen.model, cfg)
    return _load(chosen)


def start_segmenter(
    configured: CodebookConfig | TFLiteConfig, state_dir: Path, cfg: ModelsConfig
) -> Segmenter:
    """The daemon's first segmenter: the installed model if it passes, else ``[segmenter]``."""
    if installed_model(state_dir) is None or not isinstance(configured, TFLiteConfig):
        return create_segmenter(segmenter_config(configured, state_dir))
    try:
        return load_installed(configured, state_dir, cfg)
    except ModelError as exc:
        log.error("model: the installed model is refused (%s); running [segmenter] instead", exc)
        return create_segmenter(configured)
