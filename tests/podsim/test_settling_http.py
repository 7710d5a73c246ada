"""Statuses that move as in Nova and Cinder (`--settle-ms`), over real HTTP against podsim: a
server shows BUILD, a volume creating/attaching/detaching/deleting, before the final state."""

import asyncio
from typing import Any

import aiohttp

from harness.procs import SimPod
from tests.contract.golden import differences, load
from tests.contract.scenario import podsim_bases, run
from tests.contract.send import plain_send
from tests.podsim import call, compute_api, volume_api

SETTLE_S = 0.4
POD = ("pod-settle", "az-settle", "--settle-ms", str(int(SETTLE_S * 1000)))


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    status, _, body = await call(http, "GET", url)
    return status, body


async def settled() -> None:
    await asyncio.sleep(SETTLE_S * 2)


async def test_a_server_builds_then_is_active_and_shows_deleting_until_gone(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        _, _, made = await call(
            http, "POST", f"{compute_api(pod, project)}/servers", {"server": {"name": "vm"}}
        )
        url = f"{compute_api(pod, project)}/servers/{made['server']['id']}"  # type: ignore[index]
        _, building = await get(http, url)
        server = building["server"]
        assert (server["status"], server["OS-EXT-STS:vm_state"]) == ("BUILD", "building")
        assert (server["OS-EXT-STS:task_state"], server["OS-SRV-USG:launched_at"]) == (
            "spawning",
            None,
        )
        await settled()
        _, active = await get(http, url)
        assert (active["server"]["status"], active["server"]["OS-EXT-STS:task_state"]) == (
            "ACTIVE",
            None,
        )
        assert (await call(http, "DELETE", url))[0] == 204
        status, deleting = await get(http, url)
        assert (status, deleting["server"]["OS-EXT-STS:task_state"]) == (200, "deleting")
        await settled()
        assert (await get(http, url))[0] == 404


async def test_a_volume_is_creating_attaching_detaching_and_deleting_before_it_settles(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        _, _, made = await call(
            http, "POST", f"{volume_api(pod, project)}/volumes", {"volume": {"size": 1}}
        )
        volume_id = made["volume"]["id"]  # type: ignore[index]
        url = f"{volume_api(pod, project)}/volumes/{volume_id}"
        statuses = [(await get(http, url))[1]["volume"]["status"]]
        _, _, server = await call(
            http, "POST", f"{compute_api(pod, project)}/servers", {"server": {"name": "vm"}}
        )
        server_url = f"{compute_api(pod, project)}/servers/{server['server']['id']}"  # type: ignore[index]
        attachments = f"{server_url}/os-volume_attachments"
        attach = {"volumeAttachment": {"volumeId": volume_id}}
        status, _, refused = await call(http, "POST", attachments, attach)
        assert status == 409, refused  # the server is building
        await settled()
        statuses.append((await get(http, url))[1]["volume"]["status"])
        assert (await call(http, "POST", attachments, attach))[0] == 200
        statuses.append((await get(http, url))[1]["volume"]["status"])
        await settled()
        statuses.append((await get(http, url))[1]["volume"]["status"])
        assert (await call(http, "DELETE", f"{attachments}/{volume_id}"))[0] == 202
        statuses.append((await get(http, url))[1]["volume"]["status"])
        await settled()
        statuses.append((await get(http, url))[1]["volume"]["status"])
        assert (await call(http, "DELETE", url))[0] == 202
        statuses.append((await get(http, url))[1]["volume"]["status"])
        await settled()
        assert (await get(http, url))[0] == 404
    assert statuses == [
        "creating", "available", "attaching", "in-use", "detaching", "available", "deleting",
    ]  # fmt: skip


def test_the_contract_holds_while_statuses_settle(pod: SimPod, project: str) -> None:
    """The contract's waits poll as a client of a real cloud must; the answers keep their shape."""
    variables = {"flavor_id": "1", "name": "settling"}
    answers = run(plain_send, podsim_bases(pod.url, project), variables, timeout_s=5, poll_s=0.05)
    assert differences(load(), answers) == []
