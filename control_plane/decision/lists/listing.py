"""One sorted, paged list out of many pods' sorted pages (after nova/compute/multi_cell_list.py).

Each pod sorts and pages its own resources (list_query.py makes sure they all sort alike); the
gateway k-way merges their pages and never sorts the whole cloud.

Paging state lives in a `Cursor`: the last item shown (its sort values) and, per pod, where that
pod's own stream stands. A pod with no position is read from its start and every item that does
not sort strictly after the cursor's values is skipped.
"""

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from control_plane.decision.lists.query import ListQuery, SortKey
from control_plane.model import Service

__all__ = [
    "EXHAUSTED",
    "FROM_START",
    "Cursor",
    "CursorKey",
    "Entry",
    "Exhausted",
    "FromStart",
    "Merged",
    "Position",
    "ResumeAfter",
    "Stream",
    "advance",
    "cursor_key",
    "merge",
]


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed resource as its pod showed it, the pod, and the key it sorts by."""

    pod: str
    id: str
    item: Mapping[str, object]
    key: SortKey


@dataclass(frozen=True, slots=True)
class FromStart:
    """The pod's stream has not been read yet: ask it without a marker."""


@dataclass(frozen=True, slots=True)
class ResumeAfter:
    """The pod's stream stopped after this item: ask it with this (pod-local) marker."""

    marker: str


@dataclass(frozen=True, slots=True)
class Exhausted:
    """Every item of the pod's stream has been shown: do not ask it again."""


Position = FromStart | ResumeAfter | Exhausted
FROM_START = FromStart()
EXHAUSTED = Exhausted()
# (project, service, normalised query without limit and marker, id of the page's last item)
CursorKey = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a walk stands after a page: the last item's sort values and each pod's position.

    A pod without a position (it failed, joined later, or the cursor was rebuilt from a marker)
    is read from its start, skipping every item that does not sort strictly after `after`.
    """

    after: SortKey | None
    positions: Mapping[str, Position]


@dataclass(frozen=True, slots=True)
class Stream:
    """A pod's items for this page, in its order, and what lies around them.

    `start` is the pod's position just before `entries[0]`; `exhausted` says nothing follows
    the entries. A stream that is not exhausted stops the merge when its entries run out,
    because the pod's next item could sort before anything still waiting in other streams.
    """

    pod: str
    entries: tuple[Entry, ...]
    exhausted: bool
    start: Position


@dataclass(frozen=True, slots=True)
class Merged:
    """The page, whether more items follow it, and how many entries each pod gave."""

    entries: tuple[Entry, ...]
    more: bool
    taken: Mapping[str, int]


def cursor_key(project_id: str, service: Service, query: ListQuery, last_id: str) -> CursorKey:
    """The cache key of the cursor after `last_id`; the page size does not matter."""
    params = sorted(query.params, key=lambda param: param[0])
    return (project_id, str(service), urlencode(params), last_id)


def merge(streams: Iterable[Stream], *, limit: int | None) -> Merged:
    """The first `limit` entries (None: all) of all streams in sort order (a k-way merge)."""
    streams = list(streams)
    taken = dict.fromkeys((stream.pod for stream in streams), 0)
    page: list[Entry] = []
    for element in heapq.merge(*(_with_end(stream) for stream in streams), key=_key_of):
        if isinstance(element, _End) or len(page) == limit:
            return Merged(tuple(page), more=True, taken=taken)
        page.append(element)
        taken[element.pod] += 1
    return Merged(tuple(page), more=False, taken=taken)


def advance(cursor: Cursor, streams: Iterable[Stream], merged: Merged) -> Cursor:
    """The cursor after `merged`'s last entry; pods without a stream (failed) lose position."""
    if not merged.entries:
        return cursor
    positions: dict[str, Position] = {}
    for stream in streams:
        taken = merged.taken.get(stream.pod, 0)
        if stream.exhausted and taken == len(stream.entries):
            positions[stream.pod] = EXHAUSTED
        elif taken:
            positions[stream.pod] = ResumeAfter(stream.entries[taken - 1].id)
        else:
            positions[stream.pod] = stream.start
    return Cursor(after=merged.entries[-1].key, positions=positions)


class _End:
    """Marks where a stream that is not exhausted runs out of fetched entries."""

    __slots__ = ("key",)

    def __init__(self, key: SortKey) -> None:
        self.key = key


def _with_end(stream: Stream) -> Iterable[Entry | _End]:
    yield from stream.entries
    if not stream.exhausted and stream.entries:
        # NOTE: the end sorts right after the stream's last entry (ids make keys unique), so
        # it surfaces exactly when every other head sorts after that entry too.
        yield _End(stream.entries[-1].key)


def _key_of(element: Entry | _End) -> SortKey:
    return element.key
