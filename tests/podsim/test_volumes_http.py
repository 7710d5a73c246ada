"""Cinder volumes over real HTTP against podsim: shapes, scoping, lists, paging, sorting."""

import uuid

import aiohttp
import pytest

from harness.procs import SimPod
from tests.podsim import call, volume_api, walk

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-v", "az-vol")


async def create(http: aiohttp.ClientSession, pod: SimPod, project: str, **volume: object) -> dict:
    status, _, body = await call(
        http, "POST", f"{volume_api(pod, project)}/volumes", {"volume": volume}
    )
    assert status == 202, body
    return body["volume"]  # type: ignore[index]


async def test_create_answers_202_with_the_availability_zone_and_no_field_cinder_drops(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        volume = await create(
            http, pod, project, size=2, name="data", metadata={"k": "v"}, custom="kept"
        )
    assert volume["availability_zone"] == "az-vol"
    assert (volume["size"], volume["name"], volume["status"]) == (2, "data", "available")
    assert volume["metadata"] == {"k": "v"} and "custom" not in volume
    assert (volume["bootable"], volume["encrypted"], volume["attachments"]) == ("false", False, [])
    assert "os-vol-tenant-attr:tenant_id" not in volume  # show and lists only
    assert volume["volume_type"] and volume["user_id"]
    assert volume["created_at"] == volume["updated_at"]
    assert volume["links"] == [
        {"rel": "self", "href": f"{volume_api(pod, project)}/volumes/{volume['id']}"},
        {"rel": "bookmark", "href": f"{pod.url}/volume/{project}/volumes/{volume['id']}"},
    ]


async def test_show_is_the_create_answer_with_the_owner_and_delete_is_202(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        created = await create(http, pod, project, size=1, availability_zone="az-vol")
        url = f"{volume_api(pod, project)}/volumes/{created['id']}"
        status, _, shown = await call(http, "GET", url)
        owner = {"os-vol-tenant-attr:tenant_id": project}
        assert (status, shown) == (200, {"volume": {**created, **owner}})
        status, _, body = await call(http, "DELETE", url)
        assert (status, body) == (202, None)
        gone = {
            "itemNotFound": {"message": f"Volume {created['id']} could not be found.", "code": 404}
        }
        assert (await call(http, "GET", url))[::2] == (404, gone)
        assert (await call(http, "DELETE", url))[::2] == (404, gone)


async def test_another_project_cannot_see_or_delete_a_volume(pod: SimPod, project: str) -> None:
    other = uuid.uuid4().hex
    async with aiohttp.ClientSession() as http:
        volume_id = (await create(http, pod, project, size=1))["id"]
        for method in ("GET", "DELETE"):
            status, _, _ = await call(http, method, f"{volume_api(pod, other)}/volumes/{volume_id}")
            assert status == 404
        assert (await call(http, "GET", f"{volume_api(pod, other)}/volumes"))[2] == {"volumes": []}
        status, _, _ = await call(http, "GET", f"{volume_api(pod, project)}/volumes/{volume_id}")
        assert status == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required element 'volume' in request body."),
        ({"volume": {"size": 0}}, "Invalid volume size provided for create request: 0"),
        ({"volume": {"name": "no size"}}, "Invalid volume size provided for create request"),
        (
            {"volume": {"size": 1, "availability_zone": "nova"}},
            "Availability zone 'nova' is invalid.",
        ),
    ],
)
async def test_invalid_creates_are_400_bad_request(
    pod: SimPod, project: str, body: dict, message: str
) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, fault = await call(http, "POST", f"{volume_api(pod, project)}/volumes", body)
        _, _, listed = await call(http, "GET", f"{volume_api(pod, project)}/volumes")
    assert status == 400
    assert message in fault["badRequest"]["message"]  # type: ignore[index]
    assert listed == {"volumes": []}


NAMES = ["delta", "alpha", "charlie", "alpha", "bravo"]


async def make_volumes(http: aiohttp.ClientSession, pod: SimPod, project: str) -> list[str]:
    """Volumes named NAMES, created in this order; returns their ids in creation order."""
    return [(await create(http, pod, project, size=1, name=name))["id"] for name in NAMES]


async def test_default_order_is_newest_first_and_pages_walk_every_volume_once(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        created = await make_volumes(http, pod, project)
        _, _, whole = await call(http, "GET", f"{volume_api(pod, project)}/volumes/detail")
        pages = await walk(http, f"{volume_api(pod, project)}/volumes?limit=2", "volumes")
    assert [v["id"] for v in whole["volumes"]] == created[::-1]  # type: ignore[index]
    assert all(v["status"] == "available" for v in whole["volumes"])  # type: ignore[index]
    assert "volumes_links" not in whole  # type: ignore[operator]
    assert [len(items) for items, _ in pages] == [2, 2, 1]
    assert [links is not None for _, links in pages] == [True, True, False]
    walked = [item for items, _ in pages for item in items]
    assert [v["id"] for v in walked] == created[::-1]
    assert all(set(v) == {"id", "name", "links"} for v in walked)


def expected_by_name(created: list[str], direction: str) -> list[str]:
    """Ids sorted by name, ties by creation, both in `direction` (the first one given)."""
    ordered = sorted(zip(NAMES, range(len(NAMES)), created, strict=True))
    return [vid for _, _, vid in (ordered if direction == "asc" else ordered[::-1])]


@pytest.mark.parametrize(
    ("query", "direction"),
    [("sort=name:asc", "asc"), ("sort=name", "desc"), ("sort_key=name&sort_dir=asc", "asc")],
)
async def test_sort_by_name_with_sort_or_legacy_sort_key(
    pod: SimPod, project: str, query: str, direction: str
) -> None:
    async with aiohttp.ClientSession() as http:
        created = await make_volumes(http, pod, project)
        pages = await walk(
            http, f"{volume_api(pod, project)}/volumes/detail?{query}&limit=2", "volumes"
        )
    assert [v["id"] for items, _ in pages for v in items] == expected_by_name(created, direction)
    assert "/volumes/detail?" in pages[0][1][0]["href"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("query", "status", "fault"),
    [
        ("sort=name&sort_key=size", 400, "badRequest"),
        ("sort=color:asc", 400, "badRequest"),
        ("sort_dir=sideways", 400, "badRequest"),
        ("limit=-1", 400, "badRequest"),
        ("marker=no-such-volume", 404, "itemNotFound"),
    ],
)
async def test_bad_list_parameters_are_faults(
    pod: SimPod, project: str, query: str, status: int, fault: str
) -> None:
    async with aiohttp.ClientSession() as http:
        await create(http, pod, project, size=1)
        got, _, body = await call(http, "GET", f"{volume_api(pod, project)}/volumes?{query}")
    assert (got, list(body)) == (status, [fault])  # type: ignore[arg-type]


async def test_unknown_marker_answers_as_cinder_does(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(http, "GET", f"{volume_api(pod, project)}/volumes?marker=nope")
    assert (status, body) == (
        404,
        {"itemNotFound": {"message": "Volume nope could not be found.", "code": 404}},
    )


async def test_filters_by_exact_name_status_and_availability_zone(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        created = await make_volumes(http, pod, project)

        async def ids(query: str) -> list[str]:
            _, _, body = await call(http, "GET", f"{volume_api(pod, project)}/volumes?{query}")
            return [v["id"] for v in body["volumes"]]  # type: ignore[index]

        assert await ids("name=alpha") == [created[3], created[1]]
        assert await ids("name=alp") == []
        assert len(await ids("status=available&availability_zone=az-vol")) == len(NAMES)
        assert await ids("status=error") == []
        assert await ids("availability_zone=az") == []
