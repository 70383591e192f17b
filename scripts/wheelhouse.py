"""Download, once, every wheel the packaging test installs offline into a fresh venv.

Reads pyproject.toml (the one list of requirements): the build-system requirements, the core
dependencies and the ``edge`` extra, and asks pip to download wheels for them into FOLDER.
``make test`` runs this before pytest; ``tests/test_wheel.py`` then builds and installs the
wheel with ``--no-index --find-links FOLDER`` and never touches the network.

    python scripts/wheelhouse.py .cache/wheelhouse
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def requirements() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    return [
        *data["build-system"]["requires"],
        *project["dependencies"],
        *project["optional-dependencies"]["edge"],
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", str(folder)]
    return subprocess.call([*cmd, *requirements()])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
