"""Neutron lists merged over two podsim pods equal one pod's own lists, walk for walk.

The split pods hold the items between them, the solo pod holds them all under the same ids: a
walk through the gateway's lister (following its `next`, then its `previous` links) must give the
solo Neutron's pages and links, with every sort, filter, `fields` and `page_reverse`.
"""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from control_plane.decision.lists.cursors import CursorCache
from control_plane.errors import NotFound
from tests.adapters.neutron_pods import GATEWAY, NeutronCloud, Page, cloud
from tests.unit.decision.extproc_harness import Gateway, request_headers

OWNER, OTHER = "p-owner", "p-other"
_TIMES = ("created_at", "updated_at")
_NAMES = ("alpha", "beta", "gamma", "beta")


@pytest.fixture
async def neutron() -> AsyncIterator[NeutronCloud]:
    async for started in cloud():
        await _seed(started)
        yield started


async def _seed(neutron: NeutronCloud) -> None:
    """11 of the owner's networks (names and MTUs repeat), another project's shared and private
    ones, and a subnet on every other network, spread over east and west."""
    for n in range(11):
        sim = neutron.east if n % 3 else neutron.west
        network = await neutron.create(
            sim,
            OWNER,
            "network",
            "networks",
            name=_NAMES[n % 4],
            mtu=1400 + 50 * (n % 3),
            admin_state_up=n % 2 == 0,
        )
        if n % 2 == 0:
            await neutron.create(
                sim,
                OWNER,
                "subnet",
                "subnets",
                network_id=network["id"],
                cidr=f"10.{n % 5}.{n}.0/24",
                ip_version=4,
                name=_NAMES[n % 3],
            )
    await neutron.create(neutron.west, OTHER, "network", "networks", name="beta", shared=True)
    await neutron.create(neutron.east, OTHER, "network", "networks", name="alpha")


Get = Callable[[str], Awaitable[Page]]


async def _walk(get: Get, start: str, key: str, origin: str) -> list[tuple[list, list, list]]:
    """Each page (items without timestamps, next and previous queries) following `next` from
    `start` to its end, then `previous` back to the start."""
    pages = []
    path: str | None = start
    for rel in ("next", "previous"):
        while path is not None:
            page = await get(path)
            assert page.status == 200, page.body
            pages.append(_seen(page, key, origin))
            following = page.link(key, rel)
            path = None if following is None else _relative(following, origin)
            assert len(pages) < 40, "the walk does not end"
        last = pages[-1]
        path = None if last[2] is None else f"{start.partition('?')[0]}?{urlencode(last[2])}"
    return pages


def _seen(page: Page, key: str, origin: str) -> tuple[list, list, list]:
    items = [{k: v for k, v in item.items() if k not in _TIMES} for item in page.items(key)]
    links = [page.link(key, rel) for rel in ("next", "previous")]
    queries = [None if link is None else parse_qsl(urlsplit(link).query) for link in links]
    for link in links:
        if link is not None:
            _relative(link, origin)
    return items, queries[0], queries[1]


def _relative(href: str, origin: str) -> str:
    parts = urlsplit(href)
    assert href.startswith(origin), (href, origin)
    return f"{parts.path.removeprefix('/network')}?{parts.query}"


async def _same_walks(neutron: NeutronCloud, start: str, project: str | None = OWNER) -> list:
    key = start.split("/")[2].partition("?")[0].replace("-", "_")
    solo_origin = neutron.solo.endpoint

    async def gateway(path: str) -> Page:
        return await neutron.gateway_get(path, project)

    async def solo(path: str) -> Page:
        return await neutron.solo_get(path, project)

    merged = await _walk(gateway, start, key, GATEWAY)
    alone = await _walk(solo, start, key, solo_origin)
    assert merged == alone
    return merged


