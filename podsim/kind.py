"""What differs between resource kinds (servers, volumes, snapshots, backups) behind one handler."""

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
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request, validated: total sort order, page size, marker id, filters."""

    order: SortOrder
    limit: int
    marker: str | None
    filters: Filters


@dataclass(frozen=True, slots=True)
class ResourceKind:
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
    # The brief list view (`GET /<collection>`); None: id, name and links.
    brief_view: Callable[[Record, Links], dict[str, Any]] | None = None
    # `GET /<collection>/{id}` when it differs from the detail list's entry; None: the same.
    show_view: Callable[[Record, Links], dict[str, Any]] | None = None
    # What a new record shows until it settles (PodConfig.settle_s): BUILD, creating...
    settling: Mapping[str, Any] | None = None
    # What a record being deleted shows until it is gone: Nova's task_state, Cinder's status.
    deleting: Mapping[str, Any] | None = None
    # A record made from another (a snapshot from its volume): the field naming the source, and
    # what the new record takes from it (may raise a Fault, e.g. for a volume in use).
    source_key: str | None = None
    from_source: Callable[[Record, Record], None] | None = None
