"""Nova servers over real HTTP against a podsim process: shapes, scoping, lists, paging, sorting."""

import uuid

import aiohttp
import pytest

from harness.procs import SimPod
from tests.podsim import call, compute_api, walk

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-a", "az-sim")
LATEST = {"OpenStack-API-Version": "compute latest"}


async def create(http: aiohttp.ClientSession, pod: SimPod, project: str, **server: object) -> str:
    status, _, body = await call(
        http, "POST", f"{compute_api(pod, project)}/servers", {"server": server}
    )
    assert status == 202, body
    return body["server"]["id"]  # type: ignore[index]


async def test_create_answers_202_like_nova_without_the_availability_zone(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        status, headers, body = await call(
            http, "POST", f"{compute_api(pod, project)}/servers", {"server": {"name": "vm"}}
        )
    assert status == 202
    server = body["server"]  # type: ignore[index]
    assert set(server) == {"id", "links", "OS-DCF:diskConfig", "security_groups", "adminPass"}
    assert server["OS-DCF:diskConfig"] == "MANUAL"
    assert server["security_groups"] == [{"name": "default"}]
    self_href = f"{compute_api(pod, project)}/servers/{server['id']}"
    assert headers["Location"] == self_href
    assert server["links"] == [
        {"rel": "self", "href": self_href},
        {"rel": "bookmark", "href": f"{pod.url}/compute/{project}/servers/{server['id']}"},
    ]


async def test_show_has_the_detail_of_its_microversion_and_no_field_nova_does_not_show(
    pod: SimPod, project: str
) -> None:
    sent = {
        "name": "web-1",
        "imageRef": "img-1",
        "flavorRef": "4",
        "availability_zone": "az-sim",
        "metadata": {"owner": "tests"},
        "key_name": "mykey",
        "tags": ["a", "b"],
        "description": "a test server",
        "user_data": "IyEvYmluL3NoCg==",
        "networks": "auto",
    }
    async with aiohttp.ClientSession() as http:
        keypair = {"keypair": {"name": "mykey"}}
        status, _, _ = await call(http, "POST", f"{compute_api(pod, project)}/os-keypairs", keypair)
        assert status == 200
        server_id = await create(http, pod, project, **sent)
        url = f"{compute_api(pod, project)}/servers/{server_id}"
        _, _, old = await call(http, "GET", url)
        status, _, body = await call(http, "GET", url, headers=LATEST)
    assert status == 200
    assert old["server"]["flavor"]["id"] == "4"  # type: ignore[index]
    assert not {"tags", "description", "locked"} & set(old["server"])  # type: ignore[index]
    server = body["server"]  # type: ignore[index]
    assert server["id"] == server_id and server["name"] == "web-1"
    assert server["status"] == "ACTIVE" and server["tenant_id"] == project
    assert server["OS-EXT-AZ:availability_zone"] == "az-sim"
    assert server["pinned_availability_zone"] == "az-sim"
    assert server["image"]["id"] == "img-1"
    assert server["flavor"] == {
        "vcpus": 4, "ram": 8192, "disk": 80, "ephemeral": 0, "swap": 0,
        "original_name": "m1.large", "extra_specs": {},
    }  # fmt: skip
    for field in ("metadata", "key_name", "tags", "description"):
        assert server[field] == sent[field], field
    assert (server["locked"], server["locked_reason"], server["server_groups"]) == (False, None, [])
    assert server["OS-EXT-SRV-ATTR:hostname"] == "web-1"
    assert not {"user_data", "networks", "imageRef", "adminPass"} & set(server)
    assert server["addresses"] == {}
    assert server["created"] == server["updated"]
    assert len(server["created"]) == len("2024-01-02T03:04:05Z") and server["created"][-1] == "Z"


async def test_links_are_built_from_the_host_header(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await create(http, pod, project, name="vm")
        url = f"{compute_api(pod, project)}/servers/{server_id}"
        _, _, body = await call(http, "GET", url, headers={"Host": "gw.example:8774"})
    assert body["server"]["links"] == [  # type: ignore[index]
        {
            "rel": "self",
            "href": f"http://gw.example:8774/compute/v2.1/{project}/servers/{server_id}",
        },
        {
            "rel": "bookmark",
            "href": f"http://gw.example:8774/compute/{project}/servers/{server_id}",
        },
    ]


async def test_delete_answers_204_then_the_server_is_gone(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await create(http, pod, project, name="vm")
        url = f"{compute_api(pod, project)}/servers/{server_id}"
        status, _, body = await call(http, "DELETE", url)
        assert (status, body) == (204, None)
        gone = {
            "itemNotFound": {"message": f"Instance {server_id} could not be found.", "code": 404}
        }
        status, _, body = await call(http, "GET", url)
        assert (status, body) == (404, gone)
        status, _, body = await call(http, "DELETE", url)
        assert (status, body) == (404, gone)


async def test_another_project_cannot_see_or_delete_a_server(pod: SimPod, project: str) -> None:
    other = uuid.uuid4().hex
    async with aiohttp.ClientSession() as http:
        server_id = await create(http, pod, project, name="mine")
        for method in ("GET", "DELETE"):
            status, _, body = await call(
                http, method, f"{compute_api(pod, other)}/servers/{server_id}"
            )
            assert status == 404 and "itemNotFound" in body  # type: ignore[operator]
        _, _, body = await call(http, "GET", f"{compute_api(pod, other)}/servers/detail")
        assert body == {"servers": []}
        status, _, _ = await call(http, "GET", f"{compute_api(pod, project)}/servers/{server_id}")
        assert status == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "'server' is a required property"),
        ({"server": {"imageRef": "i"}}, "Invalid input for field/attribute server."),
        ({"server": {"name": ""}}, "Invalid input for field/attribute name."),
        (
            {"server": {"name": "vm", "availability_zone": "az-mars"}},
            "The requested availability zone is not available",
        ),
    ],
)
async def test_invalid_creates_are_400_bad_request(
    pod: SimPod, project: str, body: dict, message: str
) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, fault = await call(http, "POST", f"{compute_api(pod, project)}/servers", body)
        _, _, listed = await call(http, "GET", f"{compute_api(pod, project)}/servers")
    assert status == 400
    assert fault["badRequest"]["code"] == 400  # type: ignore[index]
    assert message in fault["badRequest"]["message"]  # type: ignore[index]
    assert listed == {"servers": []}