@pytest.mark.parametrize(
    "start",
    [
        "/v2.0/networks?limit=3",
        "/v2.0/networks?limit=4&sort_key=name&sort_dir=asc&sort_key=mtu&sort_dir=desc",
        "/v2.0/networks?sort_key=mtu&limit=2&fields=name&fields=mtu&sort_dir=asc",
        "/v2.0/networks?limit=3&admin_state_up=true&sort_key=name&sort_dir=desc",
        "/v2.0/networks?limit=3&page_reverse=True&sort_key=name&sort_dir=asc",
        "/v2.0/networks?limit=5&name=beta&name=gamma&fields=id",
        "/v2.0/networks?limit=20",
        "/v2.0/networks",
        "/v2.0/networks?sort_key=name&sort_dir=asc&page_reverse=true",
        "/v2.0/networks?limit=0&marker=nothing",
        "/v2.0/subnets?limit=2&sort_key=cidr&sort_dir=asc",
        "/v2.0/subnets?limit=2&page_reverse=true&fields=cidr",
    ],
)
async def test_the_merged_walk_is_the_one_pods_walk(neutron: NeutronCloud, start: str) -> None:
    pages = await _same_walks(neutron, start)
    assert sum(len(items) for items, _, _ in pages) > 0


async def test_a_walk_shows_the_other_projects_shared_network_but_not_its_private_one(
    neutron: NeutronCloud,
) -> None:
    pages = await _same_walks(neutron, "/v2.0/networks?limit=4&sort_key=name&sort_dir=asc")
    seen = {item["id"]: item for items, _, _ in pages for item in items}
    others = [item for item in seen.values() if item["project_id"] == OTHER]
    assert [(item["name"], item["shared"]) for item in others] == [("beta", True)]


async def test_an_admin_without_project_lists_every_projects_networks(
    neutron: NeutronCloud,
) -> None:
    pages = await _same_walks(neutron, "/v2.0/networks?limit=5", project=None)
    assert {item["project_id"] for items, _, _ in pages for item in items} == {OWNER, OTHER}


async def test_a_walk_without_cursors_rebuilds_each_page_from_its_marker(
    neutron: NeutronCloud,
) -> None:
    cached = await _same_walks(neutron, "/v2.0/networks?limit=3&sort_key=name&sort_dir=desc")
    forgetful = neutron.lister(cursors=CursorCache(0))

    async def gateway(path: str) -> Page:
        return await neutron.gateway_get(path, OWNER, forgetful)

    start = "/v2.0/networks?limit=3&sort_key=name&sort_dir=desc"
    assert await _walk(gateway, start, "networks", GATEWAY) == cached


async def test_listed_items_are_learnt_with_their_owner(neutron: NeutronCloud) -> None:
    await neutron.gateway_get("/v2.0/networks", OWNER)
    routings = list(neutron.store.routings.values())
    assert len(routings) == 12
    assert {r.project_id for r in routings if r.pod_name == "west"} == {OWNER, OTHER}


async def test_an_unknown_network_marker_is_neutrons_404(neutron: NeutronCloud) -> None:
    solo = await neutron.solo_get("/v2.0/networks?limit=2&marker=nope", OWNER)
    assert solo.status == 404
    with pytest.raises(NotFound) as refused:
        await neutron.gateway_get("/v2.0/networks?limit=2&marker=nope", OWNER)
    assert refused.value.neutron_type == solo.body["NeutronError"]["type"] == "NetworkNotFound"
    assert refused.value.message == solo.body["NeutronError"]["message"]


async def test_an_unknown_subnet_marker_lists_from_the_top(neutron: NeutronCloud) -> None:
    start = "/v2.0/subnets?limit=2&marker=nope&sort_key=name&sort_dir=asc"
    gateway = await neutron.gateway_get(start, OWNER)
    solo = await neutron.solo_get(start, OWNER)
    assert gateway.status == solo.status == 200
    assert _seen(gateway, "subnets", GATEWAY)[0] == _seen(solo, "subnets", neutron.solo.endpoint)[0]


async def test_a_known_marker_the_caller_does_not_see_is_a_404(neutron: NeutronCloud) -> None:
    admin = await neutron.gateway_get("/v2.0/networks?name=alpha", None)
    private = [n["id"] for n in admin.items("networks") if n["project_id"] == OTHER]
    assert len(private) == 1  # learnt by the admin's list
    with pytest.raises(NotFound):
        await neutron.gateway_get(f"/v2.0/networks?limit=2&marker={private[0]}", OWNER)


