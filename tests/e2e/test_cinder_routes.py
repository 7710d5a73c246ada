"""Cinder's pod-owned side resources and codes, through real Envoy and two simulated pods.

Transfers, groups and group snapshots live in one pod and are routed there (created beside the
volume or group they name, or placed like a volume); accepting a transfer from another project
makes the volume that project's at the gateway too. Messages and lists are merged, the volume
summary summed; codes and next links are Cinder's.
"""

import time
from collections.abc import Iterator

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import Answer, call
from harness.procs import SimPod

pytestmark = pytest.mark.e2e

POD_HEADER = "x-podsim-pod"
(EAST, _), (WEST, _) = TWO_PODS.values()
Cloud = tuple[Gateway, dict[str, SimPod]]
V357 = {"OpenStack-API-Version": "volume 3.57"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    root = tmp_path_factory.mktemp("cinder-routes")
    with running_cloud(root, podsim_args={"pod2": ("--test-hooks",)}) as running:
        yield running


def api(cloud: Cloud, project: str) -> str:
    return f"{cloud[0].volume_url}/{project}"


def made(answer: Answer, member: str, pod: str) -> dict:
    status, headers, body = answer
    assert status == 202, body
    assert headers[POD_HEADER] == pod, body
    return body[member]


def volume(cloud: Cloud, project: str, az: str, pod: str, **extra: object) -> str:
    body = {"volume": {"size": 1, "availability_zone": az, **extra}}
    return made(call("POST", f"{api(cloud, project)}/volumes", body), "volume", pod)["id"]


def until_found(url: str) -> Answer:
    """GET `url` until it is no 404 (two seconds at most)."""
    for _ in range(20):
        answer = call("GET", url)
        if answer[0] != 404:
            return answer
        time.sleep(0.1)
    return answer


def test_a_collection_path_with_a_slash_is_cinder_s_404(cloud, project) -> None:
    for method in ("GET", "PUT", "DELETE"):
        status, headers, body = call(
            method, f"{api(cloud, project)}/volumes/", {} if method == "PUT" else None
        )
        assert (status, body) == (
            404,
            {"itemNotFound": {"message": "The resource could not be found.", "code": 404}},
        ), method
        assert POD_HEADER not in headers


def test_unknown_markers_and_a_null_volume_are_cinder_s_404s(cloud, project) -> None:
    for collection, noun in (
        ("volumes", "Volume"),
        ("snapshots", "Snapshot"),
        ("backups", "Backup"),
    ):
        status, _, body = call("GET", f"{api(cloud, project)}/{collection}?marker=nope")
        assert (status, body["itemNotFound"]["message"]) == (
            404,
            f"{noun} nope could not be found.",
        )
    body = {"snapshot": {"volume_id": None, "name": "s"}}
    status, _, answer = call("POST", f"{api(cloud, project)}/snapshots", body)
    assert (status, answer["itemNotFound"]["message"]) == (404, "Volume None could not be found.")


def test_a_full_page_links_on_even_when_nothing_follows(cloud, project) -> None:
    volume(cloud, project, EAST, "pod1")
    volume(cloud, project, WEST, "pod2")
    status, _, first = call("GET", f"{api(cloud, project)}/volumes?limit=2")
    assert status == 200 and len(first["volumes"]) == 2
    [link] = first["volumes_links"]
    status, _, last = call("GET", link["href"])
    assert (status, last) == (200, {"volumes": []})
    status, _, short = call("GET", f"{api(cloud, project)}/volumes/detail?limit=3")
    assert len(short["volumes"]) == 2 and "volumes_links" not in short


def test_an_accepted_transfer_moves_the_volume_to_the_other_project(cloud, project) -> None:
    other = f"{project}-b"
    volume_id = volume(cloud, project, WEST, "pod2")
    snapshot = {"snapshot": {"volume_id": volume_id, "name": "s"}}
    snapshot_id = made(
        call("POST", f"{api(cloud, project)}/snapshots", snapshot), "snapshot", "pod2"
    )["id"]
    body = {"transfer": {"volume_id": volume_id, "name": "gift"}}
    transfer = made(
        call("POST", f"{api(cloud, project)}/volume-transfers", body, V357), "transfer", "pod2"
    )
    status, _, listed = call("GET", f"{api(cloud, project)}/os-volume-transfer/detail")
    assert [item["id"] for item in listed["transfers"]] == [transfer["id"]]
    url = f"{api(cloud, project)}/volume-transfers/{transfer['id']}"
    status, headers, shown = call("GET", url, headers=V357)
    assert (status, headers[POD_HEADER], shown["transfer"]["accepted"]) == (200, "pod2", False)
    accept = f"{api(cloud, other)}/os-volume-transfer/{transfer['id']}/accept"
    status, _, refused = call("POST", accept, {"accept": {"auth_key": "wrong"}})
    assert status == 400, refused
    status, headers, accepted = call("POST", accept, {"accept": {"auth_key": transfer["auth_key"]}})
    assert (status, headers[POD_HEADER], accepted["transfer"]["volume_id"]) == (
        202,
        "pod2",
        volume_id,
    )
    status, headers, mine = call("GET", f"{api(cloud, other)}/volumes/{volume_id}")
    assert (status, headers.get(POD_HEADER), mine["volume"]["availability_zone"]) == (
        200,
        "pod2",
        WEST,
    )
    status, _, gone = call("GET", f"{api(cloud, project)}/volumes/{volume_id}")
    assert (status, gone["itemNotFound"]["message"]) == (
        404,
        f"Volume {volume_id} could not be found.",
    )
    # Cinder moved the volume's snapshot with it: the gateway routes it as the new owner's too
    # (moved just after the answer, so a first look may come too early).
    status, headers, moved = until_found(f"{api(cloud, other)}/snapshots/{snapshot_id}")
    assert (status, headers.get(POD_HEADER), moved["snapshot"]["volume_id"]) == (
        200,
        "pod2",
        volume_id,
    )


def test_groups_live_in_one_zone_and_what_names_them_follows(cloud, project) -> None:
    body = {
        "group": {
            "name": "g",
            "group_type": "gt",
            "volume_types": ["vt"],
            "availability_zone": WEST,
        }
    }
    group = made(call("POST", f"{api(cloud, project)}/groups", body), "group", "pod2")
    # A volume in the group, a snapshot of it and a copy of that follow the group's pod.
    volume(cloud, project, WEST, "pod2", group_id=group["id"])
    status, _, _ = call(
        "POST",
        f"{api(cloud, project)}/volumes",
        {"volume": {"size": 1, "availability_zone": EAST, "group_id": group["id"]}},
    )
    assert status == 400
    snapshot = {"group_snapshot": {"group_id": group["id"], "name": "gs"}}
    made_snapshot = made(
        call("POST", f"{api(cloud, project)}/group_snapshots", snapshot), "group_snapshot", "pod2"
    )
    copy = {"create-from-src": {"group_snapshot_id": made_snapshot["id"], "name": "g2"}}
    made(call("POST", f"{api(cloud, project)}/groups/action", copy), "group", "pod2")
    east = {
        "group": {
            "name": "e",
            "group_type": "gt",
            "volume_types": ["vt"],
            "availability_zone": EAST,
        }
    }
    made(call("POST", f"{api(cloud, project)}/groups", east), "group", "pod1")
    status, headers, shown = call("GET", f"{api(cloud, project)}/groups/{group['id']}")
    assert (status, headers[POD_HEADER], shown["group"]["availability_zone"]) == (200, "pod2", WEST)
    status, _, listed = call("GET", f"{api(cloud, project)}/groups/detail")
    assert sorted(item["availability_zone"] for item in listed["groups"]) == [EAST, WEST, WEST]
    status, _, page = call("GET", f"{api(cloud, project)}/groups?limit=1")
    assert len(page["groups"]) == 1 and page["group_links"][0]["rel"] == "next"
    status, _, snapshots = call("GET", f"{api(cloud, project)}/group_snapshots")
    assert snapshots == {
        "group_snapshots": [{"id": made_snapshot["id"], "name": "gs", "group_type_id": "gt"}]
    }
    status, _, unknown = call(
        "POST", f"{api(cloud, project)}/group_snapshots", {"group_snapshot": {"group_id": "g404"}}
    )
    assert (status, unknown["itemNotFound"]["message"]) == (404, "Group g404 could not be found.")


def test_messages_are_found_in_their_pod_and_the_summary_is_summed(cloud, project) -> None:
    _, pods = cloud
    volume(cloud, project, EAST, "pod1", metadata={"k": "a"})
    volume(cloud, project, WEST, "pod2", metadata={"k": "b"})
    summary_headers = {"OpenStack-API-Version": "volume 3.36"}
    status, _, summary = call(
        "GET", f"{api(cloud, project)}/volumes/summary", headers=summary_headers
    )
    assert (status, summary) == (
        200,
        {"volume-summary": {"total_count": 2, "total_size": 2, "metadata": {"k": ["a", "b"]}}},
    )
    seeded = f"{pods['pod2'].url}/volume/v3/{project}/podsim-messages"
    status, _, message = call("POST", seeded, {"message": {"resource_uuid": "v1"}})
    assert status == 201, message
    status, _, listed = call("GET", f"{api(cloud, project)}/messages")
    assert [item["id"] for item in listed["messages"]] == [message["message"]["id"]]
    url = f"{api(cloud, project)}/messages/{message['message']['id']}"
    status, headers, shown = call("GET", url)
    assert (status, headers[POD_HEADER], shown["message"]["resource_uuid"]) == (200, "pod2", "v1")
    assert call("DELETE", url)[0] == 204
    assert call("GET", url)[0] == 404


def test_an_attachment_lives_beside_its_volume_and_server(cloud, project) -> None:
    gateway, _ = cloud
    servers = f"{gateway.compute_url}/{project}/servers"
    west_server = {"server": {"name": "vm", "flavorRef": "1", "availability_zone": WEST}}
    server = made(call("POST", servers, west_server), "server", "pod2")["id"]
    east_server = {"server": {"name": "vm", "flavorRef": "1", "availability_zone": EAST}}
    elsewhere = made(call("POST", servers, east_server), "server", "pod1")["id"]
    volume_id = volume(cloud, project, WEST, "pod2")
    url = f"{api(cloud, project)}/attachments"
    apart = {"attachment": {"volume_uuid": volume_id, "instance_uuid": elsewhere}}
    status, headers, refused = call("POST", url, apart, V357)
    assert (status, refused["badRequest"]["message"]) == (
        400,
        f"Invalid volume: Instance {elsewhere} and volume {volume_id} are not in the same "
        f"availability_zone. Instance is in {EAST}. Volume is in {WEST}",
    )
    assert POD_HEADER not in headers
    body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": server, "connector": None}}
    status, headers, created = call("POST", url, body, V357)
    assert (status, headers[POD_HEADER]) == (200, "pod2"), created
    attachment = created["attachment"]["id"]
    status, headers, _ = call("POST", f"{url}/{attachment}/action", {"os-complete": None}, V357)
    assert (status, headers[POD_HEADER]) == (204, "pod2")
    status, _, listed = call("GET", url, headers=V357)
    assert listed == {
        "attachments": [
            {"id": attachment, "status": "attached", "instance": server, "volume_id": volume_id}
        ]
    }
    status, _, shown = call("GET", f"{api(cloud, project)}/volumes/{volume_id}")
    assert shown["volume"]["status"] == "in-use"
    assert call("DELETE", f"{url}/{attachment}", headers=V357)[0] == 200
    assert call("GET", f"{url}/{attachment}", headers=V357)[0] == 404
