"""Resource → pod lookups for every routed request, served from memory when possible.

Routings never move on their own, so a positive answer can be cached until an admin deletes it
(`forget`). Negative answers are not cached: the resource may be recorded a moment later.
"""

from collections import OrderedDict
from typing import Protocol

from control_plane.model import ResourceType, Routing

_Key = tuple[str, str]


class RoutingStore(Protocol):
    """The part of the store the routing table needs."""

    async def get_routing(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        """The recorded routing, if any."""

    async def put_routing(self, routing: Routing) -> Routing:
        """Record (or replace) a routing durably."""


class RoutingTable:
    """An LRU cache of routings in front of the store; counts hits and misses for metrics."""

    def __init__(self, store: RoutingStore, *, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._store = store
        self._max_entries = max_entries
        self._cache: OrderedDict[_Key, Routing] = OrderedDict()
        self._forgotten = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._cache)

    async def lookup(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        """The routing of one resource, from memory or else from the store."""
        key = (str(resource_type), resource_id)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            return cached
        self.misses += 1
        forgotten = self._forgotten
        routing = await self._store.get_routing(resource_type, resource_id)
        # NOTE: a forget() during the read may concern this very key; don't cache a stale answer.
        if routing is not None and forgotten == self._forgotten:
            self._remember(key, routing)
        return routing

    async def record(self, routing: Routing) -> None:
        """Store a routing durably, then serve it from memory."""
        stored = await self._store.put_routing(routing)
        self._remember((str(stored.resource_type), stored.resource_id), stored)

    def forget(self, resource_type: ResourceType, resource_id: str) -> None:
        """Drop a routing from memory (an admin deleted it from the store)."""
        self._forgotten += 1
        self._cache.pop((str(resource_type), resource_id), None)

    def _remember(self, key: _Key, routing: Routing) -> None:
        self._cache[key] = routing
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
