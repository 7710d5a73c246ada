"""Recently answered list pages, so the next page resumes each pod exactly where it stopped.

With a cursor the gateway hands every pod its own last item as marker, so each pod's stream
continues seamlessly even where pods break ties differently from the gateway. Without one
(restart, another replica, a hand-made marker) the lister rebuilds the position from the marker
item, which costs an extra lookup and a scan of the other pods.
"""

from collections import OrderedDict

from control_plane.decision.lists.listing import Cursor, CursorKey

__all__ = ["CursorCache"]


class CursorCache:
    """An LRU map from (project, service, query, last id) to the cursor after that page."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must not be negative")
        self._max_entries = max_entries
        self._cursors: OrderedDict[CursorKey, Cursor] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._cursors)

    def get(self, key: CursorKey) -> Cursor | None:
        """The cursor stored under `key`, now the most recently used; None when unknown."""
        cursor = self._cursors.get(key)
        if cursor is None:
            self.misses += 1
            return None
        self.hits += 1
        self._cursors.move_to_end(key)
        return cursor

    def put(self, key: CursorKey, cursor: Cursor) -> None:
        """Remember `cursor`, dropping the least recently used beyond the size (0: keep none)."""
        if self._max_entries == 0:
            return
        self._cursors[key] = cursor
        self._cursors.move_to_end(key)
        while len(self._cursors) > self._max_entries:
            self._cursors.popitem(last=False)

    def clear(self) -> None:
        """Forget every cursor."""
        self._cursors.clear()
