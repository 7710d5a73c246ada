"""Keystone mode on the new surface: version documents without a token, the rest with one."""

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
    """A keystone-mode gateway with one pod whose endpoints are registered explicitly."""
    gw = Gateway(
        state_dir=tmp_path / "state",
        extra_env=keystone.gateway_env(),
    )
    gw.state_dir.mkdir()
    pod: SimPod | None = None
    try:
        pod = start_podsim("kpod", "nova", tmp_path, "--max-compute-version", "2.88")
        gw.start_control_plane()
        gw.start_envoy()
        endpoints = {"compute": pod.compute_url, "volumev3": pod.volume_url}
        gw.admin().CreatePod(
            admin_pb2.CreatePodRequest(
                pod=admin_pb2.Pod(name="kpod", az_name="az-k", endpoints=endpoints)
            ),
            metadata=(("x-auth-token", keystone.token(*ADMIN)),),
        )
        wait_for(lambda: "pod.kpod.compute" in gw.envoy_clusters(), timeout=WAIT_S, what="kpod")
        yield gw
    finally:
        gw.stop()
        if pod is not None:
            pod.proc.stop()


def test_version_documents_need_no_token_but_zones_do(gateway: Gateway, keystone) -> None:
    status, _, body = call("GET", f"{gateway.compute_url}/")
    assert (status, body["version"]["version"]) == (200, "2.88")
    assert call("GET", f"http://127.0.0.1:{gateway.volume_port}/")[0] == 300
    zones = f"{gateway.compute_url}/{keystone.project_ids['demo']}/os-availability-zone"
    assert call("GET", zones)[0] == 401
    status, _, body = call("GET", zones, headers={"x-auth-token": keystone.token(*DEMO)})
    assert (status, body["availabilityZoneInfo"][0]["zoneName"]) == (200, "az-k")


def test_external_events_need_the_admin_or_service_role(gateway: Gateway, keystone) -> None:
    project = keystone.project_ids["demo"]
    url = f"{gateway.compute_url}/{project}/os-server-external-events"
    events = {"events": [{"name": "network-changed", "server_uuid": "0" * 32}] * 1000}
    member = {"x-auth-token": keystone.token(*DEMO)}
    status, _, body = call("POST", url, events, member)
    assert (status, body["forbidden"]["code"]) == (403, 403), body
    admin = {"x-auth-token": keystone.token(*ADMIN)}
    status, _, body = call("POST", url, events, admin)
    assert (status, body) == (
        404,
        {"itemNotFound": {"message": "No instances found for any event", "code": 404}},
    )
