"""Nova's server groups and its proxies (os-volumes, os-snapshots, images, extensions, network
proxies) over real HTTP against podsim, in the shapes Tempest's schemas hold Nova to."""

import aiohttp

from tests.podsim import call, compute_api, walk

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-n", "az-n")

V2_1 = {"X-OpenStack-Nova-API-Version": "2.1"}
V2_13 = {"X-OpenStack-Nova-API-Version": "2.13"}
V2_64 = {"X-OpenStack-Nova-API-Version": "2.64"}
V2_36 = {"X-OpenStack-Nova-API-Version": "2.36"}


async def test_a_server_group_shows_its_policy_by_microversion_and_its_members(
    pod, project
) -> None:
    base = compute_api(pod, project)
    async with aiohttp.ClientSession() as http:
        body = {"server_group": {"name": "g", "policies": ["affinity"]}}
        status, _, created = await call(http, "POST", f"{base}/os-server-groups", body)
        assert status == 200, created
        group = created["server_group"]  # type: ignore[index]
        assert group == {
            "id": group["id"],
            "name": "g",
            "policies": ["affinity"],
            "metadata": {},
            "members": [],
        }
        server = {
            "server": {"name": "vm", "flavorRef": "1"},
            "os:scheduler_hints": {"group": group["id"]},
        }
        status, _, booted = await call(http, "POST", f"{base}/servers", server)
        assert status == 202, booted
        url = f"{base}/os-server-groups/{group['id']}"
        _, _, shown = await call(http, "GET", url, headers=V2_13)
        assert shown["server_group"]["members"] == [booted["server"]["id"]]  # type: ignore[index]
        assert shown["server_group"]["project_id"] == project  # type: ignore[index]
        _, _, modern = await call(http, "GET", url, headers=V2_64)
        assert set(modern["server_group"]) == {  # type: ignore[index]
            "id", "name", "policy", "rules", "members", "project_id", "user_id"
        }  # fmt: skip
        assert (await call(http, "DELETE", url))[0] == 204
        status, _, missing = await call(http, "GET", url)
        message = f"Instance group {group['id']} could not be found."
        assert (status, missing) == (404, {"itemNotFound": {"message": message, "code": 404}})


async def test_server_groups_are_listed_in_creation_order_and_cut_by_offset_and_limit(
    pod, project
) -> None:
    base = compute_api(pod, project)
    async with aiohttp.ClientSession() as http:
        ids = []
        for name in ("a", "b", "c"):
            body = {"server_group": {"name": name, "policy": "anti-affinity"}}
            _, _, created = await call(
                http, "POST", f"{base}/os-server-groups", body, headers=V2_64
            )
            ids.append(created["server_group"]["id"])  # type: ignore[index]
        _, _, listed = await call(http, "GET", f"{base}/os-server-groups?offset=1&limit=1")
        assert [g["id"] for g in listed["server_groups"]] == ids[1:2]  # type: ignore[index]
        status, _, refused = await call(http, "GET", f"{base}/os-server-groups?limit=x")
        assert status == 400, refused


async def test_os_volumes_shows_cinders_volumes_in_novas_view_up_to_2_35(pod, project) -> None:
    base = compute_api(pod, project)
    async with aiohttp.ClientSession() as http:
        body = {"volume": {"size": 1, "display_name": "v", "metadata": {"k": "v"}}}
        status, headers, created = await call(http, "POST", f"{base}/os-volumes", body)
        assert status == 200, created
        volume = created["volume"]  # type: ignore[index]
        assert set(volume) == {
            "id", "status", "size", "availabilityZone", "createdAt", "attachments",
            "displayName", "displayDescription", "volumeType", "snapshotId", "metadata",
        }  # fmt: skip
        assert (volume["displayName"], volume["availabilityZone"]) == ("v", "az-n")
        assert volume["attachments"] == [{}]
        assert headers["Location"].endswith(f"/os-volumes/{volume['id']}")
        cinder = f"{pod.url}/volume/v3/{project}/volumes/{volume['id']}"
        assert (await call(http, "GET", cinder))[0] == 200
        snapshot = {"snapshot": {"volume_id": volume["id"], "display_name": "s"}}
        status, _, snap = await call(http, "POST", f"{base}/os-snapshots", snapshot)
        assert status == 200, snap
        assert snap["snapshot"]["size"] == 1  # type: ignore[index]
        _, _, listed = await call(http, "GET", f"{base}/os-snapshots/detail")
        assert listed == {"snapshots": [snap["snapshot"]]}  # type: ignore[index]
        url = f"{base}/os-volumes/{volume['id']}"
        assert (await call(http, "GET", url, headers=V2_36))[0] == 404
        assert (await call(http, "GET", url))[2] == created


async def test_os_volumes_refuses_a_size_novas_schema_refuses(pod, project) -> None:
    url = f"{compute_api(pod, project)}/os-volumes"
    async with aiohttp.ClientSession() as http:
        for size in ("#$%", 0, None):
            status, _, _ = await call(http, "POST", url, {"volume": {"size": size}})
            assert status == 400, size
        status, _, _ = await call(http, "POST", url, {"volume": {"display_name": "x"}})
        assert status == 400


async def test_the_image_proxy_pages_images_and_keeps_their_metadata(pod, project) -> None:
    base = compute_api(pod, project)
    async with aiohttp.ClientSession() as http:
        pages = await walk(http, f"{base}/images/detail?limit=1", "images")
        images = [image for items, _ in pages for image in items]
        assert len(images) == 2 and all(image["status"] == "ACTIVE" for image in images)
        image_id = images[0]["id"]
        url = f"{base}/images/{image_id}/metadata"
        status, _, meta = await call(http, "PUT", f"{url}/k1", {"meta": {"k1": "v1"}})
        assert (status, meta) == (200, {"meta": {"k1": "v1"}})
        _, _, merged = await call(http, "POST", url, {"metadata": {"k2": "v2"}})
        assert {"k1": "v1", "k2": "v2"}.items() <= merged["metadata"].items()  # type: ignore[index]
        assert (await call(http, "DELETE", f"{url}/k1"))[0] == 204
        assert (await call(http, "GET", f"{url}/k1"))[0] == 404
        assert (await call(http, "GET", f"{base}/images", headers=V2_36))[0] == 404
        _, _, extensions = await call(http, "GET", f"{base}/extensions")
        aliases = {e["alias"] for e in extensions["extensions"]}  # type: ignore[index]
        assert "os-server-groups" in aliases


async def test_novas_network_proxies_make_show_and_delete(pod, project) -> None:
    base = compute_api(pod, project)
    async with aiohttp.ClientSession() as http:
        body = {"security_group": {"name": "sg", "description": "d"}}
        status, _, group = await call(
            http, "POST", f"{base}/os-security-groups", body, headers=V2_1
        )
        assert status == 200, group
        url = f"{base}/os-security-groups/{group['security_group']['id']}"  # type: ignore[index]
        assert (await call(http, "GET", url))[2] == group
        assert (await call(http, "DELETE", url))[0] == 202
        status, _, ip = await call(http, "POST", f"{base}/os-floating-ips", {"pool": "public"})
        assert (status, ip["floating_ip"]["pool"]) == (200, "public")  # type: ignore[index]
