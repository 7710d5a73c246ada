"""Creation.record: the routing of a created resource is written even if Envoy gives up, and
a project moved off a full pod is rebound."""

import asyncio
import json
from collections.abc import Mapping

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.create.capacity import Capacity
from control_plane.decision.create.creation import Creation
from control_plane.decision.decide import decide
from control_plane.decision.decisions import Facts, Placed
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import Binding, Pod, ResourceType, Routing, Service
from tests.unit.decision.fake_pods import FakePod, pod
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


def _full_pa_facts(store: MemoryStore, bindings: tuple[Binding, ...]) -> Facts:
    body = {"server": {"name": "vm", "imageRef": "i", "flavorRef": "1", "availability_zone": "az1"}}
    full, room = Capacity(0, 4, full=True), Capacity(4096, 4, full=False)
    return Facts(
        "POST",
        "",
        {},
        store.pods,
        body=json.dumps(body).encode(),
        bindings=bindings,
        capacity={"pa": full, "pb": room},
    )


@pytest.mark.parametrize(("bound_meanwhile", "active"), [(None, "pb"), ("pc", "pc")])
async def test_a_project_moved_off_a_full_pod_is_rebound_unless_bound_anew_meanwhile(
    bound_meanwhile: str | None, active: str
) -> None:
    pods = {name: pod(name, "az1", minute) for minute, name in enumerate(("pa", "pb", "pc"))}
    store = MemoryStore(pods)
    await store.create_binding("p1", "pa")
    op = classify(Service.COMPUTE, "POST", "/v2.1/p1/servers")
    placed = decide(op, _full_pa_facts(store, tuple(await store.active_bindings("p1"))))
    assert isinstance(placed, Placed) and isinstance(op, ResourceOperation)
    assert (placed.target.pod.name, placed.bind, placed.replaces) == ("pb", True, "pa")
    if bound_meanwhile:  # another create's answer came first and moved the project elsewhere
        await store.create_binding("p1", bound_meanwhile)
    table = RoutingTable(store, max_entries=10)
    creation = Creation(op, placed, store=store, routing_table=table, request_id="r")
    answer = json.dumps({"server": {"id": "s1", "OS-EXT-AZ:availability_zone": "x"}}).encode()
    await creation.record(202, answer)
    assert [b.pod_name for b in await store.active_bindings("p1")] == [active]
    assert [b.pod_name for b in store.bindings if not b.active][:1] == ["pa"]
