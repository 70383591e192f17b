"""``thermoseg-edge dashboard`` without its extra names the extra; the parser never needs it."""

from __future__ import annotations

import subprocess
import sys


def test_without_the_dashboard_extra_the_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['starlette'] = None\n"  # as if the extra were not installed
        "from edge.cli.main import main\n"
        "sys.exit(main(['dashboard', '--db', '/nonexistent/never-created.sqlite3']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "pip install 'thermoseg[dashboard]'" in proc.stderr, proc.stderr
