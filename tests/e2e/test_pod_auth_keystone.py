"""Keystone mode, `[fast_path] pod_auth = "verify"` (the default): a pod proven to check tokens
gets GETs of its known ids from Envoy alone, and still refuses another project's token and a
revoked one; a pod that checks nothing stays with the decision service, which refuses them.

`checked` is podsim with `--keystone-url` (Nova's and Cinder's keystonemiddleware and project
check), `lax` is podsim without. Both the gateway and `checked` keep a token's answer for TTL_S.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.gateway import Gateway, http_get
from harness.http import Answer, call
from harness.keystone import ADMIN, DEMO, OTHER, SERVICE, Keystone
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

TTL_S = 3.0
# pod -> its zone (users and the pod call it alike: no answer needs rewriting)
ZONES = {"checked": "az-checked", "lax": "az-lax"}


@dataclass
class Cloud:
    gateway: Gateway
    keystone: Keystone
    pods: dict[str, SimPod]

    def url(self, project: str, server_id: str) -> str:
        return f"{self.gateway.compute_url}/{project}/servers/{server_id}"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, keystone: Keystone) -> Iterator[Cloud]:
    root = tmp_path_factory.mktemp("pod_auth")
    user, password, project = SERVICE
    checks = ("--keystone-url", keystone.auth_url, "--keystone-user", user)
    checks += ("--keystone-project", project, "--token-cache-time", str(TTL_S))
    pods: dict[str, SimPod] = {}
    gateway = Gateway(
        state_dir=root / "state",
        extra_env=keystone.gateway_env(
            PODGATE_KEYSTONE_TOKEN_CACHE_TTL_S=str(TTL_S), PODGATE_DECISION_CAPACITY_REFRESH_S="1"
        ),
    )
    gateway.state_dir.mkdir()
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PODSIM_KEYSTONE_PASSWORD", password)
            pods["checked"] = start_podsim("checked", ZONES["checked"], root, *checks)
        pods["lax"] = start_podsim("lax", ZONES["lax"], root)
        gateway.start_control_plane()
        gateway.start_envoy()
        admin = (("x-auth-token", keystone.token(*ADMIN)),)
        for name, zone in ZONES.items():
            endpoints = {"compute": pods[name].compute_url, "volumev3": pods[name].volume_url}
            pod = admin_pb2.Pod(name=name, az_name=zone, pod_az_name=zone, endpoints=endpoints)
            gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=pod), metadata=admin)
        gateway.wait_for_clusters({f"pod.{n}.{s}" for n in ZONES for s in ("compute", "volumev3")})
        yield Cloud(gateway, keystone, pods)
    finally:
        gateway.stop()
        for pod in pods.values():
            pod.proc.stop()


def _server(cloud: Cloud, pod: str, token: str) -> str:
    project = cloud.keystone.project_ids["demo"]
    body = {"server": {"name": f"vm-{pod}", "flavorRef": "1", "imageRef": "img"}}
    body["server"]["availability_zone"] = ZONES[pod]
    url = f"{cloud.gateway.compute_url}/{project}/servers"
    status, _, made = call("POST", url, body, headers={"x-auth-token": token})
    assert status == 202, made
    return made["server"]["id"]


def _get(cloud: Cloud, url: str, token: str | None) -> tuple[Answer, int]:
    """GET `url` with `token`; the answer and how many decision streams it took."""
    before = cloud.gateway.ext_proc_streams("compute")
    answer = call("GET", url, headers={"x-auth-token": token} if token else None)
    return answer, cloud.gateway.ext_proc_streams("compute") - before


def _refused_once_revoked(cloud: Cloud, url: str) -> None:
    """A token used (so cached by whoever checks it), then revoked, is refused within TTL_S."""
    token = cloud.keystone.token(*DEMO)
    (status, _, _), _ = _get(cloud, url, token)
    cached_by = time.monotonic()
    assert status == 200
    cloud.keystone.revoke(token)
    while True:
        sent = time.monotonic()
        (status, _, body), _ = _get(cloud, url, token)
        if status == 401:
            return
        assert status == 200 and sent < cached_by + TTL_S, (status, sent - cached_by, body)
        time.sleep(0.2)


def test_a_pod_that_checks_tokens_is_on_the_fast_path_and_still_refuses(cloud: Cloud) -> None:
    demo = cloud.keystone.token(*DEMO)
    server_id = _server(cloud, "checked", demo)
    url = cloud.url(cloud.keystone.project_ids["demo"], server_id)

    def fast() -> bool:
        (status, headers, _), streams = _get(cloud, url, demo)
        return status == 200 and streams == 0 and headers.get("x-podsim-pod") == "checked"

    wait_for(fast, timeout=WAIT_S, what="the checked pod's server on the fast path")
    for _ in range(10):
        (status, _, body), streams = _get(cloud, url, demo)
        assert (status, streams, body["server"]["id"]) == (200, 0, server_id)

    # Another project's token on this URL: Nova's own 400, from the pod, without a decision.
    other = cloud.keystone.token(*OTHER)
    (status, headers, body), streams = _get(cloud, url, other)
    assert (status, streams, headers.get("x-podsim-pod")) == (400, 0, "checked")
    assert body["badRequest"]["message"] == (
        f"Malformed request URL: URL's project_id '{cloud.keystone.project_ids['demo']}' "
        f"doesn't match Context's project_id '{cloud.keystone.project_ids['other']}'"
    )
    for token in (None, "garbage"):
        (status, headers, body), streams = _get(cloud, url, token)
        assert (status, streams) == (401, 0) and body["error"]["code"] == 401
        assert headers["www-authenticate"].startswith("Keystone uri=")
    _refused_once_revoked(cloud, url)


def test_a_pod_that_checks_nothing_stays_with_the_decision_service(cloud: Cloud) -> None:
    demo = cloud.keystone.token(*DEMO)
    server_id = _server(cloud, "lax", demo)
    url = cloud.url(cloud.keystone.project_ids["demo"], server_id)
    _server(cloud, "checked", demo)  # a later push: the lax server's routing is in it
    for _ in range(5):
        (status, headers, _), streams = _get(cloud, url, demo)
        assert (status, streams, headers.get("x-podsim-pod")) == (200, 1, "lax")
    (status, _, body), streams = _get(cloud, url, cloud.keystone.token(*OTHER))
    assert (status, streams) == (403, 1) and "forbidden" in body
    assert _get(cloud, url, None)[0][0] == 401
    _refused_once_revoked(cloud, url)


def test_operators_see_which_pods_check_tokens(cloud: Cloud) -> None:
    status = cloud.gateway.admin().GetStatus(admin_pb2.GetStatusRequest())
    lines = {entry.pod.name: list(entry.pod_auth) for entry in status.pods}
    assert [line.split(":")[0] for line in lines["checked"]] == ["compute", "volumev3"]
    assert all("checks tokens" in line for line in lines["checked"])
    assert all("does not check tokens" in line for line in lines["lax"])
    metrics = http_get(f"http://127.0.0.1:{cloud.gateway.metrics_port}/metrics")
    assert 'podgate_pod_auth_passed{pod="checked",service="compute"} 1.0' in metrics
    assert 'podgate_pod_auth_passed{pod="lax",service="compute"} 0.0' in metrics


def test_the_gateways_own_calls_carry_its_token_to_a_checking_pod(cloud: Cloud) -> None:
    demo = {"x-auth-token": cloud.keystone.token(*DEMO)}
    project = cloud.keystone.project_ids["demo"]
    server_id = _server(cloud, "checked", demo["x-auth-token"])
    status, _, listed = call("GET", f"{cloud.gateway.compute_url}/{project}/servers", headers=demo)
    assert status == 200 and server_id in {s["id"] for s in listed["servers"]}
    admin = {"x-auth-token": cloud.keystone.token(*ADMIN)}
    admin_project = cloud.keystone.project_ids["admin"]
    everyone = f"{cloud.gateway.compute_url}/{admin_project}/servers/detail?all_tenants=1"
    status, _, listed = call("GET", everyone, headers=admin)
    assert status == 200 and server_id in {s["id"] for s in listed["servers"]}
    quotas = f"{cloud.gateway.compute_url}/{project}/os-quota-sets/{project}"
    assert call("GET", quotas, headers=demo)[0] == 200
    volume = {"volume": {"size": 1, "availability_zone": ZONES["checked"]}}
    status, _, made = call("POST", f"{cloud.gateway.volume_url}/{project}/volumes", volume, demo)
    assert status == 202, made
    # The capacity reader asks each pod's hypervisors with the gateway's service token.
    wait_for(
        lambda: (
            'podgate_pod_free_capacity{pod="checked",resource="ram_mib"}'
            in http_get(f"http://127.0.0.1:{cloud.gateway.metrics_port}/metrics")
        ),
        timeout=WAIT_S,
        what="the checked pod's capacity, read with the service token",
    )
