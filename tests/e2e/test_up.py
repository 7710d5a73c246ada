"""`podgate up` runs the control plane and Envoy together and Ctrl-C stops both."""

import os
import re
import signal
from pathlib import Path

import pytest

from harness.gateway import PODGATE, Gateway, http_get
from harness.procs import start, wait_for

pytestmark = pytest.mark.e2e


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_up_serves_until_ctrl_c_and_stops_envoy_too(tmp_path: Path) -> None:
    gw = Gateway(state_dir=tmp_path / "state")
    proc = start([*PODGATE, "up"], log=tmp_path / "up.log", env=gw.env)
    try:
        ready = wait_for(
            lambda: re.search(r"Podgate ready .*envoy pid (\d+)", proc.output()),
            timeout=30,
            what="the ready line",
        )
        envoy_pid = int(ready.group(1))
        assert f"http://127.0.0.1:{gw.compute_port}/v2.1" in proc.output()
        assert http_get(f"{gw.envoy_admin}/ready").strip() == "LIVE"
        assert (gw.state_dir / "podgate.db").exists()
    finally:
        code = proc.stop(signal.SIGINT)
    assert code == 0, proc.output()
    assert not pid_alive(envoy_pid)
