"""Lists across three simulated pods through real Envoy: one order, paging, AZs, failures."""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness.gateway import Gateway
from harness.procs import SimPod, start_podsim
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

PROJECT = "5e1f0c2a9b8d4e6f8a7b6c5d4e3f2a1b"
# pod name -> (user-facing AZ, the AZ inside the pod as registered, the pod's own AZ)
LAYOUT = {
    "pod1": ("az-east", "nova-east", "nova-east"),
    "pod2": ("az-west", "", "nova-west"),
    "pod3": ("az-south", "nova-south", "nova-south"),
}
SORTS = {
    "servers": {"": [("created", True), ("id", True)]},
    "volumes": {"": [("created_at", True), ("id", True)]},
}


def call(method: str, url: str, body: object = None) -> tuple[int, dict[str, str], Any]:
    """One HTTP request; status, lower-case headers and the JSON body (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    return status, {k.lower(): v for k, v in headers.items()}, json.loads(raw) if raw else None


@dataclass
class Cloud:
    """A gateway in front of simulated pods, registered under LAYOUT's AZs."""

    gateway: Gateway
    pods: dict[str, SimPod]

    def url(self, collection: str) -> str:
        base = self.gateway.compute_url if collection == "servers" else self.gateway.volume_url
        return f"{base}/{PROJECT}/{collection}"

    def origin(self, collection: str) -> str:
        parts = urlsplit(self.url(collection))
        return f"{parts.scheme}://{parts.netloc}"

    def pod_url(self, pod: str, collection: str) -> str:
        sim = self.pods[pod]
        prefix = "compute/v2.1" if collection == "servers" else "volume/v3"
        return f"{sim.url}/{prefix}/{PROJECT}/{collection}"

    def create(self, collection: str, name: str, az: str) -> str:
        """Create through the gateway; returns the new id."""
        member = collection[:-1]
        resource: dict[str, Any] = {"name": name, "availability_zone": az}
        if collection == "volumes":
            resource["size"] = 1
        status, _, body = call("POST", self.url(collection), {member: resource})
        assert status == 202, body
        return body[member]["id"]

    def create_in_pod(self, pod: str, collection: str, name: str) -> str:
        """Create directly in a pod, behind the gateway's back."""
        member = collection[:-1]
        resource: dict[str, Any] = {"name": name}
        if collection == "volumes":
            resource["size"] = 1
        status, _, body = call("POST", self.pod_url(pod, collection), {member: resource})
        assert status == 202, body
        return body[member]["id"]

    def in_pods(self, collection: str) -> dict[str, str]:
        """Every resource id of the project, asked of the pods themselves, with its pod."""
        found = {}
        for pod in self.pods:
            _, _, body = call("GET", f"{self.pod_url(pod, collection)}/detail")
            found.update({item["id"]: pod for item in body[collection]})
        return found

    def expected(self, collection: str, spec: list[tuple[str, bool]]) -> list[str]:
        """One sorted list of the pods' own detail data (the order a single cloud would give)."""
        items = []
        for pod in self.pods:
            _, _, body = call("GET", f"{self.pod_url(pod, collection)}/detail")
            items += body[collection]
        for field, descending in reversed(spec):
            items.sort(key=lambda item, field=field: item[field], reverse=descending)
        return [item["id"] for item in items]

    def walk(self, url: str, collection: str) -> list[list[dict[str, Any]]]:
        """Every page from `url` on, following next links (which must point at the gateway)."""
        pages = []
        next_url: str | None = url
        while next_url is not None:
            status, headers, body = call("GET", next_url)
            assert status == 200, body
            assert "x-podgate-missing-pods" not in headers
            pages.append(body[collection])
            links = body.get(f"{collection}_links")
            next_url = links[0]["href"] if links else None
            assert next_url is None or next_url.startswith(self.url(collection))
            assert len(pages) < 100
        return pages


def _register(gateway: Gateway, pods: dict[str, SimPod]) -> None:
    admin = gateway.admin()
    for name, sim in pods.items():
        az, pod_az, _ = LAYOUT[name]
        endpoints = {"compute": sim.compute_url, "volumev3": sim.volume_url}
        admin.CreatePod(
            admin_pb2.CreatePodRequest(
                pod=admin_pb2.Pod(name=name, az_name=az, pod_az_name=pod_az, endpoints=endpoints)
            )
        )
    clusters = {f"pod.{name}.{s}" for name in pods for s in ("compute", "volumev3")}
    gateway.wait_for_clusters(clusters)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lists")


def _cloud(logs: Path, tag: str, *podsim_args: str) -> Iterator[Cloud]:
    pods: dict[str, SimPod] = {}
    gateway = Gateway(state_dir=logs / tag / "state")
    gateway.state_dir.mkdir(parents=True)
    try:
        for name, (_, _, inner) in LAYOUT.items():
            pods[name] = start_podsim(name, inner, logs / tag, *podsim_args)
        gateway.start_control_plane()
        gateway.start_envoy()
        _register(gateway, pods)
        yield Cloud(gateway, pods)
    finally:
        gateway.stop()
        for pod in pods.values():
            pod.proc.stop()


