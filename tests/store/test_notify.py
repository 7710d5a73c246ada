"""Change notifications between replicas: payloads, and LISTEN/NOTIFY on PostgreSQL."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from control_plane.errors import AlreadyExists, NotFound
from control_plane.model import Pod, ResourceType, Routing
from control_plane.runtime.routing_changes import RoutingCaches
from control_plane.store import Store
from control_plane.store.changes import BINDINGS, PODS, Change, ChangeKind, decode, encode
from control_plane.store.notify import (
    APPLICATION_NAME,
    Announcer,
    Backoff,
    Listener,
    connector,
    follow,
    send,
)
from harness.procs import WAIT_S
from tests.fixtures.postgres import fresh_database

_FAST = Backoff(first_s=0.05, max_s=0.2, health_every_s=0.5)


@dataclass
class Recorder:
    """Caches that only write down what reached them: routing caches, then the pods (reloaded
    once per batch that touched them), as a replica subscribes them."""

    events: list[tuple[str, ...]] = field(default_factory=list)

    async def __call__(self, changes: Sequence[Change]) -> None:
        async def reload_routings() -> None:
            self.events.append(("routings",))

        routings = RoutingCaches(
            forget_routing=lambda kind, rid: self.events.append(("forget", kind, rid)),
            resource_deleted=lambda kind, rid: self.events.append(("deleted", kind, rid)),
            reload_routings=reload_routings,
        )
        await routings(changes)
        if any(change.kind is ChangeKind.PODS for change in changes):
            self.events.append(("pods",))

    def count(self, event: tuple[str, ...]) -> int:
        return self.events.count(event)


async def _until(check: Callable[[], bool], what: str, within: float = WAIT_S) -> None:
    """Wait until `check` holds; fails after `within` seconds."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


def test_payloads_round_trip_and_stay_small() -> None:
    deleted = Change(ChangeKind.RESOURCE_DELETED, "server", "abc")
    assert decode(encode("me", deleted)) == ("me", deleted)
    assert decode(encode("me", PODS)) == ("me", PODS)
    assert encode("me", PODS) == '{"o":"me","k":"pods"}'
    assert decode(encode("me", BINDINGS)) == ("me", BINDINGS)
    with pytest.raises(ValueError, match="too long"):
        encode("me", Change(ChangeKind.ROUTING_DELETED, "server", "x" * 8000))


@pytest.mark.parametrize(
    "payload",
    ['{"o":"x","k":"teleported"}', '{"o":"x","k":"routing","t":"flavor","i":"1"}', "[1]", "{"],
)
def test_unknown_payloads_are_ignored(payload: str) -> None:
    assert decode(payload) is None


