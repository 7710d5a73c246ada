"""Change notifications between control-plane replicas that share one PostgreSQL database.

Each replica keeps state derived from the store (pods for xDS, routings for the decision service
and Envoy's fast path). Every committed change is sent as `NOTIFY podgate_changes` in the write's
own transaction, so a rolled-back write notifies nobody. Every replica LISTENs on a dedicated
asyncpg connection, skips its own notifications (its feed had them at commit) and publishes the
others' into its change feed. Notifications sent while that connection was down are lost, so
after every (re)connect the replica resyncs: pods reloaded, routing caches dropped and refilled.
SQLite means one process: nothing is sent and nobody listens. The payload format is in
control_plane.store.changes.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.model import ResourceType
from control_plane.store.changes import RESYNC, Change, ChangeKind, decode, encode
from control_plane.store.feed import Subscriber

__all__ = [
    "APPLICATION_NAME",
    "CHANNEL",
    "Announcer",
    "Backoff",
    "Listener",
    "connector",
    "follow",
    "send",
]

log = logging.getLogger("podgate.notify")

CHANNEL = "podgate_changes"
# The listener's application_name (plus the replica's origin), visible in pg_stat_activity.
APPLICATION_NAME = "podgate-listener"


async def send(session: AsyncSession, origin: str, changes: Iterable[Change]) -> None:
    """NOTIFY inside the caller's transaction (delivered on commit); nothing on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for change in changes:
        await session.execute(sa.select(sa.func.pg_notify(CHANNEL, encode(origin, change))))


class Announcer:
    """Sends changes no store write carries (a user's DELETE) without holding up the request."""

    def __init__(self, announce: Callable[[Change], Awaitable[None]]) -> None:
        self._announce = announce
        self._pending: set[asyncio.Task[None]] = set()

    def resource_deleted(self, resource_type: ResourceType | str, resource_id: str) -> None:
        """Tell the other replicas to take the resource off their fast path."""
        task = asyncio.get_running_loop().create_task(
            self._send(Change(ChangeKind.RESOURCE_DELETED, str(resource_type), resource_id))
        )
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        """Let announcements in flight finish."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def _send(self, change: Change) -> None:
        try:
            await self._announce(change)
        except Exception as exc:  # a lost announcement must not fail anything
            log.warning("change not announced", extra={"kind": change.kind, "error": str(exc)})


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between reconnect attempts (doubling) and between health checks."""

    first_s: float = 0.1
    max_s: float = 5.0
    health_every_s: float = 5.0


class Listener:
    """LISTENs on a dedicated connection, delivers other replicas' changes in order (in batches:
    whatever arrived while the last batch was delivered), reconnects."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        origin: str,
        deliver: Subscriber,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._connect = connect
        self._origin = origin
        self._deliver = deliver
        self._backoff = backoff
        self._queue: asyncio.Queue[Change] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.connects = 0

    async def start(self) -> None:
        """Listen now (a failure raises), then keep listening and delivering in the background."""
        connection = await self._listen()
        self._tasks = [
            asyncio.create_task(self._keep_listening(connection)),
            asyncio.create_task(self._deliver_forever()),
        ]

    async def close(self) -> None:
        """Stop listening and delivering."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _listen(self) -> asyncpg.Connection:
        connection = await self._connect()
        try:
            await connection.add_listener(CHANNEL, self._received)
        except BaseException:
            connection.terminate()
            raise
        self.connects += 1
        self._resync()
        log.info("listening for changes", extra={"connects": self.connects})
        return connection

    def _received(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        decoded = decode(payload)
        if decoded is None:
            log.warning("unknown change notification ignored")
        elif decoded[0] != self._origin:
            self._queue.put_nowait(decoded[1])

    async def _keep_listening(self, connection: asyncpg.Connection) -> None:
        while True:
            try:
                await self._until_lost(connection)
            finally:
                connection.terminate()
            log.warning("change listener lost its connection; reconnecting")
            connection = await self._reconnect()

    async def _until_lost(self, connection: asyncpg.Connection) -> None:
        """Return once the connection is gone: closed by the server, or failing a health check."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        while not lost.is_set() and not connection.is_closed():
            try:
                await asyncio.wait_for(lost.wait(), self._backoff.health_every_s)
            except TimeoutError:
                try:
                    await connection.execute("SELECT 1", timeout=self._backoff.health_every_s)
                except Exception:  # whatever failed, a fresh connection is the cure
                    return

    async def _reconnect(self) -> asyncpg.Connection:
        delay = self._backoff.first_s
        while True:
            await asyncio.sleep(delay)
            try:
                return await self._listen()
            except Exception as exc:  # the server may be restarting: keep trying
                log.warning("change listener cannot reconnect", extra={"error": str(exc)})
                delay = min(delay * 2, self._backoff.max_s)

    def _resync(self) -> None:
        """Notifications may have been lost: have everything derived reloaded."""
        for change in RESYNC:
            self._queue.put_nowait(change)

    async def _deliver_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._deliver(batch)
            except Exception as exc:  # the store may be away: resync later
                log.warning("changes not applied; resyncing", extra={"error": str(exc)})
                await asyncio.sleep(self._backoff.max_s)
                self._resync()


def connector(url: str, origin: str) -> Callable[[], Awaitable[asyncpg.Connection]]:
    """Opens a plain asyncpg connection to the database of a SQLAlchemy URL, named for the
    replica in pg_stat_activity (`podgate-listener-<origin>`)."""
    parsed = sa.make_url(url)
    _, options = parsed.get_dialect()().create_connect_args(parsed)
    settings = {"application_name": f"{APPLICATION_NAME}-{origin}"}

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(**options, timeout=10, server_settings=settings)

    return connect


@asynccontextmanager
async def follow(url: str, origin: str, deliver: Subscriber) -> AsyncIterator[Listener | None]:
    """Hand other replicas' changes to `deliver` while inside; a no-op (None) on SQLite."""
    if sa.make_url(url).get_backend_name() != "postgresql":
        yield None
        return
    listener = Listener(connector(url, origin), origin, deliver)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.close()
