"""Flavors, key pairs and volume types over real HTTP against podsim, and creates naming them."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api, volume_api

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-s", "az-s")


async def test_devstack_flavors_are_seeded_with_nova_links(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, brief = await call(http, "GET", f"{compute_api(pod, project)}/flavors")
        _, _, detail = await call(http, "GET", f"{compute_api(pod, project)}/flavors/detail")
    assert status == 200
    assert [(f["id"], f["name"]) for f in brief["flavors"]][:2] == [
        ("1", "m1.tiny"),
        ("2", "m1.small"),
    ]
    tiny = detail["flavors"][0]
    assert (tiny["ram"], tiny["disk"], tiny["vcpus"]) == (512, 1, 1)
    assert tiny["links"][0]["href"] == f"{compute_api(pod, project)}/flavors/1"


async def test_flavor_create_conflict_extra_specs_and_delete(pod: SimPod, project: str) -> None:
    base = f"{compute_api(pod, project)}/flavors"
    flavor = {"name": f"f-{project}", "ram": 1, "vcpus": 1, "disk": 0, "id": project}
    async with aiohttp.ClientSession() as http:
        created = await call(http, "POST", base, {"flavor": flavor})
        again = await call(http, "POST", base, {"flavor": flavor})
        specs = await call(
            http, "POST", f"{base}/{project}/os-extra_specs", {"extra_specs": {"a": "1"}}
        )
        shown = await call(http, "GET", f"{base}/{project}/os-extra_specs/a")
        deleted = await call(http, "DELETE", f"{base}/{project}")
        missing = await call(http, "GET", f"{base}/{project}")
    assert created[0] == 200 and created[2]["flavor"]["id"] == project
    assert again[0] == 409
    assert (
        again[2]["conflictingRequest"]["message"] == f"Flavor with name f-{project} already exists."
    )
    assert specs[0] == 200 and shown[2] == {"a": "1"}
    assert deleted[0] == 202
    assert missing[2] == {
        "itemNotFound": {"message": f"Flavor {project} could not be found.", "code": 404}
    }


async def test_keypairs_are_generated_or_imported_per_user(pod: SimPod, project: str) -> None:
    base = f"{compute_api(pod, project)}/os-keypairs"
    user = {"X-User-Id": project}
    async with aiohttp.ClientSession() as http:
        made = await call(http, "POST", base, {"keypair": {"name": "gen"}}, headers=user)
        public = made[2]["keypair"]["public_key"]
        imported = await call(
            http, "POST", base, {"keypair": {"name": "imp", "public_key": public}}, headers=user
        )
        clash = await call(http, "POST", base, {"keypair": {"name": "gen"}}, headers=user)
        mine = await call(http, "GET", base, headers=user)
        others = await call(http, "GET", base, headers={"X-User-Id": "someone-else"})
        deleted = await call(http, "DELETE", f"{base}/gen", headers=user)
        gone = await call(http, "GET", f"{base}/gen", headers=user)
    assert made[0] == 200 and "private_key" in made[2]["keypair"]
    assert "private_key" not in imported[2]["keypair"]
    assert imported[2]["keypair"]["fingerprint"] == made[2]["keypair"]["fingerprint"]
    assert clash[0] == 409
    assert [k["keypair"]["name"] for k in mine[2]["keypairs"]] == ["gen", "imp"]
    assert others[2] == {"keypairs": []}
    assert (deleted[0], gone[0]) == (202, 404)


async def test_volume_types_default_create_update_delete(pod: SimPod, project: str) -> None:
    base = f"{volume_api(pod, project)}/types"
    async with aiohttp.ClientSession() as http:
        _, _, listed = await call(http, "GET", base)
        status, _, made = await call(http, "POST", base, {"volume_type": {"name": f"t-{project}"}})
        type_id = made["volume_type"]["id"]
        clash = await call(http, "POST", base, {"volume_type": {"name": f"t-{project}"}})
        renamed = await call(
            http, "PUT", f"{base}/{type_id}", {"volume_type": {"description": "d"}}
        )
        deleted = await call(http, "DELETE", f"{base}/{type_id}")
        gone = await call(http, "GET", f"{base}/{type_id}")
    assert "__DEFAULT__" in [t["name"] for t in listed["volume_types"]]
    assert status == 200 and clash[0] == 409
    assert renamed[2]["volume_type"]["description"] == "d"
    assert (deleted[0], gone[0]) == (202, 404)


async def test_creates_must_name_shared_objects_the_pod_has(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        servers = f"{compute_api(pod, project)}/servers"
        no_flavor = await call(http, "POST", servers, {"server": {"name": "a", "flavorRef": "99"}})
        no_key = await call(http, "POST", servers, {"server": {"name": "a", "key_name": "nokey"}})
        good = await call(http, "POST", servers, {"server": {"name": "a", "flavorRef": "1"}})
        volumes = f"{volume_api(pod, project)}/volumes"
        no_type = await call(http, "POST", volumes, {"volume": {"size": 1, "volume_type": "x"}})
        typed = await call(
            http, "POST", volumes, {"volume": {"size": 1, "volume_type": "__DEFAULT__"}}
        )
    assert no_flavor[2] == {"badRequest": {"message": "Flavor 99 could not be found.", "code": 400}}
    assert no_key[2] == {"badRequest": {"message": "Invalid key_name provided.", "code": 400}}
    assert (good[0], typed[0]) == (202, 202)
    assert no_type[0] == 404
    assert no_type[2]["itemNotFound"]["message"] == "Volume type with name x could not be found."
