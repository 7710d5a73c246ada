"""Snapshot versions are content hashes: two Python processes with other hash seeds agree."""

import os
import subprocess
import sys
from pathlib import Path

from control_plane.xds.translate import translate
from tests.unit.xds.cases import TESTDATA, load_case

REPO = Path(__file__).parents[2]


def test_version_is_stable_across_processes() -> None:
    """A restarted control plane must compute the versions Envoy already holds."""
    script = (
        "from control_plane.xds.translate import translate\n"
        "from tests.unit.xds.cases import TESTDATA, load_case\n"
        "s = translate(load_case(TESTDATA / 'two_ip_pods.in.yaml'))\n"
        "print(sorted(s.versions.items()))\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    here = translate(load_case(TESTDATA / "two_ip_pods.in.yaml"))
    assert outputs == {str(sorted(here.versions.items())) + "\n"}
