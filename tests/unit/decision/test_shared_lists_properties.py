"""Property: paging a shared list through the gateway is paging one pod that holds every object.

Pods are podsim's own flavor, key pair and volume type handlers called in memory (their own
sorting, paging, links and faults), each pod holding its own subset of the objects. Walking the
gateway's `next` links (or markers, for volume types, which have none) page by page must give
what one pod holding the union gives for the same query: the same pages, the same links.
"""

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from control_plane.decision.pods.client import PodResponse
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.shared.relay import SharedObjects
from control_plane.model import Pod, Service
from podsim import flavors as sim_flavors
from podsim import volume_types as sim_types
from podsim.faults import Fault
from podsim.handlers import ANONYMOUS_USER
from podsim.keypairs import Keypairs
from tests.unit.decision.fakes import MemoryStore

# podsim keeps request state under plain string keys, as its handlers expect.
pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
PROJECT = "p1"
ORIGIN = "https://gw:8774"
_IDS = st.text(alphabet="0129abz", min_size=1, max_size=3)


class SimPod:
    """One pod's shared objects, answered by podsim's handlers without sockets."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.flavors = sim_flavors.Flavors()
        self.flavors._flavors.clear()
        self.keypairs = Keypairs()
        self.types = sim_types.VolumeTypes()
        self.types._types.clear()

    def hold(self, collection: str, object_id: str) -> None:
        if collection == "flavors":
            self.flavors._flavors[object_id] = sim_flavors._record(
                object_id, f"n-{object_id}", 1, 1, 1
            )
        elif collection == "os-keypairs":
            record = {
                "name": object_id,
                "public_key": "ssh-rsa K",
                "fingerprint": "f",
                "type": "ssh",
            }
            self.keypairs._by_user.add(ANONYMOUS_USER, object_id, record)
        else:
            own_id = f"{self.name}-{object_id}"  # each Cinder gives a type its own id
            self.types._types[own_id] = sim_types._record(own_id, object_id, None, True, {})

    def pod(self) -> Pod:
        endpoints = {
            "compute": f"http://{self.name}.pod/compute/v2.1",
            "volumev3": f"http://{self.name}.pod/volume/v3/$(project_id)s",
        }
        return Pod(self.name, "az", "az", endpoints=endpoints)

    async def get(self, path_and_query: str, headers: Mapping[str, str]) -> PodResponse:
        path = urlsplit(path_and_query).path
        request = make_mocked_request(
            "GET", path_and_query, headers=dict(headers), match_info={"project_id": PROJECT}
        )
        version = headers.get("x-openstack-nova-api-version", "2.1")
        request["version_headers"] = {"X-OpenStack-Nova-API-Version": version}
        handler = {
            "flavors": self.flavors.index,
            "detail": self.flavors.detail,
            "os-keypairs": self.keypairs.index,
            "types": self.types.index,
        }[path.rsplit("/", 1)[-1]]
        try:
            response = await handler(request)
        except Fault as fault:
            return PodResponse(fault.status, json.dumps(fault.body()).encode())
        assert isinstance(response, web.Response) and isinstance(response.body, bytes)
        return PodResponse(response.status, response.body)


def _gateway(pods: list[SimPod]):
    by_host = {f"{pod.name}.pod": pod for pod in pods}

    async def send(method: str, url: str, headers: Mapping[str, str], body: bytes) -> PodResponse:
        parts = urlsplit(url)
        return await by_host[parts.netloc].get(f"{parts.path}?{parts.query}", headers)

    shared = SharedObjects(fanout=Fanout(send=send, timeout_s=5), store=MemoryStore())
    registered = {pod.name: pod.pod() for pod in pods}

    async def get(service: Service, remainder: str, query: str, headers: dict[str, str]):
        call = AcrossPodsCall("req", service, "GET", PROJECT, remainder, query, headers, ORIGIN)
        answer = await shared.answer(call, registered)
        return answer.status, json.loads(answer.body)

    return get


async def _reference(pod: SimPod, service: Service, remainder: str, query: str, headers):
    prefix = "/compute/v2.1" if service is Service.COMPUTE else "/volume/v3"
    answer = await pod.get(f"{prefix}/{PROJECT}{remainder}?{query}", headers)
    return answer.status, json.loads(answer.body)


def _shown(status: int, document: Any) -> tuple[int, Any]:
    """What a client compares: objects by what names them, the next link by its query."""
    if status != 200:
        return status, document
    shown: dict[str, Any] = {}
    for key, value in document.items():
        if key.endswith("_links"):
            shown[key] = [urlsplit(link["href"]).query for link in value]
        else:
            shown[key] = [item.get("keypair", item).get("name") for item in value]
    return status, shown


@st.composite
def _clouds(draw: st.DrawFn):
    collection = draw(st.sampled_from(["flavors", "flavors/detail", "os-keypairs"]))
    pod_count = draw(st.integers(1, 4))
    objects = draw(st.lists(_IDS, unique=True, max_size=12))
    holders = [draw(st.sets(st.integers(0, pod_count - 1), min_size=1)) for _ in objects]
    query: list[str] = [f"limit={draw(st.integers(0, 5))}"] if draw(st.booleans()) else []
    if collection.startswith("flavors") and draw(st.booleans()):
        query.append(f"sort_dir={draw(st.sampled_from(['asc', 'desc']))}")
    marker = draw(st.sampled_from([None, "nope", *objects]))
    if marker is not None:
        query.append(f"marker={marker}")
    return collection, pod_count, list(zip(objects, holders, strict=True)), "&".join(query)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_clouds())
def test_walking_the_gateways_pages_is_walking_one_pod_holding_every_object(cloud) -> None:
    collection, pod_count, objects, query = cloud
    pods = [SimPod(f"pod{n}") for n in range(pod_count)]
    whole = SimPod("whole")
    holder = "os-keypairs" if collection == "os-keypairs" else "flavors"
    for object_id, holders in objects:
        whole.hold(holder, object_id)
        for n in holders:
            pods[n].hold(holder, object_id)
    headers = {"x-openstack-nova-api-version": "2.35"}
    gateway = _gateway(pods)

    async def walk() -> None:
        asked, pages = query, 0
        while True:
            got = _shown(*await gateway(Service.COMPUTE, f"/{collection}", asked, headers))
            want = _shown(
                *await _reference(whole, Service.COMPUTE, f"/{collection}", asked, headers)
            )
            assert got == want, asked
            links = (
                got[1].get(f"{collection.split('/')[0].removeprefix('os-')}_links")
                if got[0] == 200
                else None
            )
            if not links:
                return
            asked, pages = links[0], pages + 1
            assert pages <= len(objects) + 1

    asyncio.run(walk())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_volume_types_page_by_any_pods_own_id_and_show_each_name_once(data) -> None:
    pod_count = data.draw(st.integers(1, 4))
    names = data.draw(st.lists(_IDS, unique=True, max_size=10))
    pods = [SimPod(f"pod{n}") for n in range(pod_count)]
    held: dict[str, list[int]] = {}
    for name in names:
        held[name] = sorted(data.draw(st.sets(st.integers(0, pod_count - 1), min_size=1)))
        for n in held[name]:
            pods[n].hold("types", name)
    limit = data.draw(st.integers(1, 4))
    gateway = _gateway(pods)

    async def walk() -> list[list[str]]:
        pages, query = [], f"limit={limit}"
        while True:
            status, document = await gateway(Service.VOLUME, "/types", query, {})
            assert status == 200 and "volume_types_links" not in document
            page = document["volume_types"]
            pages.append([item["name"] for item in page])
            if len(page) < limit:
                return pages
            # Any pod's id for the last name must do as the marker.
            last = page[-1]["name"]
            query = f"limit={limit}&marker=pod{data.draw(st.sampled_from(held[last]))}-{last}"

    pages = asyncio.run(walk())
    walked = [name for page in pages for name in page]
    assert sorted(walked) == sorted(names) and all(len(page) <= limit for page in pages)
    for pod in pods:
        own = sorted(name for name in names if pod.name in {f"pod{n}" for n in held[name]})
        assert [name for name in walked if name in own] == own  # each pod's own order kept
