"""The audit log in the store: appended, listed oldest first, newest kept, filtered by time."""

from datetime import UTC, datetime, timedelta

from control_plane.model import AuditEvent
from control_plane.store import Store


def _event(n: int) -> AuditEvent:
    return AuditEvent(who="local admin token", peer="ipv4:127.0.0.1:1", action="UpdatePod",
                      target=f"pod p{n}", before='{"state": "ENABLED"}', after="")  # fmt: skip


async def test_events_come_back_oldest_first_with_id_and_time(store: Store) -> None:
    before = datetime.now(UTC)
    added = [await store.add_audit_event(_event(n)) for n in range(3)]
    listed = await store.list_audit_events()
    assert listed == added
    assert [e.target for e in listed] == ["pod p0", "pod p1", "pod p2"]
    assert all(e.id and e.at is not None and e.at >= before for e in listed)


async def test_a_limit_keeps_the_newest(store: Store) -> None:
    for n in range(5):
        await store.add_audit_event(_event(n))
    assert [e.target for e in await store.list_audit_events(limit=2)] == ["pod p3", "pod p4"]


async def test_since_leaves_out_older_events(store: Store) -> None:
    await store.add_audit_event(_event(0))
    assert await store.list_audit_events(since=datetime.now(UTC) + timedelta(seconds=1)) == []
    assert len(await store.list_audit_events(since=datetime.now(UTC) - timedelta(hours=1))) == 1
