"""Creation.record: the routing of a created resource is written even if Envoy gives up."""

import asyncio
import json
from collections.abc import Mapping

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.create.creation import Creation
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import Pod, ResourceType, Routing, Service
from tests.unit.decision.fake_pods import FakePod
from tests.unit.decision.fakes import MemoryStore, place


class _SlowStore(MemoryStore):
    """A store whose routing writes take a while (a busy database); `written` once one is done."""

    def __init__(self, pods: Mapping[str, Pod]) -> None:
        super().__init__(pods)
        self.written = asyncio.Event()

    async def put_routing(self, routing: Routing) -> Routing:
        await asyncio.sleep(0.1)
        stored = await super().put_routing(routing)
        self.written.set()
        return stored


async def test_a_cancelled_record_still_stores_the_routing() -> None:
    pods = {"pa": FakePod("pa", "nova").pod("az1")}
    store = _SlowStore(pods)
    op = classify(Service.COMPUTE, "POST", "/v2.1/p1/servers")
    table = RoutingTable(store, max_entries=10)
    body = {"server": {"name": "vm", "imageRef": "i", "flavorRef": "1", "availability_zone": "az1"}}
    placed = await place(store, pods, op, json.dumps(body).encode())
    assert isinstance(op, ResourceOperation)
    creation = Creation(op, placed, store=store, routing_table=table, request_id="r")
    answer = json.dumps({"server": {"id": "s1", "OS-EXT-AZ:availability_zone": "nova"}}).encode()
    recording = asyncio.create_task(creation.record(202, answer))
    await asyncio.sleep(0.01)
    recording.cancel()  # Envoy's message timeout ends the stream
    with pytest.raises(asyncio.CancelledError):
        await recording
    await asyncio.wait_for(store.written.wait(), 5)  # the write goes on behind the request
    stored = await store.get_routing(ResourceType.SERVER, "s1")
    assert stored is not None and stored.pod_name == "pa"
