"""Cinder volumes: create-body validation, list query, filters and views (pure)."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from podsim.faults import BadRequest, Fault, NotFound
from podsim.kind import MAX_LIMIT, Filters, ListQuery, NewRecord, Record, ResourceKind
from podsim.links import Links
from podsim.paging import DESC, SortError, resolve_sort
from podsim.volume_types import DEFAULT_TYPE, DEFAULT_TYPE_ID

# Volume columns Cinder's paginate_query can sort by (the API's `name` is `display_name`).
_SORT_KEYS = frozenset(
    {"id", "display_name", "display_description", "size", "status", "availability_zone",
     "created_at", "updated_at", "user_id", "project_id", "bootable", "attach_status",
     "multiattach"}
)  # fmt: skip
_DEFAULT_SORT_KEYS = ("created_at", "id")
# Query parameter -> column, compared for equality (Cinder's default resource filters).
_FILTERS = {"name": "display_name", "status": "status", "availability_zone": "availability_zone"}


def new_volume(body: object, new: NewRecord) -> Record:
    """Validate a create body as Cinder does and build the stored record."""
    if not isinstance(body, dict) or not isinstance(body.get("volume"), dict):
        raise BadRequest("Missing required element 'volume' in request body.")
    volume = body["volume"]
    size = volume.get("size")
    if not _is_positive_int(size):
        raise BadRequest(
            "Invalid input received: Invalid volume size provided for create request: "
            f"{size} (size argument must be an integer (or string representation of an "
            "integer) and greater than zero)."
        )
    # Cinder's schema allows an explicit null metadata (OSC sends one), meaning none.
    metadata = {} if volume.get("metadata") is None else volume["metadata"]
    if not isinstance(metadata, dict):
        raise BadRequest("Invalid input received: Invalid metadata: metadata must be a dict.")
    az = volume.get("availability_zone")
    if az is not None and az != new.az:
        raise BadRequest(f"Availability zone '{az}' is invalid.")
    return {
        "id": new.id,
        "display_name": volume.get("name"),
        "display_description": volume.get("description"),
        "project_id": new.project_id,
        "user_id": new.user_id,
        "availability_zone": new.az,
        "status": "available",
        "attach_status": "detached",
        "size": int(size),  # type: ignore[arg-type]
        "bootable": False,
        "multiattach": bool(volume.get("multiattach", False)),
        "volume_type": volume.get("volume_type") or DEFAULT_TYPE,
        # Another type's id (and its name for an id) comes with the create (lifecycle.py).
        "volume_type_id": None if volume.get("volume_type") else DEFAULT_TYPE_ID,
        "group_id": volume.get("group_id"),
        "service_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"podsim/{new.pod}/cinder-volume")),
        "metadata": dict(metadata),
        "attachments": [],
        "created_at": new.at,
        "updated_at": new.at,
        "request": dict(volume),
    }


def created_view(record: Record, links: Links) -> dict[str, Any]:
    """The create answer: cinder/api/v3/views/volumes.py detail(), without what the
    os-vol-* extensions add to show and lists only."""
    version = links.version
    view: dict[str, Any] = {
        "id": record["id"],
        "status": record["status"],
        "size": record["size"],
        "availability_zone": record["availability_zone"],
        "created_at": cinder_time(record["created_at"]),
        "updated_at": cinder_time(record["updated_at"]),
        "name": record["display_name"],
        "description": record["display_description"],
        "volume_type": record["volume_type"],
        "snapshot_id": record["request"].get("snapshot_id"),
        "source_volid": record["request"].get("source_volid"),
        "metadata": record["metadata"],
        "links": links.member(record["id"]),
        "user_id": record["user_id"],
        "bootable": "true" if record["bootable"] else "false",
        "encrypted": False,
        "replication_status": None,
        "consistencygroup_id": record["request"].get("consistencygroup_id"),
        "multiattach": record["multiattach"],
        "attachments": [dict(attachment) for attachment in record["attachments"]],
    }
    # Admin-only by policy, so not here: migration_status, provider_id (3.21), cluster_name
    # (3.61), os-vol-host-attr:host, os-vol-mig-status-attr:*.
    if version >= (3, 13):
        view["group_id"] = record.get("group_id")
    if version >= (3, 48):
        view["shared_targets"] = False
        view["service_uuid"] = record.get("service_uuid")
    if version >= (3, 63):
        view["volume_type_id"] = record.get("volume_type_id")
    if version >= (3, 65):
        view["consumes_quota"] = True
    return view


def detail_view(record: Record, links: Links) -> dict[str, Any]:
    """Show and `/volumes/detail`: the create view plus the owner's os-vol-tenant-attr."""
    return {**created_view(record, links), "os-vol-tenant-attr:tenant_id": record["project_id"]}


