"""Trio2o's admin REST API (/v1.0) through real Envoy's gRPC-JSON transcoder."""

import json
import re
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from harness.gateway import PODGATE, Gateway
from harness.keystone import ADMIN, DEMO, Keystone
from harness.procs import WAIT_S, SimPod, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = pytest.mark.e2e

PROJECT = "0f3e6cbbd6a54a4c9a1b2c3d4e5f6a7b"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
POD_KEYS = {"pod_id", "pod_name", "pod_az_name", "dc_name", "az_name"}
BINDING_KEYS = {"id", "tenant_id", "pod_id", "is_binding", "created_at", "updated_at"}


async def rest(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    body: object = None,
    *,
    raw: bytes | None = None,
    token: str | None = None,
) -> tuple[int, str, object]:
    """One call: status, content type and the decoded JSON body."""
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["x-auth-token"] = token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    async with http.request(method, url, data=data, headers=headers) as resp:
        return resp.status, resp.content_type, json.loads(await resp.text())


def admin_http(gateway: Gateway) -> aiohttp.ClientSession:
    """A session that shows the gateway's local admin token on every request (as X-Auth-Token)."""
    return aiohttp.ClientSession(headers={"x-auth-token": gateway.admin_token})


def assert_status_json(answer: tuple[int, str, object], status: int, code: int) -> str:
    """An error answer: the HTTP status, JSON google.rpc.Status with the gRPC code; its message."""
    got_status, content_type, body = answer
    assert (got_status, content_type) == (status, "application/json"), answer
    assert isinstance(body, dict) and body["code"] == code and body["details"] == [], body
    return body["message"]


def podgate(gw: Gateway, *args: str) -> str:
    result = subprocess.run(
        [*PODGATE, *args], env={**gw.env}, capture_output=True, text=True, timeout=30, check=True
    )
    return result.stdout


async def test_pods_are_created_listed_shown_and_deleted_in_trio2o_shapes(
    gateway: Gateway,
) -> None:
    pods = f"{gateway.admin_rest_url}/pods"
    wanted = {"pod_name": "Pod1", "az_name": "AZ1", "pod_az_name": "az1", "dc_name": "dc1"}
    async with admin_http(gateway) as http:
        status, content_type, body = await rest(http, "POST", pods, {"pod": wanted})
        assert (status, content_type) == (200, "application/json"), body
        created = body["pod"]
        assert created.keys() == POD_KEYS
        assert UUID.fullmatch(created["pod_id"])
        assert {k: created[k] for k in wanted} == wanted
        pod_url = f"{pods}/{created['pod_id']}"

        assert await rest(http, "GET", pods) == (200, "application/json", {"pods": [created]})
        assert await rest(http, "GET", pod_url) == (200, "application/json", {"pod": created})

        assert await rest(http, "DELETE", pod_url) == (200, "application/json", {})
        assert await rest(http, "GET", pods) == (200, "application/json", {"pods": []})
        message = assert_status_json(await rest(http, "GET", pod_url), 404, 5)
        assert created["pod_id"] in message


