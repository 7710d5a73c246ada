"""Keystone mode: a project-less URL (`/v2.1/servers/...`, `/v3/volumes/...`) is the token's
project's; without a token it is a 401, and another project's id stays unknown."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import ADMIN, DEMO, Keystone
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]


@pytest.fixture
def gateway(tmp_path: Path, keystone: Keystone) -> Iterator[Gateway]:
    """A keystone-mode gateway with one pod (Nova and Cinder at the gateway's paths)."""
    gw = Gateway(state_dir=tmp_path / "state", extra_env=keystone.gateway_env())
    gw.state_dir.mkdir()
    pod: SimPod | None = None
    try:
        pod = start_podsim("kpod", "az-k", tmp_path)
        gw.start_control_plane()
        gw.start_envoy()
        endpoints = {"compute": f"{pod.url}/v2.1", "volumev3": f"{pod.url}/v3/$(project_id)s"}
        gw.admin().CreatePod(
            admin_pb2.CreatePodRequest(
                pod=admin_pb2.Pod(
                    name="kpod", az_name="az-k", pod_az_name="az-k", endpoints=endpoints
                )
            ),
            metadata=(("x-auth-token", keystone.token(*ADMIN)),),
        )
        wait_for(lambda: "pod.kpod.compute" in gw.envoy_clusters(), timeout=WAIT_S, what="kpod")
        yield gw
    finally:
        gw.stop()
        if pod is not None:
            pod.proc.stop()


def test_project_less_urls_are_the_tokens_project(gateway: Gateway, keystone: Keystone) -> None:
    demo = {"x-auth-token": keystone.token(*DEMO)}
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "img"}}
    status, headers, made = call("POST", f"{gateway.compute_url}/servers", body, headers=demo)
    assert status == 202, made
    server_id = made["server"]["id"]
    project = keystone.project_ids["demo"]
    # The pod was asked in its own form, with the project: its links name the gateway and it.
    assert headers["location"] == f"{gateway.compute_url}/{project}/servers/{server_id}"
    status, _, listed = call("GET", f"{gateway.compute_url}/servers/detail", headers=demo)
    assert status == 200 and [s["id"] for s in listed["servers"]] == [server_id]
    status, _, shown = call("GET", f"{gateway.compute_url}/servers/{server_id}", headers=demo)
    assert status == 200 and shown["server"]["links"] == listed["servers"][0]["links"]
    volume = {"volume": {"size": 1}}
    status, _, made = call("POST", f"{gateway.volume_url}/volumes", volume, headers=demo)
    assert status == 202, made
    url = f"{gateway.volume_url}/volumes/{made['volume']['id']}"
    assert call("GET", url, headers=demo)[0] == 200
    assert call("GET", url)[0] == 401
    admin = {"x-auth-token": keystone.token(*ADMIN)}
    status, _, theirs = call("GET", f"{gateway.compute_url}/servers/detail", headers=admin)
    assert status == 200 and theirs["servers"] == []  # the admin's own project has none
