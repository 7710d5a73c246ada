"""Envoy and the decision service check pods' certificates: a pod whose certificate does not
chain to the gateway's CA bundle, or does not name the endpoint's host, gets no request at all
(users' tokens included), unless an operator marks that one pod `--insecure-tls`.

Each pod is a TLS front (tests/fixtures/tls_front.py) that records every request it decodes,
before one simulated pod.
"""

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.gateway import PODGATE, Gateway
from harness.http import call
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.certs import TestCA, self_signed
from tests.fixtures.tls_front import TlsFront

pytestmark = pytest.mark.e2e

_SERVICES = ("compute", "volumev3")


@dataclass
class TlsCloud:
    gateway: Gateway
    sim: SimPod
    fronts: dict[str, TlsFront]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsCloud]:
    root = tmp_path_factory.mktemp("pod-tls")
    ca = TestCA.create(root)
    sim = start_podsim("pod", "nova", root)
    pairs = {
        # Compute by DNS name (SNI and a DNS SAN), volume by IP address (an IP SAN).
        "trusted": ca.issue(root, "trusted", hosts=("localhost", "127.0.0.1")),
        "misnamed": ca.issue(root, "misnamed", hosts=("pod.invalid",)),
        "untrusted": self_signed(root, "untrusted", hosts=("localhost", "127.0.0.1")),
    }
    fronts = {name: TlsFront(pair, sim.url).start() for name, pair in pairs.items()}
    # Users see the trusted pod's zone as the pod names it, so its servers take the fast path.
    zones = {"trusted": "nova", "misnamed": "az-misnamed", "untrusted": "az-untrusted"}
    gateway = Gateway(
        state_dir=root / "state", extra_env={"PODGATE_ENVOY_POD_CA_FILE": str(ca.cert)}
    )
    gateway.state_dir.mkdir()
    try:
        gateway.start_control_plane()
        gateway.start_envoy()
        for name, front in fronts.items():
            endpoints = {
                "compute": f"https://localhost:{front.port}/compute/v2.1",
                "volumev3": f"{front.url}/volume/v3/$(project_id)s",
            }
            pod = admin_pb2.Pod(
                name=name, az_name=zones[name], pod_az_name="nova", endpoints=endpoints
            )
            gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=pod))
        gateway.wait_for_clusters({f"pod.{name}.{s}" for name in fronts for s in _SERVICES})
        yield TlsCloud(gateway, sim, fronts)
    finally:
        gateway.stop()
        for front in fronts.values():
            front.stop()
        sim.proc.stop()


def _create(gateway: Gateway, project: str, az: str) -> tuple[int, dict]:
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "img", "availability_zone": az}}
    status, _, answer = call(
        "POST", f"{gateway.compute_url}/{project}/servers", body, {"x-auth-token": "user-token"}
    )
    return status, answer


def _refused_by_envoy(gateway: Gateway, pod: str, stat: str) -> bool:
    """Envoy tried the pod (health checks) and refused its certificate on every service."""
    return all(gateway.envoy_stat(f"cluster.pod.{pod}.{s}.ssl.{stat}") > 0 for s in _SERVICES)


def test_a_pod_with_a_certificate_the_gateway_trusts_serves(cloud: TlsCloud, project) -> None:
    gateway = cloud.gateway
    created = wait_for(
        lambda: (answer := _create(gateway, project, "nova"))[0] == 202 and answer[1],
        timeout=WAIT_S,
        what="a create in the trusted pod",
    )
    url = f"{gateway.compute_url}/{project}/servers/{created['server']['id']}"
    status, _, body = gateway.fast_path_get(url)  # Envoy alone, over the checked connection
    assert status == 200 and body["server"]["id"] == created["server"]["id"]
    volume = {"volume": {"size": 1, "availability_zone": "nova"}}
    status, _, _ = call("POST", f"{gateway.volume_url}/{project}/volumes", volume)
    assert status == 202
    assert ("POST", f"/compute/v2.1/{project}/servers", True) in cloud.fronts["trusted"].requests
    assert not {name for name in cloud.fronts["trusted"].header_names if "podgate" in name}


def test_untrusted_and_misnamed_pods_get_no_request(cloud: TlsCloud, project) -> None:
    gateway = cloud.gateway
    wait_for(
        lambda: (
            _refused_by_envoy(gateway, "untrusted", "fail_verify_error")
            and _refused_by_envoy(gateway, "misnamed", "fail_verify_san")
        ),
        timeout=WAIT_S,
        what="Envoy to refuse both pods' certificates",
    )
    for pod in ("untrusted", "misnamed"):
        status, fault = _create(gateway, project, f"az-{pod}")
        assert status == 503 and set(fault) == {"serviceUnavailable"}, (pod, fault)
    # The decision service's own calls (lists) refuse them too: they are the missing pods.
    status, headers, listed = call("GET", f"{gateway.compute_url}/{project}/servers")
    assert status == 200 and listed == {"servers": []}
    assert set(headers["x-podgate-missing-pods"].split(",")) == {"untrusted", "misnamed"}
    assert cloud.fronts["untrusted"].requests == []
    assert cloud.fronts["misnamed"].requests == []


def test_insecure_tls_on_one_pod_lets_only_that_pod_in(cloud: TlsCloud, project) -> None:
    gateway = cloud.gateway
    subprocess.run(
        [*PODGATE, "pod", "update", "untrusted", "--insecure-tls"],
        env={**os.environ, **gateway.env},
        check=True,
        capture_output=True,
        timeout=30,
    )
    created = wait_for(
        lambda: (answer := _create(gateway, project, "az-untrusted"))[0] == 202 and answer[1],
        timeout=WAIT_S,
        what="a create in the pod marked --insecure-tls",
    )
    assert ("POST", f"/compute/v2.1/{project}/servers", True) in cloud.fronts["untrusted"].requests

    def listed_by_the_decision_service() -> bool:
        status, headers, listed = call("GET", f"{gateway.compute_url}/{project}/servers")
        ids = {server["id"] for server in listed["servers"]}
        return (
            status == 200
            and created["server"]["id"] in ids
            and (headers.get("x-podgate-missing-pods") == "misnamed")
        )

    wait_for(listed_by_the_decision_service, timeout=WAIT_S, what="the insecure pod in lists")
    assert cloud.fronts["misnamed"].requests == []
