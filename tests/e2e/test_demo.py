"""The `make demo` tour, run without blocking from a fresh state dir."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_demo_tour_registers_pods_places_resources_and_lists_them_merged(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "podsim.demo", "--no-wait", "--free-ports"],
        env={**os.environ, "PODGATE_STATE_DIR": str(tmp_path / "state")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert out.count("$ podgate pod create") == 2
    assert "-> 202 from pod1" in out and "-> 202 from pod2" in out
    merged = out.split("== List servers across both pods")[1].split("==")[0]
    assert re.search(r"vm-az1\s+az1\s", merged) and re.search(r"vm-az2\s+az2\s", merged)
    assert "Podgate is running" in out
    assert len(re.findall(r"│ (server|volume) ", out)) == 4  # routings table: 2 servers, 2 volumes
