"""What differs between Nova servers and Cinder volumes behind the same generic handlers."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from podsim.faults import Fault
from podsim.links import Links
from podsim.paging import SortOrder
from podsim.store import Record

Filters = Mapping[str, tuple[str, ...]]

# Nova's [api]max_limit and Cinder's osapi_max_limit default: the largest page either answers.
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class NewRecord:
    """What a new record takes from the request and the pod besides the client's body."""

    id: str
    project_id: str
    user_id: str
    az: str
    pod: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request, validated: total sort order, page size, marker id, filters."""

    order: SortOrder
    limit: int
    marker: str | None
    filters: Filters


@dataclass(frozen=True, slots=True)
class Kind:
    """One resource kind: its URLs, its clock resolution and its pure API functions."""

    collection: str
    member: str
    prefix: str
    bookmark_prefix: str
    id_key: str
    delete_status: int
    location_header: bool
    clock_step: timedelta
    new: Callable[[object, NewRecord], Record]
    created_view: Callable[[Record, Links], dict[str, Any]]
    detail_view: Callable[[Record, Links], dict[str, Any]]
    list_query: Callable[[Sequence[tuple[str, str]]], ListQuery]
    matches: Callable[[Record, Filters], bool]
    not_found: Callable[[str], Fault]
    marker_not_found: Callable[[str], Fault]