async def test_sqlite_needs_no_listener(tmp_path) -> None:
    async with follow(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", "me", Recorder()) as f:
        assert f is None


async def test_a_failed_announcement_is_logged_not_raised(caplog) -> None:
    async def broken(change: Change) -> None:
        raise ConnectionError("database away")

    announcer = Announcer(broken)
    with caplog.at_level(logging.WARNING, logger="podgate.notify"):
        announcer.resource_deleted(ResourceType.SERVER, "s1")
        await announcer.close()
    assert "change not announced" in caplog.text


# PostgreSQL: two stores on one database stand for two replicas.


@pytest.fixture
async def db_url(postgres_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_url) as url:
        yield url


@dataclass
class Replica:
    store: Store
    seen: Recorder
    listener: Listener


@pytest.fixture
async def replicas(db_url: str) -> AsyncIterator[tuple[Replica, Replica]]:
    """Replicas A and B, both listening (each with a recorder for what reached its caches)."""
    opened: list[Replica] = []
    try:
        for _ in range(2):
            store = await Store.open(db_url)
            seen = Recorder()
            listener = Listener(connector(db_url, store.origin), store.origin, seen, _FAST)
            opened.append(Replica(store, seen, listener))
            await listener.start()
        for replica in opened:  # the first connect resyncs (nothing may be missed at start)
            await _until(lambda r=replica: r.seen.count(("pods",)) == 1, "the first resync")
        yield opened[0], opened[1]
    finally:
        for replica in opened:
            await replica.listener.close()
            await replica.store.close()


def _pod(name: str) -> Pod:
    return Pod(name=name, az_name="az1", endpoints={"compute": "http://pod"})


def _routing(resource_id: str, pod: str) -> Routing:
    return Routing(
        resource_id=resource_id,
        resource_type=ResourceType.SERVER,
        project_id="p1",
        pod_name=pod,
        created_at=datetime.now(UTC),
    )


@pytest.mark.postgres
async def test_a_pod_change_reaches_the_other_replica_only(replicas) -> None:
    a, b = replicas
    start = time.monotonic()
    await a.store.create_pod(_pod("pod1"))
    await _until(lambda: b.seen.count(("pods",)) == 2, "B to reload pods")
    delay = time.monotonic() - start
    print(f"\npod create + notification to the other replica: {delay * 1000:.1f} ms")
    await a.store.update_pod("pod1", dc_name="dc9")
    await _until(lambda: b.seen.count(("pods",)) == 3, "B to reload pods again")
    await b.store.delete_pod("pod1")
    await _until(lambda: a.seen.count(("pods",)) == 2, "A to reload pods")
    assert a.seen.events == [("routings",), ("pods",), ("pods",)]  # never its own changes
    assert b.seen.events == [("routings",), ("pods",), ("pods",), ("pods",)]


@pytest.mark.postgres
async def test_routing_deletes_and_user_deletes_reach_the_other_replica(replicas) -> None:
    a, b = replicas
    await a.store.create_pod(_pod("pod1"))
    await a.store.put_routing(_routing("s1", "pod1"))
    await a.store.delete_routing(ResourceType.SERVER, "s1")
    await _until(lambda: ("forget", ResourceType.SERVER, "s1") in b.seen.events, "the forget")
    await a.store.announce(Change(ChangeKind.RESOURCE_DELETED, "server", "s2"))
    await _until(lambda: ("deleted", ResourceType.SERVER, "s2") in b.seen.events, "the delete")
    with pytest.raises(NotFound):
        await a.store.delete_routing(ResourceType.SERVER, "s1")
    await a.store.create_pod(_pod("marker"))
    await _until(lambda: b.seen.count(("pods",)) == 3, "the marker pod")
    assert b.seen.count(("forget", ResourceType.SERVER, "s1")) == 1


@pytest.mark.postgres
async def test_a_forced_pod_delete_reloads_the_other_replicas_routings(replicas) -> None:
    a, b = replicas
    await a.store.create_pod(_pod("empty"))
    await a.store.delete_pod("empty", force=True)
    await _until(lambda: b.seen.count(("pods",)) == 3, "two pod changes")
    assert b.seen.count(("routings",)) == 1  # no routings went: only the first resync
    await a.store.create_pod(_pod("pod1"))
    await a.store.put_routing(_routing("s1", "pod1"))
    await a.store.delete_pod("pod1", force=True)
    await _until(lambda: b.seen.count(("routings",)) == 2, "B to reload routings")


class _RolledBack(Exception):
    pass


def _deleted(server_id: str) -> Change:
    return Change(ChangeKind.RESOURCE_DELETED, "server", server_id)


@pytest.mark.postgres
async def test_a_rolled_back_write_notifies_nobody(db_url: str, replicas) -> None:
    a, b = replicas
    engine = create_async_engine(db_url)
    try:
        async with AsyncSession(engine) as session:
            with pytest.raises(_RolledBack):
                async with session.begin():
                    await send(session, a.store.origin, [_deleted("no")])
                    raise _RolledBack
            async with session.begin():
                await send(session, a.store.origin, [_deleted("yes")])
    finally:
        await engine.dispose()
    await _until(lambda: ("deleted", ResourceType.SERVER, "yes") in b.seen.events, "the commit")
    assert ("deleted", ResourceType.SERVER, "no") not in b.seen.events
    await a.store.create_pod(_pod("dup"))
    with pytest.raises(AlreadyExists):
        await a.store.create_pod(_pod("dup"))
    await _until(lambda: b.seen.count(("pods",)) == 2, "the first create")
    # Notifications arrive in commit order: once a later change is seen, the refused one is past.
    await a.store.create_pod(_pod("marker"))
    await _until(lambda: b.seen.count(("pods",)) >= 3, "the marker pod")
    assert b.seen.count(("pods",)) == 3


@pytest.mark.postgres
async def test_a_dropped_listener_reconnects_resyncs_and_keeps_following(
    db_url: str, replicas
) -> None:
    a, b = replicas
    dsn = sa.make_url(db_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        killed = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            f"{APPLICATION_NAME}-{b.store.origin}",
        )
    finally:
        await connection.close()
    assert killed == 1
    await _until(lambda: b.listener.connects == 2, "B's listener to reconnect")
    await _until(lambda: b.seen.count(("routings",)) == 2, "B to resync routings")
    await _until(lambda: b.seen.count(("pods",)) == 2, "B to resync pods")
    await a.store.create_pod(_pod("after"))
    await _until(lambda: b.seen.count(("pods",)) == 3, "a change after the reconnect")
    assert a.listener.connects == 1
