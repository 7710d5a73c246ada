"""Routing reads of concurrent requests, coalesced: one store query at a time, for every id
asked meanwhile.

A store read costs mostly its round trip (a pooled connection, a transaction, a worker thread
with SQLite), not its rows; requests missing the cache at once would each pay it and, past the
pool's size, open and close connections of their own. Here a miss reads at once while fewer
than `_READERS` reads are out (within the store's pool); misses arriving while all are out wait
for the next free one, which asks for all of them.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from control_plane.model import ResourceType, Routing

__all__ = ["BatchedReads"]

_Key = tuple[ResourceType, str]
# Reads out at once: below SQLAlchemy's default pool size (5), so no read opens a connection.
_READERS = 4
ReadMany = Callable[[ResourceType, Sequence[str]], Awaitable[list[Routing]]]


class BatchedReads:
    """`get` one routing; the reads of ids asked for while others are out go to the store as
    one."""

    def __init__(self, read_many: ReadMany) -> None:
        self._read_many = read_many
        self._waiting: dict[_Key, asyncio.Future[Routing | None]] = {}
        self._readers = 0

    async def get(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        """The stored routing of one resource, if any."""
        key = (resource_type, resource_id)
        future = self._waiting.get(key)
        if future is None:
            future = self._waiting[key] = asyncio.get_running_loop().create_future()
            if self._readers < _READERS:
                self._readers += 1
                asyncio.get_running_loop().create_task(self._read())
        return await asyncio.shield(future)

    async def _read(self) -> None:
        """Read everything waiting, again and again until nothing is."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                by_type: dict[ResourceType, list[str]] = {}
                for resource_type, resource_id in batch:
                    by_type.setdefault(resource_type, []).append(resource_id)
                try:
                    found = {
                        (routing.resource_type, routing.resource_id): routing
                        for resource_type, ids in by_type.items()
                        for routing in await self._read_many(resource_type, ids)
                    }
                except Exception as exc:  # every waiter gets the store's failure
                    for future in batch.values():
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for key, future in batch.items():
                    if not future.done():
                        future.set_result(found.get(key))
        finally:
            self._readers -= 1
