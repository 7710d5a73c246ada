"""The hypervisor's size (command line) and use (the pod's servers) over real HTTP."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api

POD = ("pod-h", "az-h", "--vcpus", "6", "--memory-mb", "4096", "--local-gb", "50")
_NUMBERS = ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "free_ram_mb", "running_vms")


async def test_use_grows_with_every_projects_servers_and_shrinks_on_delete(
    pod: SimPod, project: str
) -> None:
    other = f"{project}-other"
    detail = f"{compute_api(pod, project)}/os-hypervisors/detail"
    async with aiohttp.ClientSession() as http:
        _, _, empty = await call(http, "GET", detail)
        made = []
        for owner, flavor in ((project, "2"), (other, "3")):  # m1.small, m1.medium
            server = {"server": {"name": "vm", "flavorRef": flavor}}
            status, _, body = await call(http, "POST", f"{compute_api(pod, owner)}/servers", server)
            assert status == 202, body
            made.append((owner, body["server"]["id"]))
        _, _, used = await call(http, "GET", detail)
        owner, server_id = made[1]
        deleted = await call(http, "DELETE", f"{compute_api(pod, owner)}/servers/{server_id}")
        assert deleted[0] == 204
        _, _, after = await call(http, "GET", detail)
    numbers = [tuple(d["hypervisors"][0][n] for n in _NUMBERS) for d in (empty, used, after)]
    assert numbers == [
        (6, 0, 4096, 0, 4096, 0),
        (6, 3, 4096, 2048 + 4096, 4096 - 6144, 2),
        (6, 1, 4096, 2048, 2048, 1),
    ]
    hypervisor = empty["hypervisors"][0]
    assert (hypervisor["local_gb"], hypervisor["free_disk_gb"]) == (50, 50)
    assert isinstance(hypervisor["cpu_info"], str)


async def test_microversion_2_88_drops_the_numbers(pod: SimPod, project: str) -> None:
    detail = f"{compute_api(pod, project)}/os-hypervisors/detail"
    async with aiohttp.ClientSession() as http:
        _, _, old = await call(
            http, "GET", detail, headers={"OpenStack-API-Version": "compute 2.87"}
        )
        _, _, new = await call(
            http, "GET", detail, headers={"OpenStack-API-Version": "compute 2.88"}
        )
    assert isinstance(old["hypervisors"][0]["cpu_info"], dict)
    assert set(_NUMBERS) <= set(old["hypervisors"][0])
    assert not set(_NUMBERS) & set(new["hypervisors"][0])
    assert new["hypervisors"][0]["hypervisor_hostname"] == "pod-h-host"
