"""Cinder snapshots: made from a volume of the pod; create, list query, filters, views (pure)."""

from collections.abc import Sequence
from typing import Any

from podsim.faults import BadRequest, Fault, NotFound
from podsim.kind import ListQuery, NewRecord, Record
from podsim.links import Links
from podsim.volumes import cinder_kind, cinder_list_query, cinder_time

# Snapshot columns Cinder can sort by (the API's `name` is `display_name`, `size` volume_size).
_SORT_KEYS = frozenset(
    {"id", "display_name", "display_description", "status", "volume_id", "volume_size",
     "created_at", "updated_at", "project_id", "user_id"}
)  # fmt: skip
_ALIASES = {"name": "display_name", "size": "volume_size"}
# Query parameter -> column, compared for equality (Cinder's resource filters for snapshots).
_FILTERS = {"name": "display_name", "status": "status", "volume_id": "volume_id"}


def new_snapshot(body: object, new: NewRecord) -> Record:
    """Validate a create body as Cinder's schema does; size and checks come from the volume."""
    if not isinstance(body, dict) or not isinstance(body.get("snapshot"), dict):
        raise BadRequest("Missing required element 'snapshot' in request body.")
    snapshot = body["snapshot"]
    volume_id = snapshot.get("volume_id")
    if not isinstance(volume_id, str) or not volume_id:
        raise BadRequest(
            f"Invalid input for field/attribute volume_id. Value: {volume_id}. "
            "'volume_id' is a required property"
        )
    metadata = {} if snapshot.get("metadata") is None else snapshot["metadata"]
    if not isinstance(metadata, dict):
        raise BadRequest("Invalid input received: Invalid metadata: metadata must be a dict.")
    return {
        "id": new.id,
        "display_name": snapshot.get("name"),
        "display_description": snapshot.get("description"),
        "volume_id": volume_id,
        "volume_size": None,
        "force": snapshot.get("force") in (True, "true", "True"),
        "project_id": new.project_id,
        "user_id": new.user_id,
        "status": "available",
        "metadata": dict(metadata),
        "created_at": new.at,
        "updated_at": new.at,
    }


def from_volume(record: Record, volume: Record) -> None:
    """A snapshot has its volume's size; an attached volume needs `force` (Cinder's rule)."""
    if volume["status"] != "available" and not record["force"]:
        raise BadRequest(
            f"Invalid volume: Volume {volume['id']} status must be available, "
            f"but current status is: {volume['status']}."
        )
    record["volume_size"] = volume["size"]


def summary_view(record: Record, links: Links) -> dict[str, Any]:
    """`GET /snapshots`: Cinder's summary (no links, even in detail)."""
    return {
        "id": record["id"],
        "created_at": cinder_time(record["created_at"]),
        "updated_at": cinder_time(record["updated_at"]),
        "name": record["display_name"],
        "description": record["display_description"],
        "volume_id": record["volume_id"],
        "status": record["status"],
        "size": record["volume_size"],
        "metadata": record["metadata"],
    }


def detail_view(record: Record, links: Links) -> dict[str, Any]:
    """Create, show and `/snapshots/detail`: the summary plus the extended attributes."""
    return {
        **summary_view(record, links),
        "os-extended-snapshot-attributes:project_id": record["project_id"],
        "os-extended-snapshot-attributes:progress": "100%",
        "user_id": record["user_id"],
        "group_snapshot_id": None,
        "consumes_quota": True,
    }


def list_query(params: Sequence[tuple[str, str]]) -> ListQuery:
    """Validate `GET /snapshots[/detail]` as Cinder does."""
    return cinder_list_query(params, sort_keys=_SORT_KEYS, aliases=_ALIASES, filters=_FILTERS)


def not_found(snapshot_id: str) -> Fault:
    """Cinder's answer for an unknown (or another project's) snapshot."""
    return NotFound(f"Snapshot {snapshot_id} could not be found.")


SNAPSHOTS = cinder_kind(
    collection="snapshots",
    member="snapshot",
    new=new_snapshot,
    created_view=detail_view,
    detail_view=detail_view,
    list_query=list_query,
    not_found=not_found,
    brief_view=summary_view,
    source_key="volume_id",
    from_source=from_volume,
)