@pytest.fixture(scope="module")
def cloud(logs: Path) -> Iterator[Cloud]:
    """Three pods holding interleaved servers and volumes, two of each made behind our back."""
    for made in _cloud(logs, "shared"):
        azs = [LAYOUT[pod][0] for pod in LAYOUT]
        for collection in ("servers", "volumes"):
            for i in range(9):
                made.create(collection, f"{collection[:3]}-{i % 4}", azs[i % 3])
            for i in range(2):
                made.create_in_pod("pod3", collection, f"{collection[:3]}-direct-{i}")
        yield made


@pytest.fixture
def fresh_cloud(logs: Path, request: pytest.FixtureRequest) -> Iterator[Cloud]:
    """Three pods of its own, for a test that stops them."""
    yield from _cloud(logs, request.node.name)


@pytest.mark.parametrize("collection", ["servers", "volumes"])
@pytest.mark.parametrize("limit", [1, 2, 7])
def test_walking_every_page_gives_each_resource_once_in_one_order(
    cloud: Cloud, collection: str, limit: int
) -> None:
    expected = cloud.expected(collection, SORTS[collection][""])
    assert len(expected) == 11 and set(cloud.in_pods(collection).values()) == set(LAYOUT)
    pages = cloud.walk(f"{cloud.url(collection)}/detail?limit={limit}", collection)
    assert [item["id"] for page in pages for item in page] == expected
    assert all(len(page) == limit for page in pages[:-1])


@pytest.mark.parametrize(
    ("collection", "query", "spec"),
    [
        (
            "servers",
            "sort_key=display_name&sort_dir=asc",
            [("name", False), ("created", False), ("id", False)],
        ),
        ("volumes", "sort=name:asc", [("name", False), ("created_at", False), ("id", False)]),
    ],
)
def test_sorting_by_name_pages_in_the_same_order(cloud: Cloud, collection, query, spec) -> None:
    expected = cloud.expected(collection, spec)
    pages = cloud.walk(f"{cloud.url(collection)}/detail?{query}&limit=3", collection)
    assert [item["id"] for page in pages for item in page] == expected


def test_next_links_keep_filters_sort_and_limit(cloud: Cloud) -> None:
    query = "sort_key=display_name&sort_dir=asc&limit=2"
    _, _, body = call("GET", f"{cloud.url('servers')}?{query}")
    last = body["servers"][-1]["id"]
    assert body["servers_links"] == [
        {"rel": "next", "href": f"{cloud.url('servers')}?{query}&marker={last}"}
    ]


@pytest.mark.parametrize(
    ("collection", "explicit_sort"),
    [("servers", "sort_key=created_at&sort_dir=desc"), ("volumes", "sort=created_at:desc")],
)
def test_a_marker_the_gateway_never_gave_resumes_every_pod(
    cloud: Cloud, collection: str, explicit_sort: str
) -> None:
    expected = cloud.expected(collection, SORTS[collection][""])
    owners = cloud.in_pods(collection)
    # A marker whose next items come from the other pods.
    index = next(
        i for i in range(1, len(expected) - 4) if len({owners[x] for x in expected[i : i + 4]}) > 2
    )
    url = f"{cloud.url(collection)}/detail?{explicit_sort}&limit=4&marker={expected[index]}"
    status, _, body = call("GET", url)
    assert status == 200, body
    assert [item["id"] for item in body[collection]] == expected[index + 1 : index + 5]


def test_marker_after_a_control_plane_restart_resumes_every_pod(cloud: Cloud) -> None:
    expected = cloud.expected("servers", SORTS["servers"][""])
    _, _, first = call("GET", f"{cloud.url('servers')}/detail?limit=3")
    next_url = first["servers_links"][0]["href"]
    cloud.gateway.control_plane.stop()
    cloud.gateway.start_control_plane()
    pages = [first["servers"], *cloud.walk(next_url, "servers")]
    assert [item["id"] for page in pages for item in page] == expected


def test_unknown_marker_is_a_bad_request(cloud: Cloud) -> None:
    status, _, body = call("GET", f"{cloud.url('servers')}/detail?marker=nope")
    assert (status, body) == (
        400,
        {"badRequest": {"message": "marker [nope] not found", "code": 400}},
    )
    status, _, body = call("GET", f"{cloud.url('volumes')}?limit=x")
    assert (status, body["badRequest"]["message"]) == (400, "limit param must be an integer")


def test_a_sort_key_the_pods_reject_is_their_answer(cloud: Cloud) -> None:
    # Real Nova only sorts by DB column names: `name` is refused, `display_name` is the one.
    status, _, body = call("GET", f"{cloud.url('servers')}?sort_key=name")
    assert status == 400
    assert body["badRequest"]["message"].startswith(
        "Invalid input for query parameters sort_key. Value: name."
    )


