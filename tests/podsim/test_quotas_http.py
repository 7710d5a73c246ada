"""Quota enforcement over real HTTP against podsim: creates over a limit refused as Nova and
Cinder refuse them, limits below usage refused unless forced (Nova)."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api, volume_api

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-quota", "az-quota")


async def test_a_server_over_the_instances_limit_is_a_nova_403(pod: SimPod, project) -> None:
    base = compute_api(pod, project)
    server = {"server": {"name": "vm", "flavorRef": "1"}}
    async with aiohttp.ClientSession() as http:
        limit = {"quota_set": {"instances": "1"}}
        assert (await call(http, "PUT", f"{base}/os-quota-sets/{project}", limit))[0] == 200
        assert (await call(http, "POST", f"{base}/servers", server))[0] == 202
        refused = await call(http, "POST", f"{base}/servers", server)
        lower = await call(
            http, "PUT", f"{base}/os-quota-sets/{project}", {"quota_set": {"instances": 0}}
        )
        forced = {"quota_set": {"instances": 0, "force": True}}
        assert (await call(http, "PUT", f"{base}/os-quota-sets/{project}", forced))[0] == 200
    message = "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
    assert (refused[0], refused[2]) == (403, {"forbidden": {"message": message, "code": 403}})
    message = (
        "Quota limit 0 for instances must be greater than or equal to already used and reserved 1."
    )
    assert (lower[0], lower[2]) == (400, {"badRequest": {"message": message, "code": 400}})


async def test_a_volume_over_the_gigabytes_limit_is_a_cinder_413(pod: SimPod, project) -> None:
    base = volume_api(pod, project)
    async with aiohttp.ClientSession() as http:
        limit = {"quota_set": {"gigabytes": 3, "volumes": 2}}
        assert (await call(http, "PUT", f"{base}/os-quota-sets/{project}", limit))[0] == 200
        assert (await call(http, "POST", f"{base}/volumes", {"volume": {"size": 2}}))[0] == 202
        too_big = await call(http, "POST", f"{base}/volumes", {"volume": {"size": 2}})
        assert (await call(http, "POST", f"{base}/volumes", {"volume": {"size": 1}}))[0] == 202
        too_many = await call(http, "POST", f"{base}/volumes", {"volume": {"size": 1}})
        lower = await call(
            http, "PUT", f"{base}/os-quota-sets/{project}", {"quota_set": {"volumes": 1}}
        )
    message = (
        "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 3G "
        "and 2G has been consumed."
    )
    assert (too_big[0], too_big[2]) == (
        413,
        {"overLimit": {"message": message, "code": 413, "retryAfter": "0"}},
    )
    message = "Maximum number of volumes allowed (2) exceeded for quota 'volumes'."
    assert too_many[2]["overLimit"]["message"] == message
    assert lower[0] == 400
