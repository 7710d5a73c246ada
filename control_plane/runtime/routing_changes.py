"""How committed routing changes reach a process's routing caches (a change feed subscriber)."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from control_plane.model import ResourceType
from control_plane.store.changes import Change, ChangeKind

__all__ = ["RoutingCaches"]


@dataclass(frozen=True, slots=True)
class RoutingCaches:
    """A process's routing caches: the routing table and, in the main process, the fast path."""

    forget_routing: Callable[[ResourceType, str], None]
    resource_deleted: Callable[[ResourceType, str], None]
    reload_routings: Callable[[], Awaitable[None]]

    async def __call__(self, changes: Sequence[Change]) -> None:
        """Apply a batch in order; a reload (routings were dropped) runs once, last."""
        reload = False
        for change in changes:
            if change.kind is ChangeKind.ROUTINGS_DROPPED:
                reload = True
            elif change.kind is ChangeKind.ROUTING_DELETED:
                self.forget_routing(ResourceType(change.resource_type), change.resource_id)
            elif change.kind is ChangeKind.RESOURCE_DELETED:
                self.resource_deleted(ResourceType(change.resource_type), change.resource_id)
        if reload:
            await self.reload_routings()
