"""podsim `--test-hooks`: a delete accepted at once finishes later, as Nova's and Cinder's do."""

import asyncio

import aiohttp

from harness.procs import SimPod
from tests.podsim import call

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-d", "az-hooks", "--test-hooks")
LATER = {"x-podsim-delete-after-s": "0.5"}


async def test_a_delayed_delete_shows_the_resource_until_it_finishes(
    pod: SimPod, project: str
) -> None:
    volumes = f"{pod.url}/volume/v3/{project}/volumes"
    async with aiohttp.ClientSession() as http:
        _, _, created = await call(http, "POST", volumes, {"volume": {"size": 1}})
        url = f"{volumes}/{created['volume']['id']}"  # type: ignore[index]
        assert (await call(http, "DELETE", url, headers=LATER))[0] == 202
        assert (await call(http, "GET", url))[0] == 200
        await asyncio.sleep(1.0)
        status, _, fault = await call(http, "GET", url)
        assert status == 404 and "could not be found" in str(fault)
        # an unknown id is still a 404 at once
        assert (await call(http, "DELETE", url, headers=LATER))[0] == 404


async def test_without_the_header_a_delete_finishes_at_once(pod: SimPod, project: str) -> None:
    servers = f"{pod.url}/compute/v2.1/{project}/servers"
    async with aiohttp.ClientSession() as http:
        body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "x"}}
        _, _, created = await call(http, "POST", servers, body)
        url = f"{servers}/{created['server']['id']}"  # type: ignore[index]
        assert (await call(http, "DELETE", url))[0] == 204
        assert (await call(http, "GET", url))[0] == 404
