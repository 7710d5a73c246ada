"""Decision workers in keystone mode: every process validates tokens with the service password.

Workers get their settings on stdin; the Keystone password used to arrive masked
("**********"), so each worker's Keystone calls failed and its share of requests got 503.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import DEMO, Keystone
from harness.procs import UNLIMITED_QUOTAS, WAIT_S, wait_for
from tests.fixtures.keystone import KEYSTONE_MARKS
from tests.fixtures.keystone_cloud import keystone_cloud

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

WORKERS = 2


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, keystone: Keystone) -> Iterator[Gateway]:
    root = tmp_path_factory.mktemp("keystone-workers")
    with keystone_cloud(
        root, keystone, podsim_args=UNLIMITED_QUOTAS, PODGATE_DECISION_WORKERS=str(WORKERS)
    ) as (gateway, _):
        wait_for(
            lambda: len(gateway.decision_endpoints()) == 1 + WORKERS, timeout=WAIT_S, what="workers"
        )
        yield gateway


def _worker_command_lines(gateway: Gateway) -> list[bytes]:
    assert gateway.control_plane is not None
    found = subprocess.run(
        ["pgrep", "-P", str(gateway.control_plane.pid)], capture_output=True, text=True
    )
    return [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in found.stdout.split()]


def test_every_request_succeeds_in_every_process(gateway: Gateway, keystone: Keystone) -> None:
    demo = f"{gateway.compute_url}/{keystone.project_ids['demo']}"
    before = gateway.decision_endpoints()
    for n in range(4 * (1 + WORKERS)):
        token = keystone.token(*DEMO)  # new to every process: each asks Keystone itself
        headers = {"x-auth-token": token}
        server = {"server": {"name": f"vm-{n}", "flavorRef": "1", "imageRef": "img"}}
        status, _, created = call("POST", f"{demo}/servers", server, headers)
        assert status == 202, created
        status, _, shown = call("GET", f"{demo}/servers/{created['server']['id']}", None, headers)
        assert status == 200, shown
        status, _, listed = call("GET", f"{demo}/servers/detail", None, headers)
        assert status == 200, listed
    after = gateway.decision_endpoints()
    assert all(after[host] > before.get(host, 0) for host in after), (before, after)
    password = keystone.settings().password.get_secret_value()
    assert password not in (gateway.state_dir / "control-plane.log").read_text()
    command_lines = _worker_command_lines(gateway)
    assert len(command_lines) == WORKERS
    assert not any(password.encode() in line for line in command_lines)
