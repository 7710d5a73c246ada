"""Neutron's bulk creates (`{"networks": [...]}`): placed together, refused when their items
ask for different zones, each item rewritten for the pod, every created id recorded."""

import json
from datetime import UTC, datetime

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.create.creation import Creation
from control_plane.decision.decide import body_needs, decide, on_behalf, with_project
from control_plane.decision.decisions import Facts, Placed, Reference
from control_plane.decision.mutate import parse_create, parse_created, pod_body, user_body
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import BadRequest
from control_plane.identity.policy import Caller
from control_plane.model import Pod, ResourceType, Routing, Service
from tests.unit.decision.fakes import MemoryStore

NETWORK, PORT = ResourceType.NETWORK, ResourceType.PORT
EAST = Pod("pod-e", "az-east", pod_az_name="nova-e", endpoints={"network": "http://e/network"})
WEST = Pod("pod-w", "az-west", pod_az_name="nova-w", endpoints={"network": "http://w/network"})
PODS = {pod.name: pod for pod in (EAST, WEST)}
ADMIN = Caller("u1", "admin-project", frozenset({"admin"}), True, datetime.now(UTC))


def _body(document: object) -> bytes:
    return json.dumps(document).encode()


def _op(collection: str) -> ResourceOperation:
    op = with_project(
        classify(Service.NETWORK, "POST", f"/v2.0/{collection}"), None, {"x-project-id": "p1"}
    )
    assert isinstance(op, ResourceOperation)
    return op


def test_a_bulk_body_holds_its_items_and_their_one_zone() -> None:
    bulk = {"networks": [{"name": "a"}, {"network": {"availability_zone_hints": ["az-east"]}}]}
    create = parse_create(NETWORK, _body(bulk))
    assert (create.bulk, create.key, len(create.items)) == (True, "networks", 2)
    assert create.availability_zone == "az-east"
    single = parse_create(NETWORK, _body({"network": {"name": "a"}}))
    assert (single.bulk, single.key, len(single.items)) == (False, "network", 1)


