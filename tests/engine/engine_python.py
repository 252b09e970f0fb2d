"""Run a snippet inside the Rasa engine's environment (.venv-engine) and read what it printed."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_in_engine(script: str, *arguments: str) -> Any:
    """The JSON on the snippet's last line of output; fails the test with its stderr otherwise."""
    run = subprocess.run([str(ROOT / ".venv-engine/bin/python"), "-c", script, *arguments],
                         cwd=ROOT, capture_output=True, text=True, check=False,
                         env={"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
