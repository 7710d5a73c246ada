"""podsim's Cinder transfers, groups, group snapshots, messages and volume summary over HTTP."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, volume_api

POD = ("pod-g", "az-g", "--test-hooks")
V357, V314, V336 = (
    {"OpenStack-API-Version": f"volume {version}"} for version in ("3.57", "3.14", "3.36")
)


async def _volume(http: aiohttp.ClientSession, pod: SimPod, project: str, **extra) -> str:
    body = {"volume": {"size": 2, **extra}}
    status, _, answer = await call(http, "POST", f"{volume_api(pod, project)}/volumes", body)
    assert status == 202, answer
    return answer["volume"]["id"]  # type: ignore[index]


async def test_a_transfer_gives_the_volume_to_the_accepting_project(pod, project) -> None:
    other = f"{project}-2"
    async with aiohttp.ClientSession() as http:
        volume_id = await _volume(http, pod, project)
        url = f"{volume_api(pod, project)}/volume-transfers"
        body = {"transfer": {"volume_id": volume_id, "name": "t"}}
        status, _, created = await call(http, "POST", url, body, headers=V357)
        assert status == 202, created
        transfer = created["transfer"]  # type: ignore[index]
        assert {"auth_key", "no_snapshots", "accepted", "source_project_id"} <= set(transfer)
        status, _, listed = await call(
            http, "GET", f"{volume_api(pod, project)}/os-volume-transfer"
        )
        assert listed == {
            "transfers": [
                {
                    "id": transfer["id"],
                    "volume_id": volume_id,
                    "name": "t",
                    "links": transfer["links"],
                }
            ]
        }
        accept = f"{volume_api(pod, other)}/os-volume-transfer/{transfer['id']}/accept"
        status, _, refused = await call(http, "POST", accept, {"accept": {"auth_key": "no"}})
        assert status == 400, refused
        key = {"accept": {"auth_key": transfer["auth_key"]}}
        status, _, accepted = await call(http, "POST", accept, key)
        assert (status, accepted["transfer"]["volume_id"]) == (202, volume_id)  # type: ignore[index]
        status, _, _ = await call(http, "GET", f"{volume_api(pod, project)}/volumes/{volume_id}")
        assert status == 404
        status, _, shown = await call(http, "GET", f"{volume_api(pod, other)}/volumes/{volume_id}")
        assert (status, shown["volume"]["status"]) == (200, "available")  # type: ignore[index]


async def test_groups_snapshots_and_copies(pod, project) -> None:
    api = volume_api(pod, project)
    async with aiohttp.ClientSession() as http:
        body = {"group": {"name": "g", "group_type": "gt", "volume_types": ["vt"]}}
        status, _, created = await call(http, "POST", f"{api}/groups", body)
        assert status == 202 and set(created["group"]) == {"id", "name"}  # type: ignore[index]
        group_id = created["group"]["id"]  # type: ignore[index]
        await _volume(http, pod, project, group_id=group_id)
        status, _, shown = await call(http, "GET", f"{api}/groups/{group_id}", headers=V314)
        assert shown["group"]["availability_zone"] == "az-g"  # type: ignore[index]
        assert shown["group"]["source_group_id"] is None  # type: ignore[index]
        snapshot = {"group_snapshot": {"group_id": group_id, "name": "gs"}}
        status, _, made = await call(http, "POST", f"{api}/group_snapshots", snapshot)
        assert status == 202 and made["group_snapshot"]["group_type_id"] == "gt"  # type: ignore[index]
        copy = {"create-from-src": {"group_snapshot_id": made["group_snapshot"]["id"]}}  # type: ignore[index]
        status, _, copied = await call(http, "POST", f"{api}/groups/action", copy)
        assert status == 202, copied
        status, _, page = await call(http, "GET", f"{api}/groups/detail?limit=1")
        assert len(page["groups"]) == 1 and page["group_links"][0]["rel"] == "next"  # type: ignore[index]
        delete = {"delete": {"delete-volumes": False}}
        status, _, refused = await call(http, "POST", f"{api}/groups/{group_id}/action", delete)
        assert status == 400, refused
        delete = {"delete": {"delete-volumes": True}}
        status, _, _ = await call(http, "POST", f"{api}/groups/{group_id}/action", delete)
        assert status == 202
        status, _, gone = await call(http, "GET", f"{api}/groups/{group_id}")
        assert gone == {
            "itemNotFound": {"message": f"Group {group_id} could not be found.", "code": 404}
        }


async def test_summary_and_messages(pod, project) -> None:
    api = volume_api(pod, project)
    async with aiohttp.ClientSession() as http:
        await _volume(http, pod, project, metadata={"k": "a"})
        await _volume(http, pod, project, metadata={"k": "a"})
        status, _, summary = await call(http, "GET", f"{api}/volumes/summary", headers=V336)
        assert (status, summary) == (
            200,
            {"volume-summary": {"total_count": 2, "total_size": 4, "metadata": {"k": ["a"]}}},
        )
        seed = {"message": {"resource_uuid": "v1"}}
        status, _, seeded = await call(
            http, "POST", f"{pod.url}/volume/v3/{project}/podsim-messages", seed
        )
        assert status == 201, seeded
        status, _, listed = await call(http, "GET", f"{api}/messages")
        assert listed["messages"] == [seeded["message"]]  # type: ignore[index]
        url = f"{api}/messages/{seeded['message']['id']}"  # type: ignore[index]
        assert (await call(http, "DELETE", url))[0] == 204
        assert (await call(http, "GET", url))[0] == 404
