"""Volume actions and metadata, external events and configurable microversions against podsim."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api, volume_api

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-e", "az-e", "--max-compute-version", "2.90")


async def volume(http: aiohttp.ClientSession, pod: SimPod, project: str) -> str:
    body = {"volume": {"size": 1, "metadata": {"a": "1"}}}
    _, _, answer = await call(http, "POST", f"{volume_api(pod, project)}/volumes", body)
    return answer["volume"]["id"]  # type: ignore[index]


async def test_os_attach_and_os_detach_move_the_volume_in_and_out_of_use(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        base = f"{volume_api(pod, project)}/volumes/{volume_id}"
        attach = {"os-attach": {"instance_uuid": "s-1", "mountpoint": "/dev/vdc"}}
        assert (await call(http, "POST", f"{base}/action", attach))[0] == 202
        _, _, shown = await call(http, "GET", base)
        attachment = shown["volume"]["attachments"][0]  # type: ignore[index]
        assert (attachment["server_id"], attachment["device"]) == ("s-1", "/dev/vdc")
        assert shown["volume"]["status"] == "in-use"  # type: ignore[index]
        assert (await call(http, "POST", f"{base}/action", {"os-detach": {}}))[0] == 202
        _, _, shown = await call(http, "GET", base)
        assert shown["volume"]["status"] == "available"  # type: ignore[index]


async def test_os_extend_grows_and_unknown_actions_are_400(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        base = f"{volume_api(pod, project)}/volumes/{volume_id}"
        assert (await call(http, "POST", f"{base}/action", {"os-extend": {"new_size": 5}}))[
            0
        ] == 202
        assert (await call(http, "GET", base))[2]["volume"]["size"] == 5  # type: ignore[index]
        status, _, body = await call(http, "POST", f"{base}/action", {"os-extend": {"new_size": 2}})
        assert status == 400
        status, _, body = await call(http, "POST", f"{base}/action", {"os-fly": {}})
        assert (status, body["badRequest"]["message"]) == (  # type: ignore[index]
            400,
            "There is no such action: os-fly",
        )


async def test_volume_metadata_items(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        url = f"{volume_api(pod, project)}/volumes/{volume_id}/metadata"
        assert (await call(http, "GET", url))[2] == {"metadata": {"a": "1"}}
        assert (await call(http, "POST", url, {"metadata": {"b": "2"}}))[2] == {
            "metadata": {"a": "1", "b": "2"}
        }
        assert (await call(http, "PUT", f"{url}/b", {"meta": {"b": "3"}}))[2] == {
            "meta": {"b": "3"}
        }
        assert (await call(http, "GET", f"{url}/b"))[2] == {"meta": {"b": "3"}}
        assert (await call(http, "DELETE", f"{url}/a"))[0] == 200
        status, _, body = await call(http, "GET", f"{url}/a")
        assert (status, body["itemNotFound"]["message"]) == (  # type: ignore[index]
            404,
            f"Volume {volume_id} has no metadata with key a.",
        )


async def test_external_events_reach_servers_of_any_project(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        _, _, made = await call(
            http, "POST", f"{compute_api(pod, project)}/servers", {"server": {"name": "vm"}}
        )
        server_id = made["server"]["id"]  # type: ignore[index]
        url = f"{compute_api(pod, 'admin-project')}/os-server-external-events"
        events = [
            {"name": "network-changed", "server_uuid": server_id, "tag": "port-1"},
            {"name": "network-changed", "server_uuid": "unknown"},
            {"name": "volume-extended", "server_uuid": server_id},
        ]
        status, _, body = await call(http, "POST", url, {"events": events})
        assert status == 207
        assert [(e["status"], e["code"]) for e in body["events"]] == [  # type: ignore[index]
            ("completed", 200),
            ("failed", 404),
            ("failed", 400),
        ]
        status, _, body = await call(http, "POST", url, {"events": events[1:2]})
        assert (status, body["itemNotFound"]["message"]) == (  # type: ignore[index]
            404,
            "No instances found for any event",
        )
        status, _, body = await call(http, "POST", url, {"events": events[:1]})
        assert status == 200


async def test_the_configured_range_is_advertised_and_enforced(pod, project) -> None:
    async with aiohttp.ClientSession() as http:
        _, _, document = await call(http, "GET", f"{pod.url}/compute/v2.1/")
        assert document["version"]["version"] == "2.90"  # type: ignore[index]
        url = f"{compute_api(pod, project)}/servers"
        _, headers, _ = await call(
            http, "GET", url, headers={"OpenStack-API-Version": "compute latest"}
        )
        assert headers["OpenStack-API-Version"] == "compute 2.90"
        status, _, body = await call(
            http, "GET", url, headers={"OpenStack-API-Version": "compute 2.91"}
        )
        assert (status, body) == (
            406,
            {
                "computeFault": {
                    "message": "Version 2.91 is not supported by the API. "
                    "Minimum is 2.1 and maximum is 2.90.",
                    "code": 406,
                }
            },
        )
        status, _, _ = await call(
            http, "GET", url, headers={"OpenStack-API-Version": "compute 2.x"}
        )
        assert status == 400
