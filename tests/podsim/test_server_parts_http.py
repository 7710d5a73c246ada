"""Under one Nova server, over real HTTP against podsim: actions, metadata, tags, attachments."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api, volume_api

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-p", "az-p")


async def server(http: aiohttp.ClientSession, pod: SimPod, project: str) -> str:
    body = {"server": {"name": "vm", "metadata": {"a": "1"}}}
    status, _, answer = await call(http, "POST", f"{compute_api(pod, project)}/servers", body)
    assert status == 202, answer
    return answer["server"]["id"]  # type: ignore[index]


async def test_stop_and_start_change_the_status_and_are_logged(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await server(http, pod, project)
        base = f"{compute_api(pod, project)}/servers/{server_id}"
        status, headers, _ = await call(http, "POST", f"{base}/action", {"os-stop": None})
        assert status == 202
        stop_request = headers["x-openstack-request-id"]
        _, _, shown = await call(http, "GET", base)
        assert shown["server"]["status"] == "SHUTOFF"  # type: ignore[index]
        status, _, conflict = await call(http, "POST", f"{base}/action", {"os-stop": None})
        assert (status, conflict["conflictingRequest"]["code"]) == (409, 409)  # type: ignore[index]
        assert (await call(http, "POST", f"{base}/action", {"os-start": None}))[0] == 202
        _, _, actions = await call(http, "GET", f"{base}/os-instance-actions")
        names = [a["action"] for a in actions["instanceActions"]]  # type: ignore[index]
        assert names == ["start", "stop", "create"]
        status, _, one = await call(http, "GET", f"{base}/os-instance-actions/{stop_request}")
        assert (status, one["instanceAction"]["action"]) == (200, "stop")  # type: ignore[index]


async def test_an_unknown_action_is_novas_400(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await server(http, pod, project)
        url = f"{compute_api(pod, project)}/servers/{server_id}/action"
        status, _, body = await call(http, "POST", url, {"os-teleport": {}})
    assert (status, body["badRequest"]["message"]) == (  # type: ignore[index]
        400,
        "There is no such action: os-teleport",
    )


async def test_metadata_merges_replaces_and_deletes(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await server(http, pod, project)
        url = f"{compute_api(pod, project)}/servers/{server_id}/metadata"
        _, _, merged = await call(http, "POST", url, {"metadata": {"b": "2"}})
        assert merged == {"metadata": {"a": "1", "b": "2"}}
        _, _, item = await call(http, "PUT", f"{url}/c", {"meta": {"c": "3"}})
        assert item == {"meta": {"c": "3"}}
        status, _, _ = await call(http, "PUT", f"{url}/c", {"meta": {"d": "4"}})
        assert status == 400
        assert (await call(http, "DELETE", f"{url}/a"))[0] == 204
        _, _, shown = await call(http, "GET", url)
        assert shown == {"metadata": {"b": "2", "c": "3"}}
        _, _, replaced = await call(http, "PUT", url, {"metadata": {"z": "9"}})
        assert replaced == {"metadata": {"z": "9"}}


async def test_tags_are_added_checked_and_removed(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await server(http, pod, project)
        url = f"{compute_api(pod, project)}/servers/{server_id}/tags"
        assert (await call(http, "PUT", f"{url}/blue"))[0] == 201
        assert (await call(http, "PUT", f"{url}/blue"))[0] == 204
        assert (await call(http, "GET", f"{url}/blue"))[0] == 204
        assert (await call(http, "GET", f"{url}/red"))[0] == 404
        _, _, tags = await call(http, "GET", url)
        assert tags == {"tags": ["blue"]}
        assert (await call(http, "DELETE", f"{url}/blue"))[0] == 204


async def test_addresses_and_interfaces_are_empty(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await server(http, pod, project)
        base = f"{compute_api(pod, project)}/servers/{server_id}"
        assert (await call(http, "GET", f"{base}/ips"))[2] == {"addresses": {}}
        assert (await call(http, "GET", f"{base}/os-interface"))[2] == {"interfaceAttachments": []}


async def test_a_volume_attaches_detaches_and_both_records_show_it(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await server(http, pod, project)
        _, _, made = await call(
            http, "POST", f"{volume_api(pod, project)}/volumes", {"volume": {"size": 1}}
        )
        volume_id = made["volume"]["id"]  # type: ignore[index]
        url = f"{compute_api(pod, project)}/servers/{server_id}/os-volume_attachments"
        status, _, body = await call(
            http, "POST", url, {"volumeAttachment": {"volumeId": volume_id}}
        )
        assert status == 200
        assert body == {
            "volumeAttachment": {
                "id": volume_id,
                "serverId": server_id,
                "volumeId": volume_id,
                "device": "/dev/vdb",
            }
        }
        _, _, shown = await call(http, "GET", f"{volume_api(pod, project)}/volumes/{volume_id}")
        assert shown["volume"]["status"] == "in-use"  # type: ignore[index]
        assert shown["volume"]["attachments"][0]["server_id"] == server_id  # type: ignore[index]
        _, _, listed = await call(http, "GET", url)
        assert [a["volumeId"] for a in listed["volumeAttachments"]] == [volume_id]  # type: ignore[index]
        status, _, _ = await call(http, "POST", url, {"volumeAttachment": {"volumeId": volume_id}})
        assert status == 400
        assert (await call(http, "DELETE", f"{url}/{volume_id}"))[0] == 202
        _, _, shown = await call(http, "GET", f"{volume_api(pod, project)}/volumes/{volume_id}")
        assert shown["volume"]["status"] == "available"  # type: ignore[index]
        assert (await call(http, "GET", f"{url}/{volume_id}"))[0] == 404


async def test_attaching_a_volume_the_pod_does_not_hold_is_its_404(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        server_id = await server(http, pod, project)
        url = f"{compute_api(pod, project)}/servers/{server_id}/os-volume_attachments"
        status, _, body = await call(http, "POST", url, {"volumeAttachment": {"volumeId": "nope"}})
    assert (status, body["itemNotFound"]["message"]) == (  # type: ignore[index]
        404,
        "Volume nope could not be found.",
    )
