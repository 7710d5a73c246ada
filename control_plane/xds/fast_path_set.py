"""The bounded set of routings Envoy holds in its route table (most recently used first out last).

Envoy resends a whole RouteConfiguration on every change, so the set is capped: the least
recently used routing drops out and its requests go through the decision service again.
Deleted resources are remembered (tombstones) so that a later lookup does not bring them back.

"Used" is what the control plane sees: a create or a GET through the decision service, never
the GETs Envoy serves by itself. So a busy id is dropped like an idle one once newer ids fill
the cap, and comes back at its next GET, pushing the next one out. Those comebacks are counted
(`readmissions`): a steady stream of them says the cap is smaller than the ids in use.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable

from control_plane.model import ResourceType, Routing

__all__ = ["FastPathSet"]

_Key = tuple[str, str]


class FastPathSet:
    """Routings for Envoy's table; `on_change` is called after every change of its content."""

    def __init__(self, *, max_entries: int, on_change: Callable[[], None] = lambda: None) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must not be negative")
        self._max_entries = max_entries
        self._routings: OrderedDict[_Key, Routing] = OrderedDict()
        self._deleted: OrderedDict[_Key, None] = OrderedDict()
        self._evicted: OrderedDict[_Key, None] = OrderedDict()
        self.readmissions = 0
        self.on_change = on_change

    @property
    def max_entries(self) -> int:
        return self._max_entries

    def __len__(self) -> int:
        return len(self._routings)

    def __contains__(self, key: object) -> bool:
        return key in self._routings

    def routings(self) -> tuple[Routing, ...]:
        """Every routing in the set, least recently used first."""
        return tuple(self._routings.values())

    def seed(self, routings: Iterable[Routing]) -> None:
        """Fill the set at start-up (most recent last) with one change notification."""
        if any([self._put(routing) for routing in routings]):
            self.on_change()

    def add(self, routing: Routing) -> None:
        """A routing just used or recorded: keep it, most recently used."""
        if self._put(routing):
            self.on_change()

    def delete(self, resource_type: ResourceType, resource_id: str) -> None:
        """The resource was deleted: drop it and keep it out."""
        key = (str(resource_type), resource_id)
        self._deleted[key] = None
        self._deleted.move_to_end(key)
        while len(self._deleted) > max(self._max_entries, 1):
            self._deleted.popitem(last=False)
        self.forget(resource_type, resource_id)

    def forget(self, resource_type: ResourceType, resource_id: str) -> None:
        """The routing is no longer valid (an admin removed it): drop it."""
        if self._routings.pop((str(resource_type), resource_id), None) is not None:
            self.on_change()

    def _put(self, routing: Routing) -> bool:
        """Insert or refresh one routing; True when the content changed."""
        key = (str(routing.resource_type), routing.resource_id)
        if key in self._deleted or self._max_entries == 0:
            return False
        known = self._routings.get(key)
        self._routings[key] = routing
        self._routings.move_to_end(key)
        changed = known is None or (known.pod_name, known.project_id) != (
            routing.pod_name,
            routing.project_id,
        )
        if known is None and key in self._evicted:
            del self._evicted[key]
            self.readmissions += 1
        while len(self._routings) > self._max_entries:
            evicted, _ = self._routings.popitem(last=False)
            self._evicted[evicted] = None
            changed = True
        while len(self._evicted) > self._max_entries:
            self._evicted.popitem(last=False)
        return changed