async def test_a_pods_refusal_of_the_query_is_passed_on(neutron: NeutronCloud) -> None:
    start = "/v2.0/networks?limit=2&sort_key=bogus&sort_dir=asc"
    gateway = await neutron.gateway_get(start, OWNER)
    solo = await neutron.solo_get(start, OWNER)
    assert gateway.status == solo.status == 400
    assert gateway.body == solo.body


async def test_a_pod_down_leaves_a_partial_list_naming_it(neutron: NeutronCloud) -> None:
    await neutron.west.server.close()
    page = await neutron.gateway_get("/v2.0/networks?limit=50", OWNER)
    assert page.status == 200 and page.missing == ("west",)
    assert {n["id"] for n in page.items("networks")} and page.link("networks", "next") is None


async def test_every_pod_down_is_a_503_neutron_error(neutron: NeutronCloud) -> None:
    await neutron.west.server.close()
    await neutron.east.server.close()
    page = await neutron.gateway_get("/v2.0/networks", OWNER)
    assert page.status == 503
    assert page.body["NeutronError"]["type"] == "ServiceUnavailable"
    assert page.missing == ("east", "west")


async def test_a_deleted_resume_marker_of_a_pod_that_ignores_it_repeats_nothing(
    neutron: NeutronCloud,
) -> None:
    network = await neutron.create(neutron.west, OWNER, "network", "networks", name="first")
    made = [
        await neutron.create(
            neutron.west,
            OWNER,
            "subnet",
            "subnets",
            network_id=network["id"],
            cidr=f"10.9.{n}.0/24",
            ip_version=4,
            name=f"aa{n}",
        )
        for n in range(3)
    ]
    start = "/v2.0/subnets?limit=2&sort_key=name&sort_dir=asc"
    first = await neutron.gateway_get(start, OWNER)
    assert [subnet["name"] for subnet in first.items("subnets")] == ["aa0", "aa1"]
    # west resumes after aa1, which is gone: its Neutron ignores the marker, starts at aa0
    await neutron.delete(neutron.west, OWNER, f"subnets/{made[1]['id']}")
    following = first.link("subnets", "next")
    assert following is not None
    rest = await neutron.gateway_get(_relative(following, GATEWAY), OWNER)
    assert [subnet["name"] for subnet in rest.items("subnets")] == ["aa2", "alpha"]
    assert neutron.cursors.hits == 1


async def test_the_network_listener_answers_lists_and_neutron_faults(
    neutron: NeutronCloud,
) -> None:
    gateway = Gateway(*neutron.pods.values(), fetch=neutron.client)  # type: ignore[arg-type]
    headers = {"x-project-id": OWNER, ":scheme": "http"}
    stream = gateway.stream("network")
    listed = await stream.send(request_headers("GET", "/v2.0/networks?limit=2", extra=headers))
    status, body = _immediate(listed)
    assert status == 200 and len(body["networks"]) == 2
    assert {link["rel"] for link in body["networks_links"]} == {"next", "previous"}
    refused = await gateway.stream("network").send(
        request_headers("GET", "/v2.0/networks?limit=two", extra=headers)
    )
    assert _immediate(refused) == (
        400,
        {
            "NeutronError": {
                "type": "BadRequest",
                "message": "Bad limit request: Limit must be an integer 0 or greater and not "
                "'two'.",
                "detail": "",
            }
        },
    )


def _immediate(response: Any) -> tuple[int, dict]:
    assert response.WhichOneof("response") == "immediate_response", response
    immediate = response.immediate_response
    return immediate.status.code, json.loads(immediate.body)


async def test_a_marker_no_routing_names_is_found_in_its_pod_and_learnt(
    neutron: NeutronCloud,
) -> None:
    start = "/v2.0/networks?limit=3&sort_key=mtu&sort_dir=desc"
    first = await neutron.solo_get(start, OWNER)
    following = first.link("networks", "next")
    assert following is not None and not neutron.store.routings
    path = _relative(following, neutron.solo.endpoint)
    gateway = await neutron.gateway_get(path, OWNER)
    solo = await neutron.solo_get(path, OWNER)
    assert _seen(gateway, "networks", GATEWAY) == _seen(solo, "networks", neutron.solo.endpoint)
    marker = dict(parse_qsl(urlsplit(following).query))["marker"]
    assert marker in {r.resource_id for r in neutron.store.routings.values()}  # not on the page
