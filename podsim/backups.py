"""Cinder backups: made from a volume of the pod; create, list query, filters, views (pure).

Backups are kept in the pod's one availability zone; a create naming another is refused, so
a test can see that the gateway translated the user-facing zone name.
"""

from collections.abc import Sequence
from typing import Any

from podsim.faults import BadRequest, Fault, NotFound
from podsim.kind import ListQuery, NewRecord, Record
from podsim.links import Links
from podsim.volumes import cinder_kind, cinder_list_query, cinder_time

_SORT_KEYS = frozenset(
    {"id", "display_name", "display_description", "status", "size", "volume_id",
     "availability_zone", "created_at", "updated_at", "project_id", "user_id"}
)  # fmt: skip
_FILTERS = {"name": "display_name", "status": "status", "volume_id": "volume_id"}
_CONTAINER = "volumebackups"


def new_backup(body: object, new: NewRecord) -> Record:
    """Validate a create body as Cinder's schema does; the size comes from the volume."""
    if not isinstance(body, dict) or not isinstance(body.get("backup"), dict):
        raise BadRequest("Missing required element 'backup' in request body.")
    backup = body["backup"]
    volume_id = backup.get("volume_id")
    if not isinstance(volume_id, str) or not volume_id:
        raise BadRequest(
            f"Invalid input for field/attribute volume_id. Value: {volume_id}. "
            "'volume_id' is a required property"
        )
    az = backup.get("availability_zone")
    if az is not None and az != new.az:
        raise BadRequest(f"Availability zone '{az}' is invalid.")
    return {
        "id": new.id,
        "display_name": backup.get("name"),
        "display_description": backup.get("description"),
        "volume_id": volume_id,
        "snapshot_id": backup.get("snapshot_id"),
        "size": None,
        "project_id": new.project_id,
        "user_id": new.user_id,
        "availability_zone": new.az,
        "container": backup.get("container") or _CONTAINER,
        "is_incremental": bool(backup.get("incremental", False)),
        "status": "available",
        "metadata": dict(backup.get("metadata") or {}),
        "created_at": new.at,
        "updated_at": new.at,
    }


def from_volume(record: Record, volume: Record) -> None:
    """A backup has its volume's size."""
    record["size"] = volume["size"]


def summary_view(record: Record, links: Links) -> dict[str, Any]:
    """Create and `GET /backups`: id, name and links."""
    return {"id": record["id"], "name": record["display_name"], "links": links.member(record["id"])}


def detail_view(record: Record, links: Links) -> dict[str, Any]:
    """Show and `/backups/detail` (cinder/api/views/backups.py detail, with the project)."""
    return {
        "id": record["id"],
        "status": record["status"],
        "size": record["size"],
        "object_count": 0,
        "availability_zone": record["availability_zone"],
        "container": record["container"],
        "created_at": cinder_time(record["created_at"]),
        "updated_at": cinder_time(record["updated_at"]),
        "name": record["display_name"],
        "description": record["display_description"],
        "fail_reason": None,
        "volume_id": record["volume_id"],
        "links": links.member(record["id"]),
        "is_incremental": record["is_incremental"],
        "has_dependent_backups": False,
        "snapshot_id": record["snapshot_id"],
        "data_timestamp": cinder_time(record["created_at"]),
        "os-backup-project-attr:project_id": record["project_id"],
        "user_id": record["user_id"],
        "metadata": record["metadata"],
        "encryption_key_id": None,
    }


def list_query(params: Sequence[tuple[str, str]]) -> ListQuery:
    """Validate `GET /backups[/detail]` as Cinder does."""
    aliases = {"name": "display_name"}
    return cinder_list_query(params, sort_keys=_SORT_KEYS, aliases=aliases, filters=_FILTERS)


def not_found(backup_id: str) -> Fault:
    """Cinder's answer for an unknown (or another project's) backup."""
    return NotFound(f"Backup {backup_id} could not be found.")


BACKUPS = cinder_kind(
    collection="backups",
    member="backup",
    new=new_backup,
    created_view=summary_view,
    detail_view=detail_view,
    list_query=list_query,
    not_found=not_found,
    brief_view=summary_view,
    source_key="volume_id",
    from_source=from_volume,
)