async def test_malformed_json_is_400_malformed_request_body(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(
            http,
            "POST",
            f"{compute_api(pod, project)}/servers",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
        )
    assert (status, body) == (
        400,
        {"badRequest": {"message": "Malformed request body", "code": 400}},
    )


NAMES = ["delta", "alpha", "charlie", "alpha", "bravo", "echo", "charlie"]


async def make_servers(http: aiohttp.ClientSession, pod: SimPod, project: str) -> list[str]:
    """Servers named NAMES, created in this order; returns their ids in creation order."""
    return [await create(http, pod, project, name=name) for name in NAMES]


async def test_default_order_is_newest_first_and_pages_walk_every_server_once(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        created = await make_servers(http, pod, project)
        _, _, whole = await call(http, "GET", f"{compute_api(pod, project)}/servers/detail")
        pages = await walk(http, f"{compute_api(pod, project)}/servers?limit=3", "servers")
    assert [s["id"] for s in whole["servers"]] == created[::-1]  # type: ignore[index]
    assert "servers_links" not in whole  # type: ignore[operator]
    assert [len(items) for items, _ in pages] == [3, 3, 1]
    assert [links is not None for _, links in pages] == [True, True, False]
    walked = [item for items, _ in pages for item in items]
    assert [s["id"] for s in walked] == created[::-1]
    assert all(set(s) == {"id", "name", "links"} for s in walked)
    first_next = pages[0][1][0]["href"]  # type: ignore[index]
    assert first_next == f"{compute_api(pod, project)}/servers?limit=3&marker={created[-3]}"


async def test_a_full_last_page_still_links_to_an_empty_next_page(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await make_servers(http, pod, project)
        pages = await walk(http, f"{compute_api(pod, project)}/servers/detail?limit=7", "servers")
    assert [len(items) for items, _ in pages] == [7, 0]
    assert "/servers/detail?" in pages[0][1][0]["href"]  # type: ignore[index]


@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_sort_by_display_name_breaks_ties_by_creation_in_the_same_direction(
    pod: SimPod, project: str, direction: str
) -> None:
    async with aiohttp.ClientSession() as http:
        created = await make_servers(http, pod, project)
        query = f"sort_key=display_name&sort_dir={direction}"
        _, _, whole = await call(http, "GET", f"{compute_api(pod, project)}/servers?{query}")
        pages = await walk(http, f"{compute_api(pod, project)}/servers?{query}&limit=2", "servers")
    expected = sorted(zip(NAMES, range(len(NAMES)), created, strict=True))
    if direction == "desc":
        expected.reverse()
    expected_ids = [server_id for _, _, server_id in expected]
    assert [s["id"] for s in whole["servers"]] == expected_ids  # type: ignore[index]
    assert [s["id"] for items, _ in pages for s in items] == expected_ids
    assert [len(items) for items, _ in pages] == [2, 2, 2, 1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort_key=name", "Invalid input for query parameters sort_key. Value: name."),
        ("sort_key=display_name&sort_dir=up", "Unknown sort direction, must be 'desc' or 'asc'"),
        ("limit=x", "Invalid input for query parameters limit."),
        ("marker=no-such-server", "marker [no-such-server] not found"),
    ],
)
async def test_bad_list_parameters_are_400(
    pod: SimPod, project: str, query: str, message: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await create(http, pod, project, name="vm")
        status, _, body = await call(http, "GET", f"{compute_api(pod, project)}/servers?{query}")
    assert status == 400
    assert message in body["badRequest"]["message"]  # type: ignore[index]


async def test_a_marker_of_another_project_is_not_found(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        foreign = await create(http, pod, uuid.uuid4().hex, name="theirs")
        status, _, body = await call(
            http, "GET", f"{compute_api(pod, project)}/servers?marker={foreign}"
        )
    assert (status, body) == (
        400,
        {"badRequest": {"message": f"marker [{foreign}] not found", "code": 400}},
    )


async def test_filters_by_name_regex_status_and_availability_zone(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        created = await make_servers(http, pod, project)

        async def names(query: str) -> list[str]:
            _, _, body = await call(http, "GET", f"{compute_api(pod, project)}/servers?{query}")
            return [s["name"] for s in body["servers"]]  # type: ignore[index]

        assert await names("name=^[ab]") == ["bravo", "alpha", "alpha"]
        assert await names("name=^[ab]&status=active") == ["bravo", "alpha", "alpha"]
        assert await names("status=SHUTOFF") == []
        assert len(await names("availability_zone=^az-sim$")) == len(created)
        assert await names("availability_zone=nova") == []
