"""Every href a client sees names the gateway, and the project may be left out of the URL.

pod1 serves Nova and Cinder at the gateway's paths (`/v2.1`, `/v3/{project}`): Envoy sends it
the client's Host as X-Forwarded-Host and the pod links to the gateway by itself, on the fast
path too. pod2 sits under devstack's prefixes (`/compute/v2.1`): the answers the decision service
handles are relinked in Python. Real Envoy, podsim pods (which read proxy headers as Nova and
Cinder do with `enable_proxy_headers_parsing`).
"""

from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

from harness.cloud import pod_clusters
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod, start_podsim
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

AT_ROOT, PREFIXED = ("pod1", "az-root"), ("pod2", "az-prefix")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    root = tmp_path_factory.mktemp("links")
    gateway = Gateway(state_dir=root / "state")
    gateway.state_dir.mkdir(parents=True)
    with ExitStack() as stack:
        stack.callback(gateway.stop)
        pods: dict[str, SimPod] = {}
        for name, az in (AT_ROOT, PREFIXED):
            pods[name] = start_podsim(name, az, root)
            stack.callback(pods[name].proc.stop)
        gateway.start_control_plane()
        gateway.start_envoy()
        endpoints = {
            AT_ROOT[0]: {
                "compute": f"{pods[AT_ROOT[0]].url}/v2.1",
                "volumev3": f"{pods[AT_ROOT[0]].url}/v3/$(project_id)s",
            },
            PREFIXED[0]: {
                "compute": pods[PREFIXED[0]].compute_url,
                "volumev3": pods[PREFIXED[0]].volume_url,
            },
        }
        admin = gateway.admin()
        for name, az in (AT_ROOT, PREFIXED):
            network = {"network": pods[name].network_url}
            pod = admin_pb2.Pod(
                name=name, az_name=az, pod_az_name=az, endpoints={**endpoints[name], **network}
            )
            admin.CreatePod(admin_pb2.CreatePodRequest(pod=pod))
        gateway.wait_for_clusters(pod_clusters(pods))
        yield gateway


def _gateway_root(gateway: Gateway) -> str:
    parts = urlsplit(gateway.compute_url)
    return f"{parts.scheme}://{parts.netloc}"


def _create_server(gateway: Gateway, project: str, az: str) -> tuple[str, dict, dict]:
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "img", "availability_zone": az}}
    status, headers, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
    assert status == 202, answer
    return answer["server"]["id"], headers, answer["server"]


def _server_links(gateway: Gateway, project: str, server_id: str) -> list[dict[str, str]]:
    return [
        {"rel": "self", "href": f"{gateway.compute_url}/{project}/servers/{server_id}"},
        {"rel": "bookmark", "href": f"{_gateway_root(gateway)}/{project}/servers/{server_id}"},
    ]


def test_a_pod_at_the_gateways_paths_links_to_the_gateway_on_the_fast_path(
    cloud: Gateway, project: str
) -> None:
    server_id, headers, created = _create_server(cloud, project, AT_ROOT[1])
    links = _server_links(cloud, project, server_id)
    assert headers["location"] == links[0]["href"]
    assert created["links"] == links
    url = f"{cloud.compute_url}/{project}/servers/{server_id}"
    status, _, shown = cloud.fast_path_get(url)  # Envoy alone: the pod wrote these links
    assert status == 200 and shown["server"]["links"] == links
    # What a client sends cannot choose the links a pod writes.
    before = cloud.ext_proc_streams()
    sent = {"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example;proto=https"}
    sent["X-Forwarded-Proto"] = "https"
    status, _, shown = call("GET", url, headers={**sent, "X-Forwarded-Prefix": "/evil"})
    assert status == 200 and shown["server"]["links"] == links
    assert cloud.ext_proc_streams() == before


def test_a_volume_of_a_pod_at_the_gateways_paths_links_to_the_gateway(
    cloud: Gateway, project: str
) -> None:
    volume = {"volume": {"size": 1, "availability_zone": AT_ROOT[1]}}
    status, _, created = call("POST", f"{cloud.volume_url}/{project}/volumes", volume)
    assert status == 202, created
    volume_id = created["volume"]["id"]
    self_href = f"{cloud.volume_url}/{project}/volumes/{volume_id}"
    assert created["volume"]["links"][0] == {"rel": "self", "href": self_href}
    status, _, shown = cloud.fast_path_get(self_href, "volume")
    assert status == 200
    root = urlsplit(cloud.volume_url)
    assert shown["volume"]["links"] == [
        {"rel": "self", "href": self_href},
        {"rel": "bookmark", "href": f"http://{root.netloc}/{project}/volumes/{volume_id}"},
    ]


def test_a_pod_under_a_path_prefix_is_relinked_by_the_decision_service(
    cloud: Gateway, project: str
) -> None:
    server_id, headers, created = _create_server(cloud, project, PREFIXED[1])
    links = _server_links(cloud, project, server_id)
    assert headers["location"] == links[0]["href"]
    assert created["links"] == links
    volume = {"volume": {"size": 1, "availability_zone": PREFIXED[1]}}
    status, _, made = call("POST", f"{cloud.volume_url}/{project}/volumes", volume)
    assert status == 202, made
    self_href = f"{cloud.volume_url}/{project}/volumes/{made['volume']['id']}"
    assert made["volume"]["links"][0] == {"rel": "self", "href": self_href}


def test_project_less_urls_take_the_project_header_without_keystone(
    cloud: Gateway, project: str
) -> None:
    server_id, _, _ = _create_server(cloud, project, AT_ROOT[1])
    mine = {"X-Project-Id": project}
    status, _, listed = call("GET", f"{cloud.compute_url}/servers/detail", headers=mine)
    assert status == 200, listed
    assert [server["id"] for server in listed["servers"]] == [server_id]
    assert listed["servers"][0]["links"] == _server_links(cloud, project, server_id)
    status, _, shown = call("GET", f"{cloud.compute_url}/servers/{server_id}", headers=mine)
    assert status == 200 and shown["server"]["id"] == server_id
    volume = {"volume": {"size": 1, "availability_zone": PREFIXED[1]}}
    status, _, made = call("POST", f"{cloud.volume_url}/volumes", volume, headers=mine)
    assert status == 202, made
    volume_id = made["volume"]["id"]
    status, _, shown = call("GET", f"{cloud.volume_url}/volumes/{volume_id}", headers=mine)
    assert status == 200 and shown["volume"]["id"] == volume_id
    # Project-less paths never take the fast path: the decision service relinks the prefixed
    # pod's answer to the gateway's project URL (a GET of that URL itself may be Envoy's alone,
    # with the pod's own links: README, "Links in answers").
    self_href = f"{cloud.volume_url}/{project}/volumes/{volume_id}"
    assert shown["volume"]["links"][0] == {"rel": "self", "href": self_href}
    status, _, same = call("GET", self_href)
    assert status == 200 and same["volume"]["id"] == volume_id
    status, _, fault = call("GET", f"{cloud.compute_url}/servers/{server_id}")
    assert status == 401, fault
    other = {"X-Project-Id": "someone-else"}
    status, _, fault = call("GET", f"{cloud.volume_url}/volumes/{volume_id}", headers=other)
    assert status == 404 and "itemNotFound" in fault