async def test_a_rest_created_pod_serves_once_it_has_endpoints(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    pod1 = sim_pods["pod1"]
    async with admin_http(gateway) as http:
        status, _, body = await rest(
            http,
            "POST",
            f"{gateway.admin_rest_url}/pods",
            {"pod": {"pod_name": "pod1", "az_name": "az-east", "pod_az_name": "nova-east"}},
        )
        assert status == 200, body
        listed = json.loads(podgate(gateway, "--json", "pod", "list"))
        assert [(p["name"], p["id"]) for p in listed] == [("pod1", body["pod"]["pod_id"])]
        assert gateway.envoy_clusters() == set()  # no endpoints: no traffic (noauth mode)

        podgate(
            gateway,
            "pod",
            "update",
            "pod1",
            "--endpoint",
            f"compute={pod1.compute_url}",
            "--endpoint",
            f"volumev3={pod1.volume_url}",
        )
        wait_for(
            lambda: gateway.envoy_clusters() == {"pod.pod1.compute", "pod.pod1.volumev3"},
            timeout=WAIT_S,
            what="the REST-created pod's clusters in Envoy",
        )
        server = {"name": "vm", "imageRef": "i", "flavorRef": "1", "availability_zone": "az-east"}
        async with http.post(
            f"{gateway.compute_url}/{PROJECT}/servers", json={"server": server}
        ) as resp:
            assert resp.status == 202, await resp.text()
            assert resp.headers["x-podsim-pod"] == "pod1"


async def test_bindings_are_created_listed_shown_and_deleted_in_trio2o_shapes(
    gateway: Gateway,
) -> None:
    bindings = f"{gateway.admin_rest_url}/bindings"
    async with admin_http(gateway) as http:
        _, _, body = await rest(
            http,
            "POST",
            f"{gateway.admin_rest_url}/pods",
            {"pod": {"pod_name": "Pod1", "az_name": "AZ1"}},
        )
        pod_id = body["pod"]["pod_id"]
        status, _, body = await rest(
            http, "POST", bindings, {"pod_binding": {"tenant_id": "dddddd", "pod_id": pod_id}}
        )
        assert status == 200, body
        bound = body["pod_binding"]
        assert bound.keys() == BINDING_KEYS
        assert (bound["tenant_id"], bound["pod_id"], bound["is_binding"]) == (
            "dddddd",
            pod_id,
            True,
        )
        assert UUID.fullmatch(bound["id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", bound["created_at"])
        binding_url = f"{bindings}/{bound['id']}"

        assert await rest(http, "GET", bindings) == (
            200,
            "application/json",
            {"pod_bindings": [bound]},
        )
        assert await rest(http, "GET", binding_url) == (
            200,
            "application/json",
            {"pod_binding": bound},
        )
        again = {"pod_binding": {"tenant_id": "dddddd", "pod_id": pod_id}}
        assert_status_json(await rest(http, "POST", bindings, again), 409, 6)

        assert await rest(http, "DELETE", binding_url) == (200, "application/json", {})
        assert_status_json(await rest(http, "GET", binding_url), 404, 5)
        assert await rest(http, "GET", bindings) == (
            200,
            "application/json",
            {"pod_bindings": []},
        )


async def test_errors_are_json_with_the_right_status(gateway: Gateway) -> None:
    pods = f"{gateway.admin_rest_url}/pods"
    pod1 = {"pod": {"pod_name": "Pod1", "az_name": "AZ1"}}
    async with admin_http(gateway) as http:
        assert (await rest(http, "POST", pods, pod1))[0] == 200
        message = assert_status_json(await rest(http, "POST", pods, raw=b'{"pod": {'), 400, 3)
        assert message  # the parser's own words
        assert_status_json(await rest(http, "POST", pods, raw=b"[1, 2]"), 400, 3)
        message = assert_status_json(await rest(http, "POST", pods, pod1), 409, 6)
        assert "Pod1" in message
        no_az = {"pod": {"pod_name": "Pod2", "pod_az_name": "az1"}}
        assert "az_name" in assert_status_json(await rest(http, "POST", pods, no_az), 400, 3)
        assert_status_json(await rest(http, "GET", f"{pods}/no-such-pod"), 404, 5)
        assert_status_json(await rest(http, "DELETE", f"{pods}/no-such-pod"), 404, 5)
        unknown_pod = {"pod_binding": {"tenant_id": "t1", "pod_id": "no-such-pod"}}
        bindings = f"{gateway.admin_rest_url}/bindings"
        assert_status_json(await rest(http, "POST", bindings, unknown_pod), 400, 3)
        assert_status_json(await rest(http, "GET", f"{gateway.admin_rest_url}/servers"), 404, 5)
        # The REST port reaches Trio2oAdmin only, never the control plane's other gRPC services.
        assert_status_json(
            await rest(
                http,
                "POST",
                f"http://127.0.0.1:{gateway.admin_rest_port}/podgate.admin.v1.PodAdmin/ListPods",
                raw=b"{}",
            ),
            404,
            5,
        )


@pytest.fixture
def keystone_gateway(tmp_path: Path, keystone: Keystone) -> Iterator[Gateway]:
    gw = Gateway(
        state_dir=tmp_path / "state",
        extra_env=keystone.gateway_env(),
    )
    gw.state_dir.mkdir()
    try:
        gw.start_control_plane()
        gw.start_envoy()
        yield gw
    finally:
        gw.stop()


def keystone_test(test: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Mark a test as needing the real Keystone (skippable locally, with a build timeout)."""
    for mark in KEYSTONE_MARKS:
        test = mark(test)
    return test


@keystone_test
async def test_keystone_mode_forwards_the_token_and_admits_admins_only(
    keystone_gateway: Gateway, keystone: Keystone
) -> None:
    pods = f"{keystone_gateway.admin_rest_url}/pods"
    pod = {"pod": {"pod_name": "Pod1", "az_name": "AZ1"}}
    async with aiohttp.ClientSession() as http:
        assert_status_json(await rest(http, "POST", pods, pod), 401, 16)
        demo = keystone.token(*DEMO)
        assert_status_json(await rest(http, "POST", pods, pod, token=demo), 403, 7)
        assert_status_json(await rest(http, "GET", f"{pods}/x", token=demo), 403, 7)
        admin = keystone.token(*ADMIN)
        status, _, body = await rest(http, "POST", pods, pod, token=admin)
        assert status == 200, body
        assert (await rest(http, "GET", pods, token=admin))[2] == {"pods": [body["pod"]]}
        # The local admin token works in keystone mode too; the audit tells the two apart.
        local = keystone_gateway.admin_token
        assert (await rest(http, "GET", pods, token=local))[0] == 200
        pod2 = {"pod": {"pod_name": "Pod2", "az_name": "AZ2"}}
        assert (await rest(http, "POST", pods, pod2, token=local))[0] == 200
    events = keystone_gateway.admin().ListAuditEvents(admin_pb2.ListAuditEventsRequest()).events
    who = {event.target: event.who for event in events if event.action == "CreatePod"}
    assert who["pod Pod2"] == "local admin token"
    assert who["pod Pod1"] not in ("", "local admin token")  # the Keystone admin's user id
