"""Keystone mode through real Envoy and a real Keystone: tokens, projects, catalog, admin API."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import grpc
import pytest

from harness.gateway import Gateway
from harness.keystone import ADMIN, DEMO, OTHER, Keystone
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

TOKEN_TTL_S = 2.0


@pytest.fixture(scope="module")
def region_pods(
    tmp_path_factory: pytest.TempPathFactory,
    keystone: Keystone,
) -> Iterator[dict[str, SimPod]]:
    """Pods named after Keystone regions, whose endpoints only the catalog knows."""
    logs = tmp_path_factory.mktemp("podsim")
    pods = {"Pod1": start_podsim("Pod1", "nova", logs), "Pod2": start_podsim("Pod2", "nova", logs)}
    for region, pod in pods.items():
        keystone.add_endpoints(region, {"compute": pod.compute_url, "volumev3": pod.volume_url})
    yield pods
    for pod in pods.values():
        pod.proc.stop()


@pytest.fixture
def gateway(
    tmp_path: Path,
    keystone: Keystone,
    region_pods: dict[str, SimPod],
) -> Iterator[Gateway]:
    gw = Gateway(
        state_dir=tmp_path / "state",
        extra_env=keystone.gateway_env(
            PODGATE_KEYSTONE_TOKEN_CACHE_TTL_S=str(TOKEN_TTL_S),
            PODGATE_KEYSTONE_NEGATIVE_CACHE_TTL_S="1",
        ),
    )
    gw.state_dir.mkdir()
    try:
        gw.start_control_plane()
        gw.start_envoy()
        admin = (("x-auth-token", keystone.token(*ADMIN)),)
        for region, az in (("Pod1", "az1"), ("Pod2", "az2")):
            gw.admin().CreatePod(
                admin_pb2.CreatePodRequest(pod=admin_pb2.Pod(name=region, az_name=az)),
                metadata=admin,
            )
        wait_for(
            lambda: {"pod.Pod1.compute", "pod.Pod2.volumev3"} <= gw.envoy_clusters(),
            timeout=WAIT_S,
            what="catalog-discovered pod clusters in Envoy",
        )
        yield gw
    finally:
        gw.stop()


async def fetch(
    http: aiohttp.ClientSession, method: str, url: str, token: str | None, body: object = None
) -> tuple[int, dict, object]:
    headers = {"x-auth-token": token} if token is not None else {}
    async with http.request(method, url, json=body, headers=headers) as resp:
        text = await resp.text()
        return (
            resp.status,
            dict(resp.headers),
            (await resp.json(content_type=None)) if text else None,
        )


async def test_tokens_are_validated_and_projects_enforced(
    gateway: Gateway,
    keystone: Keystone,
) -> None:
    demo_token = keystone.token(*DEMO)
    demo = f"{gateway.compute_url}/{keystone.project_ids['demo']}"
    other = f"{gateway.compute_url}/{keystone.project_ids['other']}"
    async with aiohttp.ClientSession() as http:
        status, headers, body = await fetch(
            http,
            "POST",
            f"{demo}/servers",
            demo_token,
            {"server": {"name": "vm1", "availability_zone": "az2"}},
        )
        assert status == 202, body
        assert headers["x-podsim-pod"] == "Pod2"  # reached through the catalog's endpoint
        server_id = body["server"]["id"]
        status, _, body = await fetch(http, "GET", f"{demo}/servers/{server_id}", demo_token)
        assert status == 200 and body["server"]["id"] == server_id

        status, _, body = await fetch(http, "GET", f"{other}/servers/{server_id}", demo_token)
        assert status == 403 and "forbidden" in body
        status, _, body = await fetch(http, "GET", f"{demo}/servers/{server_id}", None)
        assert status == 401 and "unauthorized" in body
        status, _, body = await fetch(http, "GET", f"{demo}/servers/{server_id}", "garbage")
        assert status == 401 and "unauthorized" in body
        status, headers, _ = await fetch(
            http, "GET", f"{other}/servers/{server_id}", keystone.token(*OTHER)
        )
        assert status == 404 and "x-podsim-pod" not in headers  # another project's id
    logs = (gateway.state_dir / "control-plane.log").read_text() + gateway.envoy.output()
    assert "vm1" in logs or "servers" in logs  # the decisions were logged ...
    assert demo_token not in logs  # ... and the token never was


async def test_a_revoked_token_stops_working_within_the_ttl(
    gateway: Gateway,
    keystone: Keystone,
) -> None:
    token = keystone.token(*DEMO)
    url = f"{gateway.compute_url}/{keystone.project_ids['demo']}/servers/unknown"
    async with aiohttp.ClientSession() as http:
        status, _, _ = await fetch(http, "GET", url, token)
        cached_by = time.monotonic()  # the gateway cached the token before it answered
        assert status == 404  # accepted, then the id is unknown
        keystone.revoke(token)
        # Timed on the machine's monotonic clock, which the gateway's cache uses too: only a
        # request sent while the cached entry can still be fresh may be let through, however
        # long Keystone takes to answer the others on a loaded machine.
        while True:
            sent = time.monotonic()
            status, _, _ = await fetch(http, "GET", url, token)
            if status == 401:
                break
            assert status == 404 and sent < cached_by + TOKEN_TTL_S, (status, sent - cached_by)
            await asyncio.sleep(0.2)


def test_admin_api_needs_an_admin_token(gateway: Gateway, keystone: Keystone) -> None:
    admin = gateway.admin(anonymous=True)
    request = admin_pb2.ListPodsRequest()
    for metadata, code in (
        ((), grpc.StatusCode.UNAUTHENTICATED),
        ((("x-auth-token", "garbage"),), grpc.StatusCode.UNAUTHENTICATED),
        ((("x-auth-token", keystone.token(*DEMO)),), grpc.StatusCode.PERMISSION_DENIED),
    ):
        with pytest.raises(grpc.RpcError) as err:
            admin.ListPods(request, metadata=metadata)
        assert err.value.code() == code
    pods = admin.ListPods(request, metadata=(("x-auth-token", keystone.token(*ADMIN)),)).pods
    assert {p.name for p in pods} == {"Pod1", "Pod2"}
    assert all(p.catalog_endpoints["compute"].endswith("/compute/v2.1") for p in pods)


def test_a_region_missing_from_the_catalog_is_reported_as_no_endpoint(
    gateway: Gateway,
    keystone: Keystone,
) -> None:
    admin = (("x-auth-token", keystone.token(*ADMIN)),)
    pod = gateway.admin().CreatePod(
        admin_pb2.CreatePodRequest(pod=admin_pb2.Pod(name="Nowhere", az_name="az9")),
        metadata=admin,
    )
    assert dict(pod.endpoints) == {} and dict(pod.catalog_endpoints) == {}
    assert not any(name.startswith("pod.Nowhere.") for name in gateway.envoy_clusters())
