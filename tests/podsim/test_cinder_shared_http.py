"""Cinder's group types (+ group specs) and QoS specs (+ keys, associations) against podsim."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, volume_api

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-c", "az-c")
_GROUPS = {"openstack-api-version": "volume 3.11"}


async def test_group_types_sort_filter_specs_and_delete(pod: SimPod, project: str) -> None:
    base = f"{volume_api(pod, project)}/group_types"
    async with aiohttp.ClientSession() as http:
        for name, public in ((f"a-{project}", True), (f"b-{project}", False)):
            made = {"group_type": {"name": name, "is_public": public}}
            status, _, body = await call(http, "POST", base, made, headers=_GROUPS)
            assert status == 202 and body["group_type"]["group_specs"] == {}
        again = await call(http, "POST", base, made, headers=_GROUPS)
        _, _, desc = await call(http, "GET", f"{base}?is_public=None&sort=name:desc")
        _, _, public_only = await call(http, "GET", base)
        group_id = next(g["id"] for g in desc["group_types"] if g["name"] == f"a-{project}")
        specs = await call(
            http, "POST", f"{base}/{group_id}/group_specs", {"group_specs": {"k": "v"}}
        )
        one = await call(http, "GET", f"{base}/{group_id}/group_specs/k")
        removed = await call(http, "DELETE", f"{base}/{group_id}/group_specs/k")
        gone = await call(http, "GET", f"{base}/{group_id}/group_specs/k")
        deleted = await call(http, "DELETE", f"{base}/{group_id}")
        default = await call(http, "GET", f"{base}/default")
    assert again[0] == 409
    names = [g["name"] for g in desc["group_types"]]
    assert names.index(f"b-{project}") < names.index(f"a-{project}")
    assert f"b-{project}" not in {g["name"] for g in public_only["group_types"]}
    assert (specs[0], specs[2], one[2]) == (202, {"group_specs": {"k": "v"}}, {"k": "v"})
    assert (removed[0], gone[0], deleted[0]) == (202, 404, 202)
    assert default[2]["group_type"]["name"] == "default_group_type"


async def test_qos_specs_keys_associations_and_a_delete_in_use(pod: SimPod, project: str) -> None:
    volume = volume_api(pod, project)
    async with aiohttp.ClientSession() as http:
        _, _, made_type = await call(
            http, "POST", f"{volume}/types", {"volume_type": {"name": project}}
        )
        type_id = made_type["volume_type"]["id"]
        qos = {"qos_specs": {"name": f"q-{project}", "consumer": "both", "iops": "9"}}
        status, _, made = await call(http, "POST", f"{volume}/qos-specs", qos)
        qos_id = made["qos_specs"]["id"]
        one = f"{volume}/qos-specs/{qos_id}"
        bad_consumer = await call(
            http, "POST", f"{volume}/qos-specs", {"qos_specs": {"name": "x", "consumer": "no"}}
        )
        keys = await call(http, "PUT", one, {"qos_specs": {"bw": "1"}})
        unset = await call(http, "PUT", f"{one}/delete_keys", {"keys": ["iops"]})
        associated = await call(http, "GET", f"{one}/associate?vol_type_id={type_id}")
        associations = await call(http, "GET", f"{one}/associations")
        in_use = await call(http, "DELETE", one)
        await call(http, "GET", f"{one}/disassociate_all")
        deleted = await call(http, "DELETE", one)
    assert status == 200 and made["links"][0]["href"] == one
    assert made["qos_specs"] == {
        "id": qos_id,
        "name": f"q-{project}",
        "consumer": "both",
        "specs": {"iops": "9"},
    }
    assert (bad_consumer[0], keys[2], unset[0], associated[0]) == (
        400,
        {"qos_specs": {"bw": "1"}},
        202,
        202,
    )
    assert associations[2] == {
        "qos_associations": [{"association_type": "volume_type", "name": project, "id": type_id}]
    }
    assert (in_use[0], deleted[0]) == (400, 202)
