"""Servers and volumes affecting each other as in Nova and Cinder, over real HTTP against podsim:
boot volumes in use, busy volumes refused deletion, attachments and flavors per microversion."""

from typing import Any

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api, volume_api

POD = ("pod-l", "az-life")
NOT_DELETABLE = {
    "badRequest": {
        "code": 400,
        "message": "Invalid volume: Volume status must be available or error or error_restoring "
        "or error_extending or error_managing and must not be migrating, attached, belong to a "
        "group, have snapshots, awaiting a transfer, or be disassociated from snapshots after "
        "volume transfer.",
    }
}


def nova(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"compute {version}"}


async def volume(http: aiohttp.ClientSession, pod: SimPod, project: str) -> str:
    status, _, body = await call(
        http, "POST", f"{volume_api(pod, project)}/volumes", {"volume": {"size": 1}}
    )
    assert status == 202, body
    return body["volume"]["id"]  # type: ignore[index]


async def boot(
    http: aiohttp.ClientSession, pod: SimPod, project: str, volume_id: str, **mapping: Any
) -> str:
    bdm = {"uuid": volume_id, "source_type": "volume", "destination_type": "volume"}
    server = {
        "name": "bfv",
        "flavorRef": "1",
        "networks": "none",
        "block_device_mapping_v2": [{**bdm, "boot_index": 0, **mapping}],
    }
    status, _, body = await call(
        http,
        "POST",
        f"{compute_api(pod, project)}/servers",
        {"server": server},
        headers=nova("2.96"),
    )
    assert status == 202, body
    return body["server"]["id"]  # type: ignore[index]