def test_the_names_of_every_item_are_followed() -> None:
    ports = {"ports": [{"network_id": "n1"}, {"network_id": "n2"}, {"network_id": "n1"}]}
    needs = body_needs(_op("ports"), _body(ports))
    assert needs.references == (Reference(NETWORK, "n1"), Reference(NETWORK, "n2"))
    assert needs.bindings


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "Resources required"),
        ({"name": "a"}, "'networks': it must be a list"),
        (["a"], r"'networks\[0\]': not an object"),
        (
            [
                {"name": "a", "availability_zone_hints": ["az-east"]},
                {"name": "b"},
                {"name": "c", "availability_zone_hints": ["az-west"]},
            ],
            r"networks\[0\] is in availability zone az-east and networks\[2\] in az-west",
        ),
        ([{"availability_zone_hints": ["az-east", "az-west"]}], "cannot be used together"),
    ],
)
def test_bad_bulk_bodies_are_refused_before_any_pod(items: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_create(NETWORK, _body({"networks": items}))


def test_bulk_creates_are_neutrons_only() -> None:
    with pytest.raises(BadRequest, match="Missing required element 'volume'"):
        parse_create(ResourceType.VOLUME, _body({"volumes": [{"size": 1}]}))


async def test_a_hinted_bulk_goes_to_that_zones_pod_with_each_hint_renamed() -> None:
    items = [{"name": "a", "availability_zone_hints": ["az-west"]}, {"name": "b"}]
    facts = Facts("POST", "/v2.0/networks", {}, PODS, body=_body({"networks": items}))
    placed = decide(_op("networks"), facts)
    assert isinstance(placed, Placed) and placed.target.pod == WEST
    assert placed.body is not None
    assert json.loads(placed.body) == {
        "networks": [{"name": "a", "availability_zone_hints": ["nova-w"]}, {"name": "b"}]
    }


def test_an_unchanged_bulk_goes_on_as_sent() -> None:
    create = parse_create(NETWORK, _body({"networks": [{"name": "a"}, {"name": "b"}]}))
    assert pod_body(create, "nova-e", pin=True) is None


def test_bulk_ports_name_each_pods_own_security_groups() -> None:
    items = [{"network_id": "n1", "security_groups": ["sg"]}, {"network_id": "n1"}]
    create = parse_create(PORT, _body({"ports": items}))
    assert create.groups == ("sg",)
    assert json.loads(pod_body(create, "nova-e", own={"sg": "sg-east"}) or b"") == {
        "ports": [{"network_id": "n1", "security_groups": ["sg-east"]}, {"network_id": "n1"}]
    }


def _ports_on(*networks: tuple[str, Pod]) -> Facts:
    routings = {
        Reference(NETWORK, network): Routing(network, NETWORK, "p1", pod.name)
        for network, pod in networks
    }
    body = _body({"ports": [{"network_id": network} for network, _ in networks]})
    return Facts("POST", "/v2.0/ports", {}, PODS, body=body, referenced=routings)


def test_bulk_ports_go_to_their_networks_pod() -> None:
    placed = decide(_op("ports"), _ports_on(("n1", EAST), ("n2", EAST)))
    assert isinstance(placed, Placed) and placed.target.pod == EAST and placed.body is None


def test_bulk_ports_on_networks_of_two_zones_are_refused_in_zone_terms() -> None:
    with pytest.raises(BadRequest) as refused:
        decide(_op("ports"), _ports_on(("n1", EAST), ("n2", WEST)))
    assert str(refused.value) == (
        "Network n1 and network n2 are in different availability zones: az-east, az-west."
    )
    assert "pod-" not in str(refused.value)


def test_a_bulk_answer_shows_users_zones_in_every_item() -> None:
    answer = {
        "networks": [
            {"id": "n1", "availability_zones": ["nova-e"], "availability_zone_hints": []},
            {"id": "n2", "availability_zones": ["nova-e"], "availability_zone_hints": ["nova-e"]},
        ]
    }
    created = parse_created(NETWORK, _body(answer))
    assert created is not None and created.resource_ids == ("n1", "n2")
    assert json.loads(user_body(created, EAST) or b"") == {
        "networks": [
            {"id": "n1", "availability_zones": ["az-east"], "availability_zone_hints": []},
            {"id": "n2", "availability_zones": ["az-east"], "availability_zone_hints": ["az-east"]},
        ]
    }


async def test_every_id_of_a_bulk_answer_is_routed_with_the_project() -> None:
    store = MemoryStore(PODS)
    table = RoutingTable(store, max_entries=10)
    op = _op("networks")
    facts = Facts("POST", "/v2.0/networks", {}, PODS, body=_body({"networks": [{}, {}]}))
    placed = decide(op, facts)
    assert isinstance(placed, Placed)
    creation = Creation(op, placed, store=store, routing_table=table, request_id="r")
    answer = {"networks": [{"id": "n1"}, {"id": "n2"}]}
    assert await creation.record(201, _body(answer)) is None
    for network in ("n1", "n2"):
        assert await store.get_routing(NETWORK, network) == Routing(
            network, NETWORK, "p1", placed.target.pod.name
        )
    assert [b.pod_name for b in await store.active_bindings("p1")] == [placed.target.pod.name]


def test_an_admins_bulk_for_one_other_project_is_that_projects() -> None:
    op = classify(Service.NETWORK, "POST", "/v2.0/networks")
    for_p2 = {"networks": [{"project_id": "p2"}, {"tenant_id": "p2"}]}
    assert on_behalf(op, _body(for_p2), ADMIN).project_id == "p2"
    mixed = {"networks": [{"project_id": "p2"}, {"name": "mine"}]}
    assert on_behalf(op, _body(mixed), ADMIN) is op
