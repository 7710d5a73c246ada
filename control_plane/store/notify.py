"""Change notifications between control-plane replicas that share one PostgreSQL database.

Each replica caches shared state (pods for xDS, routings for the decision service and Envoy's
fast path). A write that invalidates another replica's cache sends `NOTIFY podgate_changes` in
the write's own transaction, so a rolled-back write notifies nobody. Every replica LISTENs on a
dedicated asyncpg connection, skips its own notifications (the writer already updated its
caches) and applies the others'. Notifications sent while that connection was down are lost, so
after every (re)connect the replica resyncs: pods reloaded, routing caches dropped and refilled.
SQLite means one process: nothing is sent and nobody listens.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.model import ResourceType

__all__ = [
    "CHANNEL",
    "PODS",
    "ROUTINGS_DROPPED",
    "Announcer",
    "Backoff",
    "Caches",
    "Change",
    "Kind",
    "Listener",
    "apply",
    "connector",
    "decode",
    "encode",
    "follow",
    "new_origin",
    "send",
]

log = logging.getLogger("podgate.notify")

CHANNEL = "podgate_changes"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7999
# The listener's application_name (plus the replica's origin), visible in pg_stat_activity.
APPLICATION_NAME = "podgate-listener"


class Kind(StrEnum):
    """What changed; each kind names the cache it invalidates."""

    PODS = "pods"  # a pod was created, updated or deleted: reload pods (and push xDS)
    ROUTING_DELETED = "routing"  # an admin deleted one routing: forget it
    RESOURCE_DELETED = "resource"  # a user deleted a resource: off the fast path
    ROUTINGS_DROPPED = "routings"  # a forced pod delete dropped its routings: reload routings


@dataclass(frozen=True, slots=True)
class Change:
    """One notification; resource kinds carry the resource's type and id."""

    kind: Kind
    resource_type: str = ""
    resource_id: str = ""


PODS = Change(Kind.PODS)
ROUTINGS_DROPPED = Change(Kind.ROUTINGS_DROPPED)


def new_origin() -> str:
    """A replica's id in its payloads, so that it can recognise (and skip) its own."""
    return uuid.uuid4().hex[:12]


def encode(origin: str, change: Change) -> str:
    """The NOTIFY payload: compact JSON; ValueError when PostgreSQL would refuse its size."""
    fields = {"o": origin, "k": change.kind.value}
    if change.resource_type or change.resource_id:
        fields |= {"t": change.resource_type, "i": change.resource_id}
    payload = json.dumps(fields, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"notification payload of {len(payload.encode())} bytes is too long")
    return payload


def decode(payload: str) -> tuple[str, Change] | None:
    """(origin, change) from a payload; None for anything this version does not understand."""
    try:
        fields = json.loads(payload)
        kind = Kind(fields["k"])
        if kind in (Kind.ROUTING_DELETED, Kind.RESOURCE_DELETED):
            change = Change(kind, ResourceType(fields["t"]).value, str(fields["i"]))
        else:
            change = Change(kind)
        return str(fields["o"]), change
    except (ValueError, TypeError, KeyError):
        return None


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
            self._send(Change(Kind.RESOURCE_DELETED, str(resource_type), resource_id))
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
class Caches:
    """A replica's caches of shared state and how each change reaches them."""

    reload_pods: Callable[[], Awaitable[None]]
    forget_routing: Callable[[ResourceType, str], None]
    resource_deleted: Callable[[ResourceType, str], None]
    reload_routings: Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between reconnect attempts (doubling) and between health checks."""

    first_s: float = 0.1
    max_s: float = 5.0
    health_every_s: float = 5.0


_RESYNC = None  # queue marker: notifications may have been lost, reload everything


class Listener:
    """LISTENs on a dedicated connection, applies other replicas' changes in order, reconnects."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        origin: str,
        caches: Caches,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._connect = connect
        self._origin = origin
        self._caches = caches
        self._backoff = backoff
        self._queue: asyncio.Queue[Change | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.connects = 0

    async def start(self) -> None:
        """Listen now (a failure raises), then keep listening and applying in the background."""
        connection = await self._listen()
        self._tasks = [
            asyncio.create_task(self._keep_listening(connection)),
            asyncio.create_task(self._apply_forever()),
        ]

    async def close(self) -> None:
        """Stop listening and applying."""
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
        self._queue.put_nowait(_RESYNC)
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

    async def _apply_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await apply(batch, self._caches)
            except Exception as exc:  # the store may be away: resync later
                log.warning("changes not applied; resyncing", extra={"error": str(exc)})
                await asyncio.sleep(self._backoff.max_s)
                self._queue.put_nowait(_RESYNC)


async def apply(batch: Iterable[Change | None], caches: Caches) -> None:
    """Apply changes in order; reloads (`None` asks for both) run once per batch, last."""
    pods = routings = False
    for change in batch:
        if change is None:
            pods = routings = True
        elif change.kind is Kind.PODS:
            pods = True
        elif change.kind is Kind.ROUTINGS_DROPPED:
            routings = True
        elif change.kind is Kind.ROUTING_DELETED:
            caches.forget_routing(ResourceType(change.resource_type), change.resource_id)
        elif change.kind is Kind.RESOURCE_DELETED:
            caches.resource_deleted(ResourceType(change.resource_type), change.resource_id)
    if routings:
        await caches.reload_routings()
    if pods:
        await caches.reload_pods()


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
async def follow(url: str, origin: str, caches: Caches) -> AsyncIterator[Listener | None]:
    """Keep `caches` in step with other replicas while inside; a no-op (None) on SQLite."""
    if sa.make_url(url).get_backend_name() != "postgresql":
        yield None
        return
    listener = Listener(connector(url, origin), origin, caches)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.close()
