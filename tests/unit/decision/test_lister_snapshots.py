"""Snapshots and backups are listed across pods like volumes, in Cinder's own shapes."""

from datetime import UTC, datetime, timedelta

from control_plane.model import ResourceType
from tests.unit.decision.extproc_harness import ListGateway
from tests.unit.decision.fake_pods import FakePod

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _harness(collection: str) -> ListGateway:
    east, west = FakePod("east", "nova-east"), FakePod("west", "nova-west")
    for minute, pod in enumerate([east, west, east, west]):
        pod.add(
            collection,
            "p1",
            f"{collection[:4]}-{minute}",
            f"n{minute}",
            T0 + timedelta(minutes=minute),
        )
    return ListGateway(east, west, azs={"east": "az-east", "west": "az-west"})


async def test_snapshots_are_merged_newest_first_and_paged() -> None:
    harness = _harness("snapshots")
    pages = await harness.walk("/v3/p1/snapshots/detail?limit=3", "snapshots")
    assert pages == [["snap-3", "snap-2", "snap-1"], ["snap-0"]]


async def test_the_brief_snapshot_list_is_cinders_summary_without_links() -> None:
    answer = await _harness("snapshots").get("/v3/p1/snapshots?limit=1")
    assert answer.status == 200
    (snapshot,) = answer.body["snapshots"]
    assert set(snapshot) == {
        "id", "created_at", "updated_at", "name", "description", "volume_id", "status", "size",
        "metadata",
    }  # fmt: skip
    assert answer.body["snapshots_links"][0]["href"].startswith("http://gw:19998/v3/p1/snapshots?")


async def test_backups_show_the_user_facing_zone_and_gateway_links() -> None:
    answer = await _harness("backups").get("/v3/p1/backups/detail")
    backups = answer.body["backups"]
    assert [b["id"] for b in backups] == ["back-3", "back-2", "back-1", "back-0"]
    assert {b["id"]: b["availability_zone"] for b in backups}["back-3"] == "az-west"
    assert backups[0]["links"][0] == {
        "rel": "self",
        "href": "http://gw:19998/v3/p1/backups/back-3",
    }


async def test_listed_snapshots_become_routable_in_their_pod() -> None:
    harness = _harness("snapshots")
    await harness.get("/v3/p1/snapshots/detail")
    routing = await harness.table.lookup(ResourceType.SNAPSHOT, "snap-1")
    assert routing is not None and (routing.pod_name, routing.project_id) == ("west", "p1")
