"""An accepted volume transfer: routed to the transfer's pod for any project, and on the pod's
success its volume is routed as the accepting project's."""

import json
from datetime import UTC, datetime

import pytest

from control_plane.decision.routed.transfers import accepted_volume
from control_plane.model import Pod, ResourceType, Routing
from tests.unit.decision.extproc_harness import (
    Gateway,
    request_headers,
    response_body,
    response_headers,
    set_headers,
)
from tests.unit.decision.fake_pods import FakeCloud, FakePod, pod

VOLUME, TRANSFER, SNAPSHOT = ResourceType.VOLUME, ResourceType.TRANSFER, ResourceType.SNAPSHOT
ENDPOINTS = {"volumev3": "http://10.0.0.3/volume/v3/$(project_id)s"}
ACCEPTED = {"transfer": {"id": "t1", "name": "t", "volume_id": "v1", "links": []}}


def _pod(name: str, az: str, minute: int) -> Pod:
    return pod(name, az, minute, endpoints=ENDPOINTS)


@pytest.fixture
async def gateway() -> Gateway:
    gateway = Gateway(_pod("a", "az1", 1), _pod("c", "az2", 2))
    for routing in (Routing("t1", TRANSFER, "p1", "c"), Routing("v1", VOLUME, "p1", "c")):
        await gateway.store.put_routing(routing)
    return gateway


@pytest.mark.parametrize("collection", ["os-volume-transfer", "volume-transfers"])
async def test_another_project_accepts_and_the_volume_becomes_its(
    gateway: Gateway, collection: str
) -> None:
    stream = gateway.stream("volumev3")
    path = f"/v3/p2/{collection}/t1/accept"
    response = await stream.send(request_headers("POST", path))
    common = response.request_headers.response
    assert set_headers(common.header_mutation)[":path"] == f"/volume/v3/p2/{collection}/t1/accept"
    assert response.mode_override.response_body_mode == response.mode_override.BUFFERED
    await stream.send(response_headers(202))
    await stream.send(response_body(json.dumps(ACCEPTED).encode()))
    assert gateway.store.routings[("volume", "v1")] == Routing("v1", VOLUME, "p2", "c")
    # The new owner's requests now reach the volume's pod.
    shown = await gateway.stream("volumev3").send(request_headers("GET", "/v3/p2/volumes/v1"))
    assert set_headers(shown.request_headers.response.header_mutation)["x-podgate-pod"] == (
        "pod.c.volumev3"
    )


async def test_a_refused_acceptance_moves_nothing(gateway: Gateway) -> None:
    stream = gateway.stream("volumev3")
    await stream.send(request_headers("POST", "/v3/p2/os-volume-transfer/t1/accept"))
    await stream.send(response_headers(400))
    refused = {"badRequest": {"message": "Invalid auth key", "code": 400}}
    await stream.send(response_body(json.dumps(refused).encode()))
    assert gateway.store.routings[("volume", "v1")].project_id == "p1"


async def test_the_snapshots_cinder_moved_with_the_volume_follow_it() -> None:
    fake = FakePod(name="c", az="nova-c")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    # The pod has given the volume's snapshots to p2 already; another volume's stays with p1.
    for snapshot_id, project in (("s1", "p2"), ("s2", "p2"), ("s3", "p1")):
        fake.add("snapshots", project, snapshot_id, snapshot_id, at)
        fake.records["snapshots"][snapshot_id]["volume_id"] = "v1" if project == "p2" else "v9"
    gateway = Gateway(fake.pod("az2"), fetch=FakeCloud(fake))
    for routing in (
        Routing("t1", TRANSFER, "p1", "c"),
        Routing("v1", VOLUME, "p1", "c"),
        Routing("s1", SNAPSHOT, "p1", "c"),
        Routing("s3", SNAPSHOT, "p1", "c"),
    ):
        await gateway.store.put_routing(routing)
    stream = gateway.stream("volumev3")
    await stream.send(request_headers("POST", "/v3/p2/os-volume-transfer/t1/accept"))
    await stream.send(response_headers(202))
    await stream.send(response_body(json.dumps(ACCEPTED).encode()))
    await gateway.service.close()  # the snapshots move after the answer went on
    owners = {key[1]: routing.project_id for key, routing in gateway.store.routings.items()}
    assert owners == {"t1": "p1", "v1": "p2", "s1": "p2", "s2": "p2", "s3": "p1"}
    [listing] = [url for url in gateway.fetch.calls if "/snapshots/" in url]
    assert listing == "http://c.pod/volume/v3/p2/snapshots/detail?volume_id=v1"


@pytest.mark.parametrize(
    ("status", "body", "volume"),
    [
        (202, json.dumps(ACCEPTED).encode(), "v1"),
        (200, json.dumps(ACCEPTED).encode(), "v1"),
        (400, json.dumps(ACCEPTED).encode(), None),
        (202, b"not json", None),
        (202, b'{"transfer": {"volume_id": 7}}', None),
        (202, b'{"transfer": []}', None),
    ],
)
def test_the_volume_an_acceptance_gave_away(status: int, body: bytes, volume: str | None) -> None:
    assert accepted_volume(status, body) == volume
