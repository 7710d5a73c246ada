"""Neutron bulk creates on podsim over HTTP: every item made, or none (as Neutron's)."""

import aiohttp

from harness.procs import SimPod
from tests.podsim.neutron import Neutron

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-b", "az-bulk")


async def test_bulk_networks_answer_every_item_in_order(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        items = [
            {"name": "n1"},
            {"network": {"name": "n2", "availability_zone_hints": ["az-bulk"]}},
        ]
        status, body = await neutron.call("POST", "networks", {"networks": items})
        assert status == 201, body
        assert [net["name"] for net in body["networks"]] == ["n1", "n2"]
        assert body["networks"][1]["availability_zone_hints"] == ["az-bulk"]
        listed = {net["id"] for net in await neutron.list("network")}
    assert {net["id"] for net in body["networks"]} <= listed


async def test_bulk_ports_on_one_network(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net = await neutron.create("network", name="n")
        items = [{"network_id": net["id"], "name": f"p{i}"} for i in range(3)]
        status, body = await neutron.call("POST", "ports", {"ports": items})
    assert status == 201, body
    assert [(p["name"], p["network_id"]) for p in body["ports"]] == [
        (f"p{i}", net["id"]) for i in range(3)
    ]


async def test_a_refused_item_leaves_nothing_made(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        before = await neutron.list("network")
        items = [{"name": "kept?"}, {"name": "bad", "availability_zone_hints": ["elsewhere"]}]
        status, kind, _ = await neutron.fault("POST", "networks", {"networks": items})
        assert (status, kind) == (404, "AvailabilityZoneNotFound")
        assert await neutron.list("network") == before


async def test_bad_bulk_bodies_are_refused(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        assert await neutron.fault("POST", "networks", {"networks": []}) == (
            400,
            "HTTPBadRequest",
            "Resources required",
        )
        assert await neutron.fault("POST", "networks", {"networks": ["x"]}) == (
            400,
            "HTTPBadRequest",
            "Object 'network' contains invalid data",
        )
