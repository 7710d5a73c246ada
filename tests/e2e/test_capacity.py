"""Capacity inside an AZ through real Envoy: two podsim pods in one AZ, of different sizes.

The gateway reads each pod's os-hypervisors/detail every 0.2 s here (capacity_refresh_s; 30 s by
default). A new project lands in the roomier pod although the smaller one is older; once that
pod is full the project's next server goes to the other pod and the project is rebound there,
and a project whose pod turns DRAINING is rebound the same way. Users only ever name the AZ.
"""

import json
import re
import subprocess
import time
from collections.abc import Iterator

import pytest

from harness.cloud import running_cloud
from harness.gateway import PODGATE, Gateway, http_get
from harness.http import call
from harness.procs import WAIT_S, SimPod, wait_for
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

AZ = "az-one"
# Registered in this order, so `small` is the older pod: without capacity it would win.
LAYOUT = {"small": (AZ, "nova-one"), "roomy": (AZ, "nova-one")}
SIZES = {"small": ("--memory-mb", "4096"), "roomy": ("--memory-mb", "6144")}
REFRESH_S = 0.2
SMALL_FLAVOR_MB = 2048  # m1.small, flavor "2"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    env = {"PODGATE_DECISION_CAPACITY_REFRESH_S": str(REFRESH_S)}
    root = tmp_path_factory.mktemp("capacity")
    with running_cloud(root, LAYOUT, extra_env=env, podsim_args=SIZES) as running:
        yield running


def free_ram(gateway: Gateway) -> dict[str, float]:
    """The free RAM the control plane last read per pod (its metrics)."""
    text = http_get(f"http://127.0.0.1:{gateway.metrics_port}/metrics")
    pattern = r'^podgate_pod_free_capacity\{pod="([^"]+)",resource="ram_mib"\} (\S+)$'
    return {pod: float(value) for pod, value in re.findall(pattern, text, re.MULTILINE)}


def wait_for_free_ram(gateway: Gateway, wanted: dict[str, float]) -> float:
    """Wait until the gateway has read `wanted`; returns how long that took."""
    started = time.monotonic()
    wait_for(lambda: free_ram(gateway) == wanted, timeout=WAIT_S, what=f"free RAM {wanted}")
    return time.monotonic() - started


def server(gateway: Gateway, project: str) -> str:
    """A server created through the gateway in the AZ; the pod that got it."""
    body = {"server": {"name": "vm", "flavorRef": "2", "availability_zone": AZ}}
    status, headers, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
    assert status == 202, answer
    assert answer["server"].get("OS-EXT-AZ:availability_zone", AZ) == AZ
    return headers["x-podsim-pod"]


def volume(gateway: Gateway, project: str) -> str:
    """A volume created through the gateway in the AZ; the pod that got it."""
    body = {"volume": {"size": 1, "availability_zone": AZ}}
    status, headers, answer = call("POST", f"{gateway.volume_url}/{project}/volumes", body)
    assert status == 202, answer
    assert answer["volume"]["availability_zone"] == AZ
    return headers["x-podsim-pod"]


def bindings(gateway: Gateway, project: str) -> list[tuple[str, bool]]:
    """`podgate binding list --project` as (pod, active), oldest first."""
    result = subprocess.run(
        [*PODGATE, "--json", "binding", "list", "--project", project],
        env=gateway.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return [(b["pod_name"], b["active"]) for b in json.loads(result.stdout)]


def test_a_new_project_lands_in_the_roomier_pod_and_moves_on_once_it_is_full(
    cloud, project: str
) -> None:
    gateway, _ = cloud
    wait_for_free_ram(gateway, {"small": 4096, "roomy": 6144})
    assert server(gateway, project) == "roomy"
    assert bindings(gateway, project) == [("roomy", True)]
    # A bound pod with room keeps the project, whatever the other pod has.
    assert [server(gateway, project) for _ in range(2)] == ["roomy", "roomy"]
    lag = wait_for_free_ram(gateway, {"small": 4096, "roomy": 6144 - 3 * SMALL_FLAVOR_MB})
    print(f"\nroomy seen full {lag * 1000:.0f} ms after its last server (refresh {REFRESH_S} s)")
    assert server(gateway, project) == "small"
    assert bindings(gateway, project) == [("roomy", False), ("small", True)]


def test_a_project_whose_pod_is_draining_is_rebound_for_new_resources(cloud, project: str) -> None:
    gateway, _ = cloud
    first = server(gateway, project)
    other = next(name for name in LAYOUT if name != first)
    admin = gateway.admin()
    admin.UpdatePod(admin_pb2.UpdatePodRequest(name=first, state=admin_pb2.DRAINING))
    try:
        # Only ENABLED pods are read: once the gateway stops reading it, it sees it draining.
        wait_for(lambda: first not in free_ram(gateway), timeout=WAIT_S, what=f"{first} drained")
        assert volume(gateway, project) == other
        assert bindings(gateway, project) == [(first, False), (other, True)]
        assert server(gateway, project) == other
    finally:
        admin.UpdatePod(admin_pb2.UpdatePodRequest(name=first, state=admin_pb2.ENABLED))
