"""Resource → pod lookups for every routed request, served from memory when possible.

Routings never move on their own, so a positive answer can be cached until an admin deletes it
or the resource is found gone (`forget`, `forget_gone`). Negative answers are not cached: the
resource may be recorded a moment later.
Lists learn routings in bulk; ids known to be stored are remembered so that listing the same
resources again costs no write. Routings used by a request or recorded by a create also go to the
fast path (Envoy's own table), so the next request for them never reaches the decision service.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from control_plane.decision.routed.batched_reads import BatchedReads
from control_plane.model import ResourceType, Routing

_Key = tuple[str, str]


class RoutingStore(Protocol):
    """The part of the store the routing table needs."""

    async def get_routings(
        self, resource_type: ResourceType, resource_ids: Sequence[str]
    ) -> list[Routing]:
        """The recorded routings among `resource_ids`, in one query."""

    async def put_routing(self, routing: Routing) -> Routing:
        """Record a routing durably; a stored one wins and is returned instead."""

    async def learn_routings(self, routings: Sequence[Routing]) -> int:
        """Record the routings of ids not stored yet; returns how many were new."""

    async def give_routing(
        self, resource_type: ResourceType, resource_id: str, project_id: str
    ) -> Routing | None:
        """Make a stored routing another project's; None when none is stored."""

    async def forget_routings(
        self, routings: Sequence[Routing], *, created_before: datetime | None = None
    ) -> list[Routing]:
        """Delete the routings still naming their pod (and older than `created_before`)."""


class FastPath(Protocol):
    """The routings Envoy routes by itself (control_plane.xds.fast_path_set.FastPathSet)."""

    def add(self, routing: Routing) -> None:
        """A routing just used or recorded."""

    def delete(self, resource_type: ResourceType, resource_id: str) -> None:
        """The resource was deleted."""

    def forget(self, resource_type: ResourceType, resource_id: str) -> None:
        """The routing was removed."""


class _NoFastPath:
    def add(self, routing: Routing) -> None:
        pass

    def delete(self, resource_type: ResourceType, resource_id: str) -> None:
        pass

    def forget(self, resource_type: ResourceType, resource_id: str) -> None:
        pass


class RoutingTable:
    """An LRU cache of routings in front of the store; counts hits and misses for metrics."""

    def __init__(
        self,
        store: RoutingStore,
        *,
        max_entries: int,
        fast_path_set: FastPath | None = None,
        on_deleted: Callable[[ResourceType, str], None] = lambda _type, _id: None,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._store = store
        self._reads = BatchedReads(store.get_routings)
        self._fast_path_set = _NoFastPath() if fast_path_set is None else fast_path_set
        self._on_deleted = on_deleted
        self._max_entries = max_entries
        self._cache: OrderedDict[_Key, Routing] = OrderedDict()
        self._stored: OrderedDict[_Key, None] = OrderedDict()
        self._forgotten = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._cache)

    async def lookup(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        """The routing of one resource, from memory or else from the store (reads of concurrent
        lookups coalesced: batched_reads.py)."""
        key = (str(resource_type), resource_id)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            self._fast_path_set.add(cached)
            return cached
        self.misses += 1
        forgotten = self._forgotten
        routing = await self._reads.get(resource_type, resource_id)
        # NOTE: a forget() during the read may concern this very key; don't cache a stale answer.
        if routing is not None and forgotten == self._forgotten:
            self._remember(key, routing)
            self._fast_path_set.add(routing)
        return routing

    async def lookup_many(
        self, resource_type: ResourceType, resource_ids: Iterable[str]
    ) -> dict[str, Routing]:
        """The known routings of many resources by id: memory first, then ONE store query.

        Not put on the fast path: a batch names resources nobody is about to request.
        """
        found: dict[str, Routing] = {}
        missing: list[str] = []
        for resource_id in dict.fromkeys(resource_ids):
            cached = self._cache.get((str(resource_type), resource_id))
            if cached is None:
                missing.append(resource_id)
            else:
                found[resource_id] = cached
        self.hits += len(found)
        self.misses += len(missing)
        if missing:
            stored = await self._store.get_routings(resource_type, missing)
            found.update((routing.resource_id, routing) for routing in stored)
        return found

    async def record(self, routing: Routing) -> Routing:
        """Store a routing durably, then serve it from memory; returns the stored routing.

        A resource never moves: when the id is stored already, that routing (maybe naming
        another pod than `routing`) is what is kept and returned.
        """
        stored = await self._store.put_routing(routing)
        self._remember((str(stored.resource_type), stored.resource_id), stored)
        self._fast_path_set.add(stored)
        return stored

    async def learn(self, routings: Iterable[Routing]) -> int:
        """Store the routings of ids not known to be stored; returns how many were new.

        The store keeps what it already had (a listing is no authority to move a resource),
        so learnt routings are not cached as answers: the next lookup reads the stored one.
        """
        fresh: dict[_Key, Routing] = {}
        for routing in routings:
            key = (str(routing.resource_type), routing.resource_id)
            if key in self._stored:
                self._stored.move_to_end(key)
                continue
            if key in self._cache:
                continue
            fresh[key] = routing
        if not fresh:
            return 0
        forgotten = self._forgotten
        added = await self._store.learn_routings(list(fresh.values()))
        if forgotten == self._forgotten:
            for key in fresh:
                self._stored[key] = None
                self._stored.move_to_end(key)
            while len(self._stored) > self._max_entries:
                self._stored.popitem(last=False)
        return added

    async def give(
        self, resource_type: ResourceType, resource_id: str, project_id: str
    ) -> Routing | None:
        """The resource is `project_id`'s now (a transfer accepted): stored, then served from
        memory; None when no routing was stored."""
        self.forget(resource_type, resource_id)
        given = await self._store.give_routing(resource_type, resource_id, project_id)
        if given is not None:
            self._remember((str(resource_type), resource_id), given)
        return given

    def forget(self, resource_type: ResourceType, resource_id: str) -> None:
        """Drop a routing from memory (an admin deleted it from the store)."""
        self._forgotten += 1
        key = (str(resource_type), resource_id)
        self._cache.pop(key, None)
        self._stored.pop(key, None)
        self._fast_path_set.forget(resource_type, resource_id)

    async def forget_gone(
        self, routings: Sequence[Routing], *, created_before: datetime | None = None
    ) -> list[Routing]:
        """The resources are gone from their pods: delete their routings durably (those still
        naming that pod, stored before `created_before`); returns the ones deleted.

        Every one leaves this process's memory and fast path, deleted now or not: another
        process may have deleted it while this one's memory still held it.
        """
        forgotten = await self._store.forget_routings(routings, created_before=created_before)
        for routing in routings:
            self.forget(routing.resource_type, routing.resource_id)
        return forgotten

    def forget_all(self) -> None:
        """Drop every routing from memory (changes by other replicas may have been missed)."""
        self._forgotten += 1
        self._cache.clear()
        self._stored.clear()

    def deleted(self, resource_type: ResourceType, resource_id: str) -> None:
        """A user is deleting the resource: its requests go through the decision service again.

        The routing stays (the pod may show the resource while it is being deleted, and a
        failed delete leaves it in place); only the fast path lets go of it, here and (through
        `on_deleted`) in the other replicas' Envoys.
        """
        self._fast_path_set.delete(resource_type, resource_id)
        self._on_deleted(resource_type, resource_id)

    def _remember(self, key: _Key, routing: Routing) -> None:
        self._cache[key] = routing
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
