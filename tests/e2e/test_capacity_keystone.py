"""Keystone mode: the gateway reads its pods' capacity as its own service user."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import ADMIN, DEMO, Keystone
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.e2e.test_capacity import free_ram
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

SIZES = {"kbig": "8192", "ksmall": "2048"}


@pytest.fixture
def gateway(tmp_path: Path, keystone: Keystone) -> Iterator[Gateway]:
    """A keystone-mode gateway with two pods of one AZ, the smaller one older."""
    env = keystone.gateway_env(PODGATE_DECISION_CAPACITY_REFRESH_S="0.2")
    gw = Gateway(state_dir=tmp_path / "state", extra_env=env)
    gw.state_dir.mkdir()
    pods: list[SimPod] = []
    try:
        gw.start_control_plane()
        gw.start_envoy()
        for name in ("ksmall", "kbig"):
            pod = start_podsim(name, "nova", tmp_path, "--memory-mb", SIZES[name])
            pods.append(pod)
            endpoints = {"compute": pod.compute_url, "volumev3": pod.volume_url}
            gw.admin().CreatePod(
                admin_pb2.CreatePodRequest(
                    pod=admin_pb2.Pod(name=name, az_name="az-k", endpoints=endpoints)
                ),
                metadata=(("x-auth-token", keystone.token(*ADMIN)),),
            )
        wanted = {"pod.kbig.compute", "pod.ksmall.compute"}
        wait_for(lambda: wanted <= gw.envoy_clusters(), timeout=WAIT_S, what="the pods")
        yield gw
    finally:
        gw.stop()
        for pod in pods:
            pod.proc.stop()


def test_capacity_is_read_with_the_service_token_and_places_a_new_project(
    gateway: Gateway, keystone: Keystone
) -> None:
    wanted = {"kbig": 8192.0, "ksmall": 2048.0}
    wait_for(lambda: free_ram(gateway) == wanted, timeout=WAIT_S, what=f"free RAM {wanted}")
    project = keystone.project_ids["demo"]
    body = {"server": {"name": "vm", "flavorRef": "1", "availability_zone": "az-k"}}
    headers = {"x-auth-token": keystone.token(*DEMO)}
    status, answer_headers, answer = call(
        "POST", f"{gateway.compute_url}/{project}/servers", body, headers
    )
    assert (status, answer_headers["x-podsim-pod"]) == (202, "kbig"), answer
