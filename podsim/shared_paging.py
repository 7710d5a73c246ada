"""Paging of the shared lists as the real APIs page them: flavors, key pairs, volume types.

Nova pages flavors by `flavorid` (or `sort_key`/`sort_dir`) and key pairs by name (from
microversion 2.35), both with a `next` link whenever a page is full; Cinder pages volume types
by its own id, without links. An unknown marker is a 400.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from podsim.faults import BadRequest
from podsim.kind import MAX_LIMIT
from podsim.links import app_url
from podsim.paging import ASC, SortError, SortOrder, page, resolve_sort
from podsim.store import Record

__all__ = ["FLAVORS", "KEYPAIRS", "VOLUME_TYPES", "SharedPaging", "paged"]

# Nova's flavor sort keys (the query's names) -> podsim's record fields.
_FLAVOR_SORT = {
    "flavorid": "id",
    "name": "name",
    "memory_mb": "ram",
    "root_gb": "disk",
    "vcpus": "vcpus",
}


@dataclass(frozen=True, slots=True)
class SharedPaging:
    """How one shared list pages: its key, the field a marker names, links, the fault wording."""

    key: str
    marker_field: str
    links: bool
    marker_missing: Callable[[str], str]
    sortable: bool = False


FLAVORS = SharedPaging(
    "flavors", "id", links=True, marker_missing=lambda m: f"marker [{m}] not found", sortable=True
)
KEYPAIRS = SharedPaging(
    "keypairs", "name", links=True, marker_missing=lambda m: f"Marker {m} could not be found."
)
VOLUME_TYPES = SharedPaging(
    "volume_types", "id", links=False, marker_missing=lambda m: f"Marker {m} could not be found."
)


def paged(
    request: web.Request,
    how: SharedPaging,
    records: Sequence[Record],
    view: Callable[[Record], Any],
    *,
    path: str,
    default_order: tuple[str, ...],
) -> dict[str, Any]:
    """The list answer for `request`: one page of `records`, shown by `view`."""
    params = list(request.query.items())
    order = _order(params, default_order) if how.sortable else SortOrder(default_order, (ASC,))
    limit, marker_id = _limit(params), _marker(params)
    marker = None
    if marker_id is not None:
        marker = next((r for r in records if str(r[how.marker_field]) == marker_id), None)
        if marker is None:
            raise BadRequest(how.marker_missing(marker_id))
    result = page(records, order, limit=limit, marker=marker)
    body: dict[str, Any] = {how.key: [view(record) for record in result.items]}
    if how.links and result.full:
        # Nova's _get_next_link: the query sorted by name, then the marker set (a marker already
        # there keeps its place, a new one goes last).
        query = dict(sorted(params))
        query["marker"] = str(result.items[-1][how.marker_field])
        href = f"{_origin(request)}/{request.match_info['project_id']}/{path}?{urlencode(query)}"
        body[f"{how.key}_links"] = [{"rel": "next", "href": href}]
    return body


def _order(params: list[tuple[str, str]], default: tuple[str, ...]) -> SortOrder:
    # Nova takes one sort key (default flavorid) and one direction (default asc).
    keys = [_FLAVOR_SORT.get(v, v) for k, v in params if k == "sort_key"][-1:] or ["id"]
    dirs = [v for k, v in params if k == "sort_dir"][-1:] or [ASC]
    try:
        return resolve_sort(keys, dirs, default_keys=default, default_dir=ASC)
    except SortError as exc:
        raise BadRequest(str(exc)) from None


def _limit(params: list[tuple[str, str]]) -> int:
    values = [v for k, v in params if k == "limit"]
    if not values:
        return MAX_LIMIT
    if not values[-1].isdigit():
        raise BadRequest(f"Invalid input for query parameters limit. Value: {values[-1]}.")
    # NOTE: as in Nova's database query, limit=0 is a page of nothing.
    return min(int(values[-1]), MAX_LIMIT)


def _marker(params: list[tuple[str, str]]) -> str | None:
    values = [v for k, v in params if k == "marker"]
    return values[-1] if values else None


def _origin(request: web.Request) -> str:
    """The versioned endpoint the request came to (…/compute/v2.1 or …/volume/v3)."""
    return app_url(request, request.path.split(f"/{request.match_info['project_id']}/", 1)[0])
