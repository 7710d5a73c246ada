"""Cinder snapshots and backups over real HTTP against podsim: made from a volume of the pod."""

import uuid

import aiohttp
import pytest

from harness.procs import SimPod
from tests.podsim import call, volume_api, walk

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-s", "az-s")


async def volume(http: aiohttp.ClientSession, pod: SimPod, project: str, size: int = 3) -> str:
    body = {"volume": {"size": size}}
    status, _, answer = await call(http, "POST", f"{volume_api(pod, project)}/volumes", body)
    assert status == 202, answer
    return answer["volume"]["id"]  # type: ignore[index]


async def test_a_snapshot_has_its_volumes_size_and_cinders_fields(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        body = {"snapshot": {"volume_id": volume_id, "name": "snap", "metadata": {"k": "v"}}}
        status, _, created = await call(http, "POST", f"{volume_api(pod, project)}/snapshots", body)
        assert status == 202, created
        snapshot = created["snapshot"]  # type: ignore[index]
        assert (snapshot["volume_id"], snapshot["size"], snapshot["name"]) == (volume_id, 3, "snap")
        assert snapshot["status"] == "available" and snapshot["metadata"] == {"k": "v"}
        assert snapshot["os-extended-snapshot-attributes:project_id"] == project
        assert "links" not in snapshot
        url = f"{volume_api(pod, project)}/snapshots/{snapshot['id']}"
        status, _, shown = await call(http, "GET", url)
        assert (status, shown) == (200, created)
        status, _, _ = await call(http, "DELETE", url)
        assert status == 202
        status, _, missing = await call(http, "GET", url)
        assert (status, missing["itemNotFound"]["message"]) == (  # type: ignore[index]
            404,
            f"Snapshot {snapshot['id']} could not be found.",
        )


@pytest.mark.parametrize("kind", ["snapshot", "backup"])
async def test_the_source_volume_must_exist_in_the_project(pod, project, kind) -> None:
    async with aiohttp.ClientSession() as http:
        other = await volume(http, pod, uuid.uuid4().hex)
        body = {kind: {"volume_id": other}}
        status, _, answer = await call(http, "POST", f"{volume_api(pod, project)}/{kind}s", body)
    assert (status, answer) == (
        404,
        {"itemNotFound": {"message": f"Volume {other} could not be found.", "code": 404}},
    )


@pytest.mark.parametrize(
    "body", [{}, {"snapshot": "x"}, {"snapshot": {"name": "no volume"}}], ids=["none", "str", "nv"]
)
async def test_a_snapshot_without_a_volume_is_a_400(pod, project, body) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, answer = await call(http, "POST", f"{volume_api(pod, project)}/snapshots", body)
    assert status == 400 and "badRequest" in answer  # type: ignore[operator]


async def test_a_backup_answers_its_summary_then_shows_its_detail(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project, size=2)
        body = {"backup": {"volume_id": volume_id, "name": "b1", "availability_zone": "az-s"}}
        status, _, created = await call(http, "POST", f"{volume_api(pod, project)}/backups", body)
        assert status == 202, created
        backup = created["backup"]  # type: ignore[index]
        assert set(backup) == {"id", "name", "links"}
        status, _, shown = await call(
            http, "GET", f"{volume_api(pod, project)}/backups/{backup['id']}"
        )
        detail = shown["backup"]  # type: ignore[index]
        assert status == 200
        assert (detail["size"], detail["availability_zone"]) == (2, "az-s")
        assert (detail["volume_id"], detail["status"]) == (volume_id, "available")
        assert detail["os-backup-project-attr:project_id"] == project


async def test_a_backup_in_another_zone_is_refused(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        body = {"backup": {"volume_id": volume_id, "availability_zone": "az-user"}}
        status, _, answer = await call(http, "POST", f"{volume_api(pod, project)}/backups", body)
    assert (status, answer["badRequest"]["message"]) == (  # type: ignore[index]
        400,
        "Availability zone 'az-user' is invalid.",
    )


async def test_an_attached_volume_needs_force_for_a_snapshot(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        attach = {"os-attach": {"host_name": "h1", "mountpoint": "/dev/vdb"}}
        url = f"{volume_api(pod, project)}/volumes/{volume_id}/action"
        assert (await call(http, "POST", url, attach))[0] == 202
        snapshots = f"{volume_api(pod, project)}/snapshots"
        status, _, _ = await call(http, "POST", snapshots, {"snapshot": {"volume_id": volume_id}})
        assert status == 400
        forced = {"snapshot": {"volume_id": volume_id, "force": True}}
        assert (await call(http, "POST", snapshots, forced))[0] == 202


@pytest.mark.parametrize("collection", ["snapshots", "backups"])
async def test_lists_page_newest_first_and_filter_by_volume(pod, project, collection) -> None:
    member = collection[:-1]
    async with aiohttp.ClientSession() as http:
        first, second = await volume(http, pod, project), await volume(http, pod, project)
        made = []
        for source in (first, second, first):
            body = {member: {"volume_id": source}}
            _, _, answer = await call(
                http, "POST", f"{volume_api(pod, project)}/{collection}", body
            )
            made.append(answer[member]["id"])  # type: ignore[index]
        pages = await walk(
            http, f"{volume_api(pod, project)}/{collection}/detail?limit=2", collection
        )
        assert [[item["id"] for item in items] for items, _ in pages] == [
            [made[2], made[1]],
            [made[0]],
        ]
        url = f"{volume_api(pod, project)}/{collection}?volume_id={first}"
        _, _, filtered = await call(http, "GET", url)
        assert [item["id"] for item in filtered[collection]] == [made[2], made[0]]  # type: ignore[index]
