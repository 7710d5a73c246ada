"""The active bindings of recently asked-for projects, held in memory for scheduling.

Every create reads its project's bindings; they change about once per project and zone, so a
read is nearly always answered from memory. The cache follows the store's change feed: any
binding or pod change (this process's write, another replica's NOTIFY, a decision worker's
link) drops everything, and a read that raced such a change is answered but not kept.
"""

from collections.abc import Awaitable, Callable, Sequence

from control_plane.model import Binding
from control_plane.store.changes import Change, ChangeKind

__all__ = ["BindingCache"]

# Changes that leave every binding as it was.
_ROUTING_ONLY = frozenset({ChangeKind.ROUTING_DELETED, ChangeKind.RESOURCE_DELETED})


class BindingCache:
    """Per-project active bindings read through `read`, at most `max_projects` kept (the
    least recently read go first)."""

    def __init__(
        self, read: Callable[[str], Awaitable[list[Binding]]], *, max_projects: int = 10_000
    ) -> None:
        self._read = read
        self._max_projects = max_projects
        self._held: dict[str, tuple[Binding, ...]] = {}
        # Bumped by every change: a read that started before one must not be kept.
        self._generation = 0
        self.hits = 0
        self.misses = 0

    async def active_bindings(self, project_id: str) -> list[Binding]:
        """The project's active bindings (at most one per AZ), oldest first."""
        held = self._held.pop(project_id, None)
        if held is not None:
            self._held[project_id] = held  # most recently read last
            self.hits += 1
            return list(held)
        self.misses += 1
        generation = self._generation
        bindings = await self._read(project_id)
        if generation == self._generation:
            self._held[project_id] = tuple(bindings)
            if len(self._held) > self._max_projects:
                del self._held[next(iter(self._held))]
        return bindings

    async def changed(self, changes: Sequence[Change]) -> None:
        """A change feed subscriber: anything but a routing's change drops every project."""
        if all(change.kind in _ROUTING_ONLY for change in changes):
            return
        self._generation += 1
        self._held.clear()
