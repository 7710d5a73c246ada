"""A control plane listening on every address, with decision workers, tells Envoy the address it
advertises (a name here, as compose's `control-plane`), and requests are decided through it."""

from collections.abc import Iterator

import pytest

from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, wait_for

pytestmark = pytest.mark.e2e

LAYOUT = {"pod1": ("az-east", "nova-east"), "pod2": ("az-west", "nova-west")}
_WORKERS = 2


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    env = {
        "PODGATE_CONTROL_PLANE_HOST": "0.0.0.0",
        "PODGATE_CONTROL_PLANE_ADVERTISE_HOST": "localhost",
        "PODGATE_DECISION_WORKERS": str(_WORKERS),
    }
    with running_cloud(tmp_path_factory.mktemp("advertise"), LAYOUT, extra_env=env) as (gw, _):
        yield gw


def test_every_decision_process_is_reached_at_the_advertised_host(gateway, project) -> None:
    endpoints = wait_for(
        lambda: (found := gateway.decision_endpoints()) and len(found) == 1 + _WORKERS and found,
        timeout=WAIT_S,
        what="the main process and its workers in Envoy's decision cluster",
    )
    assert {host.rpartition(":")[0] for host in endpoints} == {"127.0.0.1"}  # localhost, resolved
    for n in range(3 * (1 + _WORKERS)):  # round robin: every process decides some
        az = ("az-east", "az-west")[n % 2]
        body = {
            "server": {
                "name": f"vm-{n}",
                "flavorRef": "1",
                "imageRef": "i",
                "availability_zone": az,
            }
        }
        status, _, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
        assert status == 202, answer
    after = gateway.decision_endpoints()
    assert all(after[host] > endpoints[host] for host in endpoints), (endpoints, after)
    status, _, listed = call("GET", f"{gateway.compute_url}/{project}/servers/detail")
    assert status == 200
    zones = sorted(server["OS-EXT-AZ:availability_zone"] for server in listed["servers"])
    assert zones == sorted(("az-east", "az-west")[n % 2] for n in range(3 * (1 + _WORKERS)))