async def shown(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    status, _, body = await call(http, "GET", url, headers={"OpenStack-API-Version": "volume 3.71"})
    assert status == 200, body
    return body["volume"]  # type: ignore[index]


async def test_a_boot_volume_is_in_use_refused_deletion_and_available_once_the_server_is_gone(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        server_id = await boot(http, pod, project, volume_id)
        volume_url = f"{volume_api(pod, project)}/volumes/{volume_id}"
        server_url = f"{compute_api(pod, project)}/servers/{server_id}"
        attached = await shown(http, volume_url)
        assert attached["status"] == "in-use"
        (attachment,) = attached["attachments"]
        assert (attachment["server_id"], attachment["device"]) == (server_id, "/dev/vda")
        _, _, server = await call(http, "GET", server_url, headers=nova("2.96"))
        assert server["server"]["os-extended-volumes:volumes_attached"] == [  # type: ignore[index]
            {"id": volume_id, "delete_on_termination": False}
        ]
        _, _, listed = await call(
            http, "GET", f"{server_url}/os-volume_attachments", headers=nova("2.89")
        )
        (entry,) = listed["volumeAttachments"]  # type: ignore[index]
        assert "id" not in entry and entry["attachment_id"] == attachment["attachment_id"]
        assert set(entry) == {
            "volumeId", "serverId", "device", "tag", "delete_on_termination", "attachment_id",
            "bdm_uuid",
        }  # fmt: skip
        _, _, cinder = await call(
            http,
            "GET",
            f"{volume_api(pod, project)}/attachments",
            headers={"OpenStack-API-Version": "volume 3.27"},
        )
        assert [(a["instance"], a["status"]) for a in cinder["attachments"]] == [  # type: ignore[index]
            (server_id, "attached")
        ]
        status, _, refused = await call(http, "DELETE", volume_url)
        assert (status, refused) == (400, NOT_DELETABLE)
        assert (await call(http, "DELETE", server_url))[0] == 204
        assert (await shown(http, volume_url))["status"] == "available"
        assert (await shown(http, volume_url))["attachments"] == []
        assert (await call(http, "DELETE", volume_url))[0] == 202
        assert (await call(http, "GET", volume_url))[0] == 404


async def test_a_boot_volume_marked_delete_on_termination_goes_with_its_server(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        server_id = await boot(http, pod, project, volume_id, delete_on_termination=True)
        assert (await call(http, "DELETE", f"{compute_api(pod, project)}/servers/{server_id}"))[
            0
        ] == 204
        status, _, _ = await call(http, "GET", f"{volume_api(pod, project)}/volumes/{volume_id}")
    assert status == 404


async def test_booting_from_a_volume_in_use_or_missing_is_refused(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        await boot(http, pod, project, volume_id)
        url = f"{compute_api(pod, project)}/servers"
        body = {"server": {"name": "again", "flavorRef": "1", "networks": "none"}}
        bdm = {"uuid": volume_id, "source_type": "volume", "boot_index": 0}
        body["server"]["block_device_mapping_v2"] = [bdm]  # type: ignore[index]
        status, _, in_use = await call(http, "POST", url, body, headers=nova("2.96"))
        assert status == 400 and "Currently in 'in-use'" in in_use["badRequest"]["message"]  # type: ignore[index]
        other = await volume(http, pod, project)
        twice = {**bdm, "uuid": other, "boot_index": 1}
        body["server"]["block_device_mapping_v2"] = [{**bdm, "uuid": other}, twice]  # type: ignore[index]
        status, _, _ = await call(http, "POST", url, body, headers=nova("2.96"))
        assert status == 400
        shown = await call(http, "GET", f"{volume_api(pod, project)}/volumes/{other}")
        assert shown[2]["volume"]["status"] == "available"  # type: ignore[index]
        body["server"]["block_device_mapping_v2"] = [bdm]  # type: ignore[index]
        bdm["uuid"] = "nope"
        status, _, missing = await call(http, "POST", url, body, headers=nova("2.96"))
    assert (status, missing["badRequest"]["message"]) == (  # type: ignore[index]
        400,
        "Block Device Mapping is Invalid: failed to get volume nope.",
    )


async def test_a_volume_with_snapshots_is_kept_unless_deleted_with_cascade(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        snapshot = {"snapshot": {"volume_id": volume_id}}
        status, _, made = await call(
            http, "POST", f"{volume_api(pod, project)}/snapshots", snapshot
        )
        assert status == 202, made
        url = f"{volume_api(pod, project)}/volumes/{volume_id}"
        status, _, body = await call(http, "DELETE", url)
        assert (status, body) == (400, NOT_DELETABLE)
        assert (await call(http, "DELETE", f"{url}?cascade=true"))[0] == 202
        snapshot_id = made["snapshot"]["id"]  # type: ignore[index]
        status, _, _ = await call(
            http, "GET", f"{volume_api(pod, project)}/snapshots/{snapshot_id}"
        )
    assert status == 404


async def test_attachments_are_shaped_by_the_microversion(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        _, _, body = await call(
            http, "POST", f"{compute_api(pod, project)}/servers", {"server": {"name": "vm"}}
        )
        url = f"{compute_api(pod, project)}/servers/{body['server']['id']}/os-volume_attachments"  # type: ignore[index]
        attach = {"volumeAttachment": {"volumeId": volume_id, "tag": "data"}}
        _, _, made = await call(http, "POST", url, attach, headers=nova("2.79"))
        assert made["volumeAttachment"]["tag"] == "data"  # type: ignore[index]
        assert made["volumeAttachment"]["delete_on_termination"] is False  # type: ignore[index]
        keys = {}
        for version in ("2.1", "2.70", "2.79", "2.89"):
            _, _, listed = await call(http, "GET", url, headers=nova(version))
            keys[version] = set(listed["volumeAttachments"][0])  # type: ignore[index]
    base = {"id", "volumeId", "serverId", "device"}
    assert keys == {
        "2.1": base,
        "2.70": base | {"tag"},
        "2.79": base | {"tag", "delete_on_termination"},
        "2.89": (base - {"id"}) | {"tag", "delete_on_termination", "attachment_id", "bdm_uuid"},
    }


async def test_flavors_are_shaped_by_the_microversion(pod: SimPod, project: str) -> None:
    url = f"{compute_api(pod, project)}/flavors"
    async with aiohttp.ClientSession() as http:
        _, _, old = await call(http, "GET", f"{url}/1")
        _, _, new = await call(http, "GET", f"{url}/1", headers=nova("2.75"))
        _, _, brief = await call(http, "GET", url, headers=nova("2.55"))
    assert old["flavor"]["swap"] == "" and not {"description", "extra_specs"} & set(old["flavor"])  # type: ignore[index]
    assert (new["flavor"]["swap"], new["flavor"]["description"]) == (0, None)  # type: ignore[index]
    assert new["flavor"]["extra_specs"] == {}  # type: ignore[index]
    assert set(brief["flavors"][0]) == {"id", "name", "links", "description"}  # type: ignore[index]


async def test_a_lock_shows_from_2_9_and_its_reason_from_2_73(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        _, _, made = await call(
            http, "POST", f"{compute_api(pod, project)}/servers", {"server": {"name": "vm"}}
        )
        url = f"{compute_api(pod, project)}/servers/{made['server']['id']}"  # type: ignore[index]
        lock = {"lock": {"locked_reason": "maintenance"}}
        assert (await call(http, "POST", f"{url}/action", lock, headers=nova("2.73")))[0] == 202
        seen = {}
        for version in ("2.8", "2.9", "2.73"):
            _, _, body = await call(http, "GET", url, headers=nova(version))
            server = body["server"]  # type: ignore[index]
            seen[version] = (server.get("locked"), server.get("locked_reason", "absent"))
        await call(http, "POST", f"{url}/action", {"unlock": None})
        _, _, body = await call(http, "GET", url, headers=nova("2.73"))
    assert seen == {
        "2.8": (None, "absent"),
        "2.9": (True, "absent"),
        "2.73": (True, "maintenance"),
    }
    assert (body["server"]["locked"], body["server"]["locked_reason"]) == (False, None)  # type: ignore[index]


async def test_a_server_keeps_the_flavor_it_booted_with(pod: SimPod, project: str) -> None:
    base = f"{compute_api(pod, project)}/flavors"
    flavor = {
        "name": f"f-{project}", "ram": 256, "vcpus": 2, "disk": 3, "swap": 512,
        "OS-FLV-EXT-DATA:ephemeral": 4, "description": "for a test", "id": project,
    }  # fmt: skip
    async with aiohttp.ClientSession() as http:
        bad = await call(http, "POST", base, {"flavor": {**flavor, "swap": "big"}})
        assert (await call(http, "POST", base, {"flavor": flavor}))[0] == 200
        specs = {"extra_specs": {"hw:cpu_policy": "shared"}}
        await call(http, "POST", f"{base}/{project}/os-extra_specs", specs)
        _, _, shown = await call(http, "GET", f"{base}/{project}", headers=nova("2.61"))
        _, _, made = await call(
            http,
            "POST",
            f"{compute_api(pod, project)}/servers",
            {"server": {"name": "vm", "flavorRef": project}},
        )
        assert (await call(http, "DELETE", f"{base}/{project}"))[0] == 202
        url = f"{compute_api(pod, project)}/servers/{made['server']['id']}"  # type: ignore[index]
        _, _, server = await call(http, "GET", url, headers=nova("2.47"))
    assert bad[0] == 400
    assert shown["flavor"]["swap"] == 512 and shown["flavor"]["description"] == "for a test"  # type: ignore[index]
    assert shown["flavor"]["OS-FLV-EXT-DATA:ephemeral"] == 4  # type: ignore[index]
    assert shown["flavor"]["extra_specs"] == {"hw:cpu_policy": "shared"}  # type: ignore[index]
    assert server["server"]["flavor"] == {  # type: ignore[index]
        "vcpus": 2, "ram": 256, "disk": 3, "ephemeral": 4, "swap": 512,
        "original_name": f"f-{project}", "extra_specs": {"hw:cpu_policy": "shared"},
    }  # fmt: skip


async def test_cinders_attachments_api_shows_on_the_volume_until_deleted(
    pod: SimPod, project: str
) -> None:
    v357 = {"OpenStack-API-Version": "volume 3.57"}
    async with aiohttp.ClientSession() as http:
        volume_id = await volume(http, pod, project)
        url = f"{volume_api(pod, project)}/attachments"
        connector = {"host": "h1", "mountpoint": "/dev/vdc"}
        body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": "vm-1"}}
        body["attachment"]["connector"] = connector  # type: ignore[index]
        _, _, made = await call(http, "POST", url, body, headers=v357)
        attachment_id = made["attachment"]["id"]  # type: ignore[index]
        complete = {"os-complete": None}
        assert (await call(http, "POST", f"{url}/{attachment_id}/action", complete, headers=v357))[
            0
        ] == 204
        attached = await shown(http, f"{volume_api(pod, project)}/volumes/{volume_id}")
        assert (await call(http, "DELETE", f"{url}/{attachment_id}", headers=v357))[0] == 200
        released = await shown(http, f"{volume_api(pod, project)}/volumes/{volume_id}")
    (entry,) = attached["attachments"]
    assert (entry["attachment_id"], entry["server_id"], entry["device"]) == (
        attachment_id,
        "vm-1",
        "/dev/vdc",
    )
    assert (attached["status"], released["status"], released["attachments"]) == (
        "in-use",
        "available",
        [],
    )
