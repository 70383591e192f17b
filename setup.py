"""Build hook: ship the example device configs and the systemd unit inside the ``edge`` package.

``firmware_config/`` and ``systemd/`` stay at the top of the repository (the source of truth,
what the README's device steps copy); the wheel gets copies under ``edge/_data/`` so that an
installed ``thermoseg[edge]`` can run ``thermoseg-edge demo`` and ``thermoseg-edge init``
without the repository. Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (folder at the top of the repository, file pattern): copied to edge/_data/<folder>/
SHIPPED = (("firmware_config", "*.toml"), ("systemd", "*.service"), ("systemd", "*.rules"))


class BuildWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the top-level folders directly
        for folder, pattern in SHIPPED:
            files = sorted((ROOT / folder).glob(pattern))
            if not files:
                raise RuntimeError(f"{folder}/{pattern}: nothing to ship; is this a full checkout?")
            target = Path(self.build_lib) / "edge" / "_data" / folder
            target.mkdir(parents=True, exist_ok=True)
            for path in files:
                shutil.copyfile(path, target / path.name)


setup(cmdclass={"build_py": BuildWithShippedFiles})
