"""The device runtime stands alone: edge never imports TensorFlow, training or convert."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EDGE = Path(__file__).resolve().parents[2] / "edge"
FORBIDDEN = ("tensorflow", "keras", "training", "convert")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(EDGE.rglob("*.py")), ids=lambda p: str(p.relative_to(EDGE)))
def test_edge_module_imports_nothing_from_the_workstation_side(path: Path) -> None:
    assert not _imports(path) & set(FORBIDDEN)


def test_paho_is_imported_by_one_module_only() -> None:
    importers = [
        p.relative_to(EDGE).as_posix() for p in EDGE.rglob("*.py") if "paho" in _imports(p)
    ]
    assert importers == ["comms/_paho.py"]


def test_importing_every_edge_module_loads_no_tensorflow() -> None:
    modules = sorted(
        ".".join(p.relative_to(EDGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in EDGE.rglob("*.py")
        if p.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Which edge subpackages each layer may import (besides itself, edge.errors and edge's root).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "io": {"core"},
    "phantom": {"core", "io"},
    "segmenters": {"core", "io"},
    "sources": {"core", "io"},
    "comms": {"core", "io"},
    "device": {"core", "io", "segmenters", "sources", "comms"},
    "testing": {"core", "io", "comms"},
    # The dashboard stores alerts with the listen command's SQLite sink (edge.cli.listen).
    "dashboard": {"core", "io", "comms", "cli"},
    "cli": {
        "core",
        "io",
        "phantom",
        "segmenters",
        "sources",
        "comms",
        "device",
        "testing",
        "dashboard",
    },
}


def _edge_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        for module in modules:
            parts = module.split(".")
            if parts[0] == "edge" and len(parts) > 1 and parts[1] in ALLOWED:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    bad = {
        str(p.relative_to(EDGE)): sorted(_edge_imports(p) - ALLOWED[layer] - {layer})
        for p in (EDGE / layer).rglob("*.py")
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_every_edge_module_belongs_to_a_layer() -> None:
    loose = sorted(p.name for p in EDGE.glob("*.py") if p.name not in {"__init__.py", "errors.py"})
    assert loose == []
