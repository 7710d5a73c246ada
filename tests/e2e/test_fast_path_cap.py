"""At the fast path's cap: the oldest id the control plane saw drops out of Envoy's table, however
busy Envoy keeps it, and when it is asked for again that comeback is counted in /metrics."""

import re
from collections.abc import Iterator

import pytest

from harness.cloud import running_cloud
from harness.gateway import Gateway, http_get
from harness.http import call
from harness.procs import WAIT_S, SimPod, wait_for

pytestmark = pytest.mark.e2e

LAYOUT = {"pod1": ("az-east", "az-east")}
_READMISSIONS = re.compile(r"^podgate_fast_path_readmissions_total (\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    env = {"PODGATE_FAST_PATH_MAX_ENTRIES": "2"}
    with running_cloud(tmp_path_factory.mktemp("cap"), LAYOUT, extra_env=env) as running:
        yield running


def _readmissions(gateway: Gateway) -> float:
    found = _READMISSIONS.search(http_get(f"http://127.0.0.1:{gateway.metrics_port}/metrics"))
    assert found, "podgate_fast_path_readmissions_total is not exported"
    return float(found.group(1))


def _create(gateway: Gateway, project: str, name: str) -> str:
    body = {
        "server": {
            "name": name,
            "flavorRef": "1",
            "imageRef": "img",
            "availability_zone": "az-east",
        }
    }
    status, _, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
    assert status == 202, answer
    return answer["server"]["id"]


def test_a_busy_id_dropped_at_the_cap_comes_back_and_is_counted(cloud, project) -> None:
    gateway, _ = cloud
    first = _create(gateway, project, "vm-first")
    url = f"{gateway.compute_url}/{project}/servers/{{}}"
    gateway.fast_path_get(url.format(first))
    for _ in range(20):  # busy, but only in Envoy: the control plane never sees these
        assert call("GET", url.format(first))[0] == 200
    assert _readmissions(gateway) == 0
    newer = [_create(gateway, project, f"vm-{n}") for n in range(2)]
    for server_id in newer:
        gateway.fast_path_get(url.format(server_id))
    before = gateway.ext_proc_streams("compute")
    status, _, body = call("GET", url.format(first))
    assert status == 200 and body["server"]["name"] == "vm-first"
    assert gateway.ext_proc_streams("compute") == before + 1  # dropped: the decision service
    wait_for(lambda: _readmissions(gateway) == 1, timeout=WAIT_S, what="the comeback counted")
    gateway.fast_path_get(url.format(first))  # and back on the fast path
