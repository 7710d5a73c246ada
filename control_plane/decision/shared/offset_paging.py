"""Nova's lists merged across pods (pure): its Cinder proxies, server groups and an admin's
security groups of every project, paged by offset; its network proxies, not paged.

Nova reads the whole list, then cuts `items[offset:offset + limit]` (`common.limited`: `limit`
capped at its `max_limit`, 0 meaning no limit given). Across pods the gateway does the same
over every pod's whole list: items showing `createdAt` (volumes, snapshots) newest first, as
Cinder sorts them, the id breaking ties so that pages are stable; others show no time, so each
pod's list follows the previous pod's, in pod name order (security groups' page then sorted by
project and name, as Nova sorts its page). An id two pods show is shown once.
"""

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from control_plane.decision.shared.paging import MAX_LIMIT
from control_plane.model import Pod

__all__ = ["OFFSET_LISTS", "OffsetPaging", "offset_page", "offset_paging"]

# The collection segment -> the answer's list key.
OFFSET_LISTS: Mapping[str, str] = {
    "os-volumes": "volumes",
    "os-snapshots": "snapshots",
    "os-server-groups": "server_groups",
    "os-security-groups": "security_groups",
    "os-networks": "networks",
    "os-tenant-networks": "networks",
}
# Lists Nova does not page: the whole list, the query as the client sent it.
_UNPAGED = frozenset({"os-networks", "os-tenant-networks"})
# Lists whose page Nova sorts after cutting it (`security_groups.index`).
_PAGE_ORDER: Mapping[str, tuple[str, ...]] = {"security_groups": ("tenant_id", "name")}
_PAGING_PARAMS = frozenset({"limit", "offset"})
_CREATED, _ZONE = "createdAt", "availabilityZone"


@dataclass(frozen=True, slots=True)
class OffsetPaging:
    """The client's `offset` and `limit`, and the query the pods get instead (without them)."""

    offset: int
    limit: int
    pod_query: str


def offset_paging(collection: str, query: str) -> OffsetPaging | None:
    """The client's paging of `collection`; None when `offset` or `limit` is not a whole
    number (the pods refuse it in their own words)."""
    if collection in _UNPAGED:
        return OffsetPaging(0, sys.maxsize, query)
    params = parse_qsl(query, keep_blank_values=True)
    values = {key: value for key, value in params if key in _PAGING_PARAMS}
    if not all(value.isdigit() for value in values.values()):
        return None
    limit = int(values.get("limit", "0")) or MAX_LIMIT
    rest = [(key, value) for key, value in params if key not in _PAGING_PARAMS]
    return OffsetPaging(int(values.get("offset", "0")), min(limit, MAX_LIMIT), urlencode(rest))


def offset_page(
    key: str, lists: Sequence[tuple[Pod, Sequence[Mapping[str, Any]]]], paging: OffsetPaging
) -> dict[str, list[Mapping[str, Any]]]:
    """The client's page of the pods' lists (`lists`, in pod name order), zones as users see
    them."""
    seen: set[object] = set()
    items = []
    for pod, listed in lists:
        for item in listed:
            if item.get("id") not in seen:
                seen.add(item.get("id"))
                items.append(_localised(item, pod))
    if items and all(isinstance(item.get(_CREATED), str) for item in items):
        items.sort(key=lambda item: (item[_CREATED], str(item.get("id"))), reverse=True)
    page = items[paging.offset : paging.offset + paging.limit]
    order = _PAGE_ORDER.get(key)
    if order:
        page.sort(key=lambda item: tuple(str(item.get(field)) for field in order))
    return {key: page}


def _localised(item: Mapping[str, Any], pod: Pod) -> Mapping[str, Any]:
    """The pod's own zone name (or any, when it names none) shown as the pod's `az_name`."""
    zone = item.get(_ZONE)
    if not pod.renames_az or not isinstance(zone, str):
        return item
    if pod.pod_az_name and zone != pod.pod_az_name:
        return item
    return {**item, _ZONE: pod.az_name}
