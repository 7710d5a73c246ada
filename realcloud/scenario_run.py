"""Run scenario.py in the clients venv (openstacksdk lives there, not in Podgate's venv)."""

import json
import subprocess
from pathlib import Path

from realcloud.layout import DEMO, Layout
from realcloud.seed import IMAGE_NAME

SCRIPT = Path(__file__).with_name("scenario.py")
_TIMEOUT_S = 900


def run(layout: Layout) -> list[dict[str, object]]:
    """The scenario's steps as dicts (step, ok, seconds, detail); also kept in results/."""
    user, password = DEMO
    argv = [str(layout.bin("clients", "python")), str(SCRIPT)]
    argv += [layout.keystone_url, user, password, "demo", IMAGE_NAME]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    layout.results.mkdir(parents=True, exist_ok=True)
    (layout.results / "scenario.jsonl").write_text(done.stdout)
    (layout.results / "scenario.stderr").write_text(done.stderr)
    steps = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode not in (0, 1) or not steps:
        raise RuntimeError(f"scenario.py crashed ({done.returncode}):\n{done.stderr[-3000:]}")
    return steps
