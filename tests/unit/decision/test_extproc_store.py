"""The decision service over the real Store on SQLite: what it records survives a cold cache."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from control_plane.decision.extproc import DecisionService
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import Pod, ResourceType
from control_plane.store import Store
from tests.unit.decision.extproc_harness import (
    Stream,
    request_body,
    request_headers,
    response_body,
    response_headers,
    set_headers,
)
from tests.unit.decision.fake_pods import FakeCloud

ENDPOINTS = {
    "compute": "http://10.0.0.1:8774/v2.1",
    "volumev3": "http://10.0.0.1:8776/v3/%(tenant_id)s",
}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'podgate.db'}")
    try:
        await store.create_pod(
            Pod(name="a", az_name="az1", pod_az_name="in-a", endpoints=ENDPOINTS)
        )
        await store.create_pod(Pod(name="b", az_name="az1", endpoints=ENDPOINTS))
        yield store
    finally:
        await store.close()


async def _service(store: Store) -> DecisionService:
    """A freshly started decision service: empty routing cache, pods read from the store."""
    pods = {pod.name: pod for pod in await store.list_pods()}
    table = RoutingTable(store, max_entries=100)
    return DecisionService(store=store, routing_table=table, pods=lambda: pods, fetch=FakeCloud())


async def test_created_volume_is_bound_recorded_and_then_routed(store: Store) -> None:
    stream = Stream(await _service(store), "volumev3")
    await stream.send(request_headers("POST", "/v3/p1/volumes"))
    forwarded = await stream.send(request_body(b'{"volume": {"size": 1, "name": "v"}}'))
    assert set_headers(forwarded.request_body.response.header_mutation)[":path"] == "/v3/p1/volumes"
    assert json.loads(forwarded.request_body.response.body_mutation.body) == {
        "volume": {"size": 1, "name": "v", "availability_zone": "in-a"}
    }
    await stream.send(response_headers(202))
    created = b'{"volume": {"id": "v-1", "availability_zone": "in-a", "size": 1}}'
    reply = await stream.send(response_body(created))
    assert json.loads(reply.response_body.response.body_mutation.body)["volume"] == {
        "id": "v-1",
        "availability_zone": "az1",
        "size": 1,
    }

    [binding] = await store.active_bindings("p1")
    assert (binding.az_name, binding.pod_name) == ("az1", "a")
    routing = await store.get_routing(ResourceType.VOLUME, "v-1")
    assert routing is not None and (routing.project_id, routing.pod_name) == ("p1", "a")

    restarted = await _service(store)
    routed = await Stream(restarted, "volumev3").send(
        request_headers("GET", "/v3/p1/volumes/v-1/metadata")
    )
    assert set_headers(routed.request_headers.response.header_mutation) == {
        "x-podgate-pod": "pod.a.volumev3",
        ":path": "/v3/p1/volumes/v-1/metadata",
    }
    other = await Stream(restarted, "volumev3").send(request_headers("GET", "/v3/p2/volumes/v-1"))
    assert other.immediate_response.status.code == 404


async def test_second_create_follows_the_stored_binding(store: Store) -> None:
    b = await store.get_pod("b")
    await store.create_binding("p1", b.name)
    stream = Stream(await _service(store), "compute")
    await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    forwarded = await stream.send(request_body(b'{"server": {"availability_zone": "az1"}}'))
    common = forwarded.request_body.response
    assert set_headers(common.header_mutation)["x-podgate-pod"] == "pod.b.compute"
    assert json.loads(common.body_mutation.body) == {"server": {}}
    assert [x.pod_name for x in await store.active_bindings("p1")] == ["b"]


async def test_concurrent_first_creates_share_one_binding(store: Store) -> None:
    service = await _service(store)
    streams = [Stream(service, "compute") for _ in range(3)]
    for stream in streams:
        await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    replies = await asyncio.gather(*(s.send(request_body(b'{"server": {}}')) for s in streams))
    pods = {set_headers(r.request_body.response.header_mutation)["x-podgate-pod"] for r in replies}
    assert pods == {"pod.a.compute"}
    assert await store.active_bindings("p1") == []  # nothing is bound before the pod answered
    for stream in streams:
        await stream.send(response_headers(202))
    await asyncio.gather(
        *(
            s.send(response_body(json.dumps({"server": {"id": f"s-{n}"}}).encode()))
            for n, s in enumerate(streams)
        )
    )
    assert [b.pod_name for b in await store.active_bindings("p1")] == ["a"]
