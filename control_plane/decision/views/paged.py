"""Nova's paged admin lists (hypervisors from 2.33, migrations from 2.59) paged across pods.

Each pod pages only its own part, so the gateway asks every pod for its whole list (`limit` and
`marker` taken out), joins them (hypervisors oldest pod first, each in its pod's order;
migrations newest first, as Nova sorts them across cells), and cuts the client's page out of
the joined list as a pod would: the items after `marker`, at most `limit`, and a `next` link
whenever the page is full. Pure.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from control_plane.decision.shared.paging import (
    Page,
    Paging,
    SharedList,
    next_query,
    paging,
    take_page,
)
from control_plane.model import Service

__all__ = ["PagedList", "page_of", "paged_list"]


@dataclass(frozen=True, slots=True)
class PagedList:
    """One paged admin list: how its items page, and whether it sorts newest first."""

    shared: SharedList
    newest_first: bool = False


# The collection segment -> how its list pages.
_PAGED = {
    "os-hypervisors": PagedList(SharedList("hypervisors", "id", "id", True, (2, 33))),
    "os-migrations": PagedList(
        SharedList("migrations", "uuid", "uuid", True, (2, 59)), newest_first=True
    ),
}
_LISTS = frozenset({("os-hypervisors",), ("os-hypervisors", "detail"), ("os-migrations",)})


def paged_list(
    segments: Sequence[str], query: str, headers: Mapping[str, str]
) -> tuple[PagedList, Paging] | None:
    """The list and the client's paging when the gateway pages it; None for anything else
    (another path, a microversion that does not page, no `limit` or `marker`, or a bad one,
    which the pods refuse themselves)."""
    if tuple(segments) not in _LISTS:
        return None
    listed = _PAGED[segments[0]]
    request = paging(query)
    if request is None or (request.limit is None and request.marker is None):
        return None
    if not listed.shared.pages(Service.COMPUTE, headers):
        return None
    return listed, request


def page_of(
    listed: PagedList,
    request: Paging,
    documents: Sequence[Mapping[str, Any]],
    *,
    href: str,
    query: str,
) -> dict[str, Any] | None:
    """The client's page of the pods' joined lists; None when the marker names no item.

    `href` and `query`: the list's gateway URL and the client's query, for the next link.
    """
    key = listed.shared.key
    items = [item for document in documents for item in document.get(key) or []]
    if listed.newest_first:
        items.sort(key=lambda item: (str(item.get("created_at")), str(item.get("uuid"))))
        items.reverse()
    aliases = {str(item.get(listed.shared.marker_field)): _identity(listed, item) for item in items}
    page: Page | None = take_page(items, request, listed.shared, aliases)
    if page is None:
        return None
    return page.document(listed.shared, lambda marker: f"{href}?{next_query(query, marker)}")


def _identity(listed: PagedList, item: Mapping[str, Any]) -> Any:
    return listed.shared.identity(item)
