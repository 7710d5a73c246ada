"""Limits, quota sets, services, hypervisors over real HTTP against podsim."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api, volume_api

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-q", "az-q")


async def test_nova_limits_and_quota_detail_count_servers_by_flavor(pod: SimPod, project) -> None:
    base = compute_api(pod, project)
    async with aiohttp.ClientSession() as http:
        for flavor in ("1", "2"):
            server = {"server": {"name": "vm", "flavorRef": flavor}}
            assert (await call(http, "POST", f"{base}/servers", server))[0] == 202
        _, _, limits = await call(http, "GET", f"{base}/limits")
        _, _, detail = await call(http, "GET", f"{base}/os-quota-sets/{project}/detail")
    absolute = limits["limits"]["absolute"]
    assert (absolute["totalInstancesUsed"], absolute["totalCoresUsed"]) == (2, 2)
    assert (absolute["totalRAMUsed"], absolute["maxTotalInstances"]) == (512 + 2048, 10)
    assert detail["quota_set"]["ram"] == {"limit": 51200, "in_use": 2560, "reserved": 0}


async def test_quota_updates_show_in_limits_and_revert(pod: SimPod, project) -> None:
    quotas = f"{compute_api(pod, project)}/os-quota-sets/{project}"
    async with aiohttp.ClientSession() as http:
        updated = await call(http, "PUT", quotas, {"quota_set": {"cores": -1, "instances": 3}})
        _, _, limits = await call(http, "GET", f"{compute_api(pod, project)}/limits")
        bad = await call(http, "PUT", quotas, {"quota_set": {"cores": -2}})
        reverted = await call(http, "DELETE", quotas)
        _, _, shown = await call(http, "GET", quotas)
    assert updated[0] == 200 and updated[2]["quota_set"]["instances"] == 3
    assert (limits["limits"]["absolute"]["maxTotalCores"], bad[0]) == (-1, 400)
    assert reverted[0] == 202 and shown["quota_set"]["cores"] == 20


async def test_cinder_limits_and_usage_count_volumes_and_snapshots(pod: SimPod, project) -> None:
    base = volume_api(pod, project)
    async with aiohttp.ClientSession() as http:
        _, _, made = await call(http, "POST", f"{base}/volumes", {"volume": {"size": 3}})
        snapshot = {"snapshot": {"volume_id": made["volume"]["id"]}}
        assert (await call(http, "POST", f"{base}/snapshots", snapshot))[0] == 202
        _, _, limits = await call(http, "GET", f"{base}/limits")
        _, _, usage = await call(http, "GET", f"{base}/os-quota-sets/{project}?usage=True")
    absolute = limits["limits"]["absolute"]
    assert (absolute["totalVolumesUsed"], absolute["totalSnapshotsUsed"]) == (1, 1)
    assert (absolute["totalGigabytesUsed"], absolute["maxTotalVolumeGigabytes"]) == (6, 1000)
    assert usage["quota_set"]["volumes"] == {"limit": 10, "in_use": 1, "reserved": 0}


async def test_one_service_and_hypervisor_per_pod_in_its_zone(pod: SimPod, project) -> None:
    async with aiohttp.ClientSession() as http:
        _, _, nova = await call(http, "GET", f"{compute_api(pod, project)}/os-services")
        _, _, cinder = await call(http, "GET", f"{volume_api(pod, project)}/os-services")
        _, _, brief = await call(http, "GET", f"{compute_api(pod, project)}/os-hypervisors")
        _, _, detail = await call(http, "GET", f"{compute_api(pod, project)}/os-hypervisors/detail")
    assert [(s["binary"], s["host"], s["zone"]) for s in nova["services"]] == [
        ("nova-compute", "pod-q-host", "az-q")
    ]
    assert [(s["binary"], s["zone"]) for s in cinder["services"]] == [("cinder-volume", "az-q")]
    assert brief["hypervisors"] == [
        {"id": 1, "hypervisor_hostname": "pod-q-host", "state": "up", "status": "enabled"}
    ]
    assert detail["hypervisors"][0]["service"]["host"] == "pod-q-host"
