"""What podsim tells gateway tests: the internal headers it received, and all_tenants lists."""

import aiohttp

from harness.procs import SimPod
from podsim.app import INTERNAL_HEADERS_SEEN
from tests.podsim import call

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-t", "az-t")


async def test_internal_headers_received_are_named_in_the_answer(pod: SimPod) -> None:
    url = f"{pod.url}/compute/v2.1/p1/servers"
    async with aiohttp.ClientSession() as http:
        _, plain, _ = await call(http, "GET", url)
        sent = {"X-Podgate-Pod": "pod.pod-t.compute", "x-podgate-extra": "1"}
        _, marked, _ = await call(http, "GET", url, headers=sent)
    assert INTERNAL_HEADERS_SEEN not in plain
    assert marked[INTERNAL_HEADERS_SEEN] == "x-podgate-pod=pod.pod-t.compute; x-podgate-extra=1"


async def test_all_tenants_lists_and_pages_every_project(pod: SimPod) -> None:
    compute = f"{pod.url}/compute/v2.1"
    server = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "x"}}
    async with aiohttp.ClientSession() as http:
        ids = {}
        for project in ("pa", "pb"):
            status, _, body = await call(http, "POST", f"{compute}/{project}/servers", server)
            assert status == 202, body
            ids[project] = body["server"]["id"]

        async def listed(query: str) -> tuple[int, set[str]]:
            status, _, body = await call(http, "GET", f"{compute}/pa/servers{query}")
            return status, {item["id"] for item in body.get("servers", [])}

        assert await listed("") == (200, {ids["pa"]})
        assert await listed("?all_tenants=0") == (200, {ids["pa"]})
        status, every = await listed("?all_tenants=1")
        assert status == 200 and {ids["pa"], ids["pb"]} <= every
        assert await listed("?all_tenants") == (200, every)  # no value counts as yes, as in Nova
        assert (await listed(f"?marker={ids['pb']}"))[0] == 400
        assert (await listed(f"?all_tenants=1&marker={ids['pb']}"))[0] == 200