def list_query(params: Sequence[tuple[str, str]]) -> ListQuery:
    """Validate `GET /volumes[/detail]`: `sort=key[:dir],...` or legacy `sort_key`/`sort_dir`."""
    return cinder_list_query(
        params, sort_keys=_SORT_KEYS, aliases={"name": "display_name"}, filters=_FILTERS
    )


def cinder_list_query(
    params: Sequence[tuple[str, str]],
    *,
    sort_keys: frozenset[str],
    aliases: Mapping[str, str],
    filters: Mapping[str, str],
) -> ListQuery:
    """A Cinder list's query: first value of each parameter, sort keys checked, equal filters."""
    first: dict[str, str] = {}
    for key, value in params:
        first.setdefault(key, value)
    keys, dirs = _sort_params(first)
    keys = [aliases.get(key, key) for key in keys]
    try:
        order = resolve_sort(keys, dirs, default_keys=_DEFAULT_SORT_KEYS)
    except SortError as exc:
        raise BadRequest(f"Invalid input received: {exc}") from exc
    if not sort_keys.issuperset(order.keys):
        raise BadRequest("Invalid input received: Invalid sort key")
    chosen = {column: (first[name],) for name, column in filters.items() if name in first}
    return ListQuery(
        order=order, limit=_limit(first.get("limit")), marker=first.get("marker"), filters=chosen
    )


def cinder_matches(record: Record, filters: Filters) -> bool:
    """Cinder compares its default filters for equality."""
    return all(record.get(column) == values[0] for column, values in filters.items())


def cinder_kind(*, not_found: Callable[[str], Fault], **specific: Any) -> ResourceKind:
    """A Cinder resource kind: what volumes, snapshots and backups share, plus `specific`.

    NOTE: Cinder looks a marker up as the listed resource (e.g. db _volume_get), so an unknown
    marker is a 404 "<Resource> <marker> could not be found.", not Nova's 400.
    """
    shared: dict[str, Any] = {
        "prefix": "/volume/v3",
        "bookmark_prefix": "/volume",
        "id_key": "id",
        "delete_status": 202,
        "location_header": False,
        "clock_step": timedelta(microseconds=1),
        "matches": cinder_matches,
        "not_found": not_found,
        "marker_not_found": not_found,
    }
    return ResourceKind(**shared, **specific)


def not_found(volume_id: str) -> Fault:
    """Cinder's answer for an unknown (or another project's) volume."""
    return NotFound(f"Volume {volume_id} could not be found.")


VOLUMES = cinder_kind(
    collection="volumes",
    member="volume",
    new=new_volume,
    created_view=created_view,
    detail_view=detail_view,
    list_query=list_query,
    not_found=not_found,
    settling={"status": "creating"},
    deleting={"status": "deleting"},
)


def _sort_params(first: dict[str, str]) -> tuple[list[str], list[str]]:
    """cinder/api/common.py get_sort_params: keys and directions as the client gave them."""
    sort = first.get("sort")
    if sort:
        if first.get("sort_key") or first.get("sort_dir"):
            raise BadRequest(
                "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used "
                "with the 'sort' parameter."
            )
        keys: list[str] = []
        dirs: list[str] = []
        for item in sort.strip().split(","):
            key, _, direction = item.partition(":")
            keys.append(key.strip())
            dirs.append(direction.strip() or DESC)
        return keys, dirs
    return [first.get("sort_key", "created_at")], [first.get("sort_dir", DESC)]


def _limit(raw: str | None) -> int:
    if raw is None:
        return MAX_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise BadRequest("limit param must be positive")
    return min(limit, MAX_LIMIT)


def _is_positive_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.strip().isdecimal() and int(value) > 0


def cinder_time(moment: datetime) -> str:
    """Cinder's timestamps: microseconds, no zone."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")
