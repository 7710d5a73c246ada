"""Unhealthy pods in decisions: scheduling, routed requests, lists and fan-outs skip them."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.create.creation import Creation
from control_plane.decision.create.schedule import Placement, schedule
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.pod_choice import usable
from control_plane.decision.pods.fanout import Fanout, PodRequest
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import PodUnavailable
from control_plane.model import Binding, Pod, ResourceType, Routing, Service
from tests.unit.decision.extproc_harness import ListGateway
from tests.unit.decision.fake_pods import FakePod, FakeSend, json_response
from tests.unit.decision.fakes import MemoryStore, owner, place

A1 = Pod(name="a1", az_name="az1")
A2 = Pod(name="a2", az_name="az1")
B1 = Pod(name="b1", az_name="az2")
PODS = [A1, A2, B1]
AT = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Down:
    """A health view with a fixed set of unhealthy pods."""

    pods: frozenset[str] = field(default_factory=frozenset)

    def unhealthy(self, service: Service) -> frozenset[str]:
        return self.pods


def _bound(pod: Pod) -> Binding:
    return Binding(id=f"b-{pod.name}", project_id="p1", az_name=pod.az_name, pod_name=pod.name)


def test_an_unbound_project_falls_back_to_the_next_healthy_pod_of_the_az() -> None:
    assert schedule(PODS, [], "az1", {"a1"}) == Placement(pod=A2, bind=True)


def test_a_project_bound_to_an_unhealthy_pod_gets_a_503_naming_the_az_and_logging_the_pod() -> None:
    with pytest.raises(PodUnavailable, match=r"^Availability zone az1, which holds") as refused:
        schedule(PODS, [_bound(A1)], "az1", {"a1"})
    assert refused.value.detail == "pod a1 is not answering"


def test_without_an_az_a_bound_healthy_pod_elsewhere_is_used_unchanged() -> None:
    assert schedule(PODS, [_bound(A1), _bound(B1)], None, {"a1"}) == Placement(B1, bind=False)


def test_without_an_az_the_blocked_az_is_avoided() -> None:
    assert schedule(PODS, [_bound(A1)], None, {"a1"}) == Placement(pod=B1, bind=True)


def test_an_az_whose_pods_are_all_unhealthy_is_a_503_naming_the_az() -> None:
    with pytest.raises(
        PodUnavailable, match=r"^Availability zone 'az1' is not available"
    ) as refused:
        schedule(PODS, [], "az1", {"a1", "a2"})
    assert refused.value.detail == "pod a1, a2 is not answering"


def test_usable_refuses_an_unhealthy_pod_by_its_zone() -> None:
    with pytest.raises(PodUnavailable, match=r"^Availability zone az1 is not") as refused:
        usable("a1", Pod(name="a1", az_name="az1", endpoints={"compute": "http://a1/v2.1"}),
               Service.COMPUTE, {"a1"})  # fmt: skip
    assert refused.value.detail == "pod a1 is not answering"


async def test_a_routed_request_to_an_unhealthy_pod_is_a_503_naming_its_zone() -> None:
    pod = FakePod("pa", "nova").pod("az1")
    store = MemoryStore({"pa": pod})
    store.routings[("server", "s1")] = Routing("s1", ResourceType.SERVER, "p1", "pa")
    table = RoutingTable(store, max_entries=10)
    op = classify(Service.COMPUTE, "GET", "/v2.1/p1/servers/s1")
    assert (await owner(table, {"pa": pod}, op)).pod == pod
    with pytest.raises(PodUnavailable, match=r"^Availability zone az1 is not available") as refused:
        await owner(table, {"pa": pod}, op, unhealthy={"pa"})
    assert refused.value.detail == "pod pa is not answering"


async def test_a_create_skips_the_unhealthy_pod_and_binds_the_healthy_one() -> None:
    pods = {name: FakePod(name, "nova").pod("az1") for name in ("pa", "pb")}
    store = MemoryStore(pods)
    op = classify(Service.COMPUTE, "POST", "/v2.1/p1/servers")
    body = {"server": {"name": "vm", "imageRef": "i", "flavorRef": "1", "availability_zone": "az1"}}
    unhealthy = Down(frozenset({"pa"})).unhealthy(op.service)
    placed = await place(store, pods, op, json.dumps(body).encode(), unhealthy)
    assert isinstance(op, ResourceOperation)
    creation = Creation(
        op, placed, store=store, routing_table=RoutingTable(store, max_entries=10), request_id="r1"
    )
    assert placed.target.pod.name == "pb"
    await creation.record(202, json.dumps({"server": {"id": "s1"}}).encode())
    assert [b.pod_name for b in await store.active_bindings("p1")] == ["pb"]


async def test_a_list_skips_an_unhealthy_pod_without_asking_it_and_names_it() -> None:
    up, down = FakePod("pa", "nova-a"), FakePod("pb", "nova-b")
    up.add("servers", "p1", "s-a", "a", AT)
    down.add("servers", "p1", "s-b", "b", AT)
    harness = ListGateway(up, down, health=Down(frozenset({"pb"})))
    answer = await harness.get("/v2.1/p1/servers/detail")
    assert answer.status == 200
    assert answer.ids("servers") == ["s-a"]
    assert answer.missing == ("pb",)
    assert down.calls == []


async def test_a_list_whose_pods_are_all_unhealthy_is_a_503_naming_their_zone() -> None:
    harness = ListGateway(FakePod("pa", "nova-a"), health=Down(frozenset({"pa"})))
    answer = await harness.get("/v2.1/p1/servers/detail")
    assert answer.status == 503 and "availability zone az-pa." in json.dumps(answer.body)
    assert answer.missing == ("pa",)


async def test_a_fanout_sends_nothing_to_an_unhealthy_pod() -> None:
    send = FakeSend({name: lambda m, p, b: json_response(200, {}) for name in ("pa", "pb")})
    fanout = Fanout(send=send, timeout_s=5.0, health=Down(frozenset({"pb"})))
    pods = [FakePod(name, "nova").pod("az1") for name in ("pa", "pb")]
    request = PodRequest(Service.COMPUTE, "GET", "p1", "/limits", "", {})
    replies = await fanout.all(pods, request)
    assert [(reply.pod, reply.status) for reply in replies] == [("pa", 200), ("pb", 0)]
    assert send.calls == [("pa", "GET", "/compute/v2.1/p1/limits", {})]