@pytest.mark.parametrize("collection", ["servers", "volumes"])
def test_brief_and_detail_shapes_with_gateway_links(cloud: Cloud, collection: str) -> None:
    _, headers, brief = call("GET", f"{cloud.url(collection)}?limit=4")
    _, _, detail = call("GET", f"{cloud.url(collection)}/detail?limit=4")
    assert headers["content-type"] == "application/json"
    assert headers["x-openstack-request-id"].startswith("req-")
    assert [item["id"] for item in brief[collection]] == [item["id"] for item in detail[collection]]
    origin = cloud.origin(collection)
    version = "v2.1" if collection == "servers" else "v3"
    for item in brief[collection]:
        assert set(item) == {"id", "name", "links"}
        assert item["links"] == [
            {"rel": "self", "href": f"{origin}/{version}/{PROJECT}/{collection}/{item['id']}"},
            {"rel": "bookmark", "href": f"{origin}/{PROJECT}/{collection}/{item['id']}"},
        ]
    for item in detail[collection]:
        assert "created" in item or "created_at" in item
        assert item["links"][0]["href"].startswith(origin)
    assert brief[f"{collection}_links"][0]["href"].startswith(f"{cloud.url(collection)}?limit=4&")


@pytest.mark.parametrize(("az", "pod"), [("az-east", "pod1"), ("az-west", "pod2")])
@pytest.mark.parametrize(
    ("collection", "field"),
    [("servers", "OS-EXT-AZ:availability_zone"), ("volumes", "availability_zone")],
)
def test_az_filter_asks_only_that_azs_pod_and_shows_the_user_facing_az(
    cloud: Cloud, az: str, pod: str, collection: str, field: str
) -> None:
    owners = cloud.in_pods(collection)
    log = cloud.gateway.state_dir / "control-plane.log"
    lines_before = len(log.read_text().splitlines())
    status, _, body = call("GET", f"{cloud.url(collection)}/detail?availability_zone={az}")
    assert status == 200, body
    assert {item["id"] for item in body[collection]} == {
        rid for rid, owner in owners.items() if owner == pod
    }
    assert {item[field] for item in body[collection]} == {az}
    [line] = [line for line in log.read_text().splitlines()[lines_before:] if " list " in line]
    assert f" pods={pod} " in line and " missing=- " in line


def test_every_az_is_rewritten_in_an_unfiltered_list(cloud: Cloud) -> None:
    owners = cloud.in_pods("servers")
    _, _, body = call("GET", f"{cloud.url('servers')}/detail")
    for item in body["servers"]:
        assert item["OS-EXT-AZ:availability_zone"] == LAYOUT[owners[item["id"]]][0]


def test_resource_made_in_a_pod_is_listed_then_routed_by_id(cloud: Cloud) -> None:
    server_id = cloud.create_in_pod("pod2", "servers", "behind-our-back")
    _, _, body = call("GET", f"{cloud.url('servers')}?name=behind-our-back")
    assert [item["id"] for item in body["servers"]] == [server_id]
    status, headers, body = call("GET", f"{cloud.url('servers')}/{server_id}")
    assert (status, headers["x-podsim-pod"]) == (200, "pod2")
    assert body["server"]["OS-EXT-AZ:availability_zone"] == LAYOUT["pod2"][0]


def test_stopped_pods_are_named_then_a_503_when_none_answers(fresh_cloud: Cloud) -> None:
    for pod in LAYOUT:
        fresh_cloud.create("servers", f"vm-{pod}", LAYOUT[pod][0])
    fresh_cloud.pods["pod2"].proc.stop()
    status, headers, body = call("GET", f"{fresh_cloud.url('servers')}/detail")
    assert status == 200, body
    assert headers["x-podgate-missing-pods"] == "pod2"
    assert {item["name"] for item in body["servers"]} == {"vm-pod1", "vm-pod3"}
    fresh_cloud.pods["pod1"].proc.stop()
    fresh_cloud.pods["pod3"].proc.stop()
    status, headers, body = call("GET", f"{fresh_cloud.url('servers')}")
    assert status == 503
    assert headers["x-podgate-missing-pods"] == "pod1,pod2,pod3"
    zones = "az-east, az-west, az-south"
    message = f"The list could not be read from availability zone {zones}."
    assert body == {"serviceUnavailable": {"message": message, "code": 503}}


def test_pods_are_asked_concurrently(logs: Path) -> None:
    delay_s = 0.6  # each pod's list answer; the list deadline (1.75 s) leaves room for one
    for slow in _cloud(logs, "slow", "--delay-ms", str(delay_s * 1000)):
        for pod in LAYOUT:
            slow.create("servers", f"vm-{pod}", LAYOUT[pod][0])
        url = f"{slow.url('servers')}/detail"
        assert call("GET", url)[0] == 200  # warm-up: connections to every pod
        started = time.monotonic()
        status, _, body = call("GET", url)
        elapsed = time.monotonic() - started
        assert status == 200 and len(body["servers"]) == 3
        # Asked one after another, any two pods alone take 2 * delay_s; the rest is room for the
        # gateway's own work on a loaded machine.
        assert elapsed < 2 * delay_s, f"three pods of {delay_s} s took {elapsed:.3f} s"
