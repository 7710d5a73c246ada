"""Neutron lists on podsim over HTTP: paging both ways, sorting, fields and filters."""

import uuid
from typing import Any

import aiohttp
import pytest

from harness.procs import SimPod
from tests.podsim.neutron import Neutron

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-l", "az-list")

NAMES = ["delta", "alpha", "charlie", "alpha", "bravo"]


async def make_networks(neutron: Neutron) -> list[dict[str, Any]]:
    """Networks named NAMES (the second `alpha` down), in creation order."""
    nets = []
    for index, name in enumerate(NAMES):
        nets.append(await neutron.create("network", name=name, admin_state_up=index != 3))
    return nets


async def follow(neutron: Neutron, url: str, rel: str) -> list[tuple[list[str], list[str]]]:
    """Follow `rel` links from `url`: each page's network ids and the rels of its links."""
    pages = []
    for _ in range(20):
        status, body = await neutron.call("GET", url)
        assert status == 200, body
        links = body.get("networks_links", [])
        pages.append(([n["id"] for n in body["networks"]], [link["rel"] for link in links]))
        wanted = [link["href"] for link in links if link["rel"] == rel]
        if not wanted:
            return pages
        url = wanted[0]
    raise AssertionError("too many pages")


async def test_forward_pages_by_id_with_next_and_previous_links(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        ids = sorted(n["id"] for n in await make_networks(neutron))
        status, whole = await neutron.call("GET", "networks")
        assert status == 200 and "networks_links" not in whole
        assert [n["id"] for n in whole["networks"]] == ids
        _, first = await neutron.call("GET", "networks?limit=2")
        api = f"{pod.network_url}/v2.0/networks"
        assert first["networks_links"] == [
            {"rel": "next", "href": f"{api}?limit=2&marker={ids[1]}"},
            {"rel": "previous", "href": f"{api}?limit=2&marker={ids[0]}&page_reverse=True"},
        ]
        pages = await follow(neutron, "networks?limit=2", "next")
    assert [page for page, _ in pages] == [ids[0:2], ids[2:4], ids[4:]]
    assert [rels for _, rels in pages] == [["next", "previous"]] * 2 + [["previous"]]


async def test_reverse_pages_walk_back_from_the_end(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        ids = sorted(n["id"] for n in await make_networks(neutron))
        pages = await follow(neutron, "networks?limit=2&page_reverse=true", "previous")
        backwards = await neutron.list("network", "?page_reverse=True")
        assert [n["id"] for n in backwards] == ids[::-1]  # no limit: everything, reversed
        before_last = await follow(
            neutron, f"networks?limit=2&marker={ids[4]}&page_reverse=True", "previous"
        )
    assert [page for page, _ in pages] == [ids[3:5], ids[1:3], ids[0:1]]
    assert [rels for _, rels in pages] == [["next", "previous"]] * 2 + [["next"]]
    assert before_last[0][0] == ids[2:4]


async def test_sort_keys_and_directions(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        nets = await make_networks(neutron)
        by_name = await neutron.list("network", "?sort_key=name&sort_dir=asc")
        two_keys = await neutron.list(
            "network", "?sort_key=name&sort_dir=desc&sort_key=admin_state_up&sort_dir=asc"
        )
        paged = await follow(neutron, "networks?sort_key=name&sort_dir=asc&limit=2", "next")
    alphas = sorted(n["id"] for n in nets if n["name"] == "alpha")
    assert [n["name"] for n in by_name] == sorted(NAMES)
    assert [n["id"] for n in by_name][:2] == alphas
    assert [n["name"] for n in two_keys] == sorted(NAMES, reverse=True)
    assert [n["admin_state_up"] for n in two_keys][-2:] == [False, True]
    assert [i for page, _ in paged for i in page] == [n["id"] for n in by_name]


@pytest.mark.parametrize(
    ("query", "status", "kind", "message"),
    [
        (
            "sort_key=name",
            400,
            "HTTPBadRequest",
            "The number of sort_keys and sort_dirs must be same",
        ),
        (
            "sort_key=colour&sort_dir=asc",
            400,
            "HTTPBadRequest",
            "['colour'] is invalid attribute for sort_keys",
        ),
        (
            "sort_key=name&sort_dir=up",
            400,
            "HTTPBadRequest",
            "['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'",
        ),
        ("colour=red", 400, "HTTPBadRequest", "['colour'] is invalid attribute for filtering"),
        (
            "limit=many",
            400,
            "BadRequest",
            "Bad limit request: Limit must be an integer 0 or greater and not 'many'.",
        ),
        (
            "limit=-1",
            400,
            "BadRequest",
            "Bad limit request: Limit must be an integer 0 or greater and not '-1'.",
        ),
        (
            "admin_state_up=maybe",
            400,
            "InvalidInput",
            "Invalid input for operation: 'maybe' cannot be converted to boolean.",
        ),
    ],
)
async def test_bad_list_queries(
    pod: SimPod, project: str, query: str, status: int, kind: str, message: str
) -> None:
    async with aiohttp.ClientSession() as http:
        assert await Neutron(http, pod, project).fault("GET", f"networks?{query}") == (
            status,
            kind,
            message,
        )


async def test_unknown_marker_is_404_for_networks_ignored_for_subnets_and_without_limit(
    pod: SimPod, project: str
) -> None:
    unknown = str(uuid.uuid4())
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        await neutron.network_with_subnet()
        assert await neutron.fault("GET", f"networks?limit=1&marker={unknown}") == (
            404,
            "NetworkNotFound",
            f"Network {unknown} could not be found.",
        )
        assert len(await neutron.list("network", f"?marker={unknown}")) == 1
        assert len(await neutron.list("subnet", f"?limit=1&marker={unknown}")) == 1
        status, _, _ = await neutron.fault("GET", f"ports?limit=1&marker={unknown}")
        assert status == 404


async def test_fields_and_filters(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        nets = await make_networks(neutron)
        shown = await neutron.list("network", "?fields=id&fields=name&name=bravo")
        either = await neutron.list("network", "?name=alpha&name=bravo")
        both = await neutron.list("network", "?name=alpha&admin_state_up=False")
        assert await neutron.list("network", f"?id={nets[0]['id']}&name=alpha") == []
    assert shown == [{"id": nets[4]["id"], "name": "bravo"}]
    assert sorted(n["id"] for n in either) == sorted(
        n["id"] for n in nets[1:5] if n["name"] != "charlie"
    )
    assert [n["id"] for n in both] == [nets[3]["id"]]


async def test_port_filters(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net, subnet = await neutron.network_with_subnet("10.9.0.0/24")
        other, _ = await neutron.network_with_subnet("10.8.0.0/24")
        a = await neutron.create("port", network_id=net["id"], device_id="vm-a")
        b = await neutron.create("port", network_id=net["id"], device_id="vm-b")
        c = await neutron.create("port", network_id=other["id"], device_id="vm-a")

        async def ids(query: str) -> set[str]:
            return {p["id"] for p in await neutron.list("port", query)}

        assert await ids(f"?network_id={net['id']}") == {a["id"], b["id"]}
        assert await ids("?device_id=vm-a") == {a["id"], c["id"]}
        assert await ids(f"?device_id=vm-a&network_id={net['id']}") == {a["id"]}
        assert await ids("?device_id=vm-a&device_id=vm-b") == {a["id"], b["id"], c["id"]}
        address = b["fixed_ips"][0]["ip_address"]
        assert await ids(f"?fixed_ips=ip_address%3D{address}") == {b["id"]}
        assert await ids(f"?fixed_ips=subnet_id%3D{subnet['id']}") == {a["id"], b["id"]}
