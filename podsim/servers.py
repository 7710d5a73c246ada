"""Nova servers: create-body validation, list query, filters and views (pure)."""

import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from podsim.faults import BadRequest, Fault, NotFound
from podsim.kind import MAX_LIMIT, Filters, ListQuery, NewRecord, Record, ResourceKind
from podsim.paging import SortError, resolve_sort
from podsim.server_groups import hinted_group
from podsim.server_views import created_view, detail_view, show_view

# nova/api/openstack/compute/schemas/servers.py: VALID_SORT_KEYS_V273 (400 for anything else),
# and SERVER_LIST_IGNORE_SORT_KEY (accepted, then dropped with their direction before 2.75).
_SORT_KEYS = (
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "availability_zone", "config_drive",
    "created_at", "display_description", "display_name", "host", "hostname", "image_ref",
    "instance_type_id", "kernel_id", "key_name", "launch_index", "launched_at", "locked",
    "locked_by", "node", "power_state", "progress", "project_id", "ramdisk_id",
    "root_device_name", "task_state", "terminated_at", "updated_at", "user_id", "uuid", "vm_state",
)  # fmt: skip
_IGNORED_SORT_KEYS = (
    "architecture", "cell_name", "cleaned", "default_ephemeral_device", "default_swap_device",
    "deleted", "deleted_at", "disable_terminate", "ephemeral_gb", "ephemeral_key_uuid", "id",
    "key_data", "launched_on", "memory_mb", "os_type", "reservation_id", "root_gb",
    "shutdown_terminate", "user_data", "vcpus", "vm_mode",
)  # fmt: skip
# The filters Nova allows a non-admin user (the rest it drops silently).
_FILTERS = ("name", "status", "availability_zone")
# Nova sorts ties by its integer primary key; podsim has none, so the uuid takes its place.
_DEFAULT_SORT_KEYS = ("created_at", "uuid")


def new_server(body: object, new: NewRecord) -> Record:
    """Validate a create body as Nova's schema does and build the stored record."""
    if not isinstance(body, dict):
        raise BadRequest(f"{body!r} is not of type 'object'")
    if "server" not in body:
        raise BadRequest("'server' is a required property")
    server = body["server"]
    if not isinstance(server, dict):
        raise _invalid("server", server, f"{server!r} is not of type 'object'")
    if "name" not in server:
        raise _invalid("server", server, "'name' is a required property")
    name = server["name"]
    if not isinstance(name, str):
        raise _invalid("name", name, f"{name!r} is not of type 'string'")
    if not name.strip():
        raise _invalid("name", name, f"{name!r} is too short")
    if not isinstance(server.get("metadata", {}), dict):
        metadata = server["metadata"]
        raise _invalid("metadata", metadata, f"{metadata!r} is not of type 'object'")
    az = server.get("availability_zone")
    if az is not None and az != new.az:
        raise BadRequest("The requested availability zone is not available")
    flavor = server.get("flavorRef")
    return {
        "uuid": new.id,
        "display_name": name,
        "display_description": server.get("description"),
        "project_id": new.project_id,
        "user_id": new.user_id,
        "availability_zone": new.az,
        "host": new.pod,
        "node": new.pod,
        "hostname": re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63] or "server",
        "vm_state": "active",
        "status": "ACTIVE",
        "power_state": 1,
        "task_state": None,
        "locked": False,
        "locked_reason": None,
        "metadata": dict(server.get("metadata", {})),
        "tags": list(server.get("tags") or []),
        "attachments": {},
        "actions": [_action("create", new)],
        "progress": 0,
        "launch_index": 0,
        "created_at": new.at,
        "updated_at": new.at,
        "launched_at": new.at,
        "key_name": server.get("key_name"),
        "image_ref": _ref_id(server.get("imageRef")),
        "instance_type_id": None if flavor is None else _ref_id(str(flavor)),
        "access_ip_v4": server.get("accessIPv4"),
        "access_ip_v6": server.get("accessIPv6"),
        "auto_disk_config": server.get("OS-DCF:diskConfig") == "AUTO",
        "config_drive": "True" if server.get("config_drive") in (True, "True", "true") else "",
        "admin_pass": server.get("adminPass") or secrets.token_urlsafe(9),
        "request": dict(server),
        "server_group": hinted_group(body),
    }


def list_query(params: Sequence[tuple[str, str]]) -> ListQuery:
    """Validate `GET /servers[/detail]` parameters as Nova does (repeatable sort_key/sort_dir)."""
    keys = [value for key, value in params if key == "sort_key"]
    dirs = [value for key, value in params if key == "sort_dir"]
    for key in keys:
        if key not in _SORT_KEYS and key not in _IGNORED_SORT_KEYS:
            allowed = list(_SORT_KEYS + _IGNORED_SORT_KEYS)
            raise BadRequest(
                f"Invalid input for query parameters sort_key. Value: {key}. "
                f"{key!r} is not one of {allowed}"
            )
    keys, dirs = _without_ignored(keys, dirs)
    try:
        order = resolve_sort(keys, dirs, default_keys=_DEFAULT_SORT_KEYS)
    except SortError as exc:
        raise BadRequest(f"Invalid input received: {exc}") from exc
    values = {name: [v for k, v in params if k == name] for name in (*_FILTERS, "limit", "marker")}
    filters = {name: tuple(values[name]) for name in _FILTERS if values[name]}
    return ListQuery(
        order=order,
        limit=_limit(values["limit"]),
        marker=values["marker"][-1] if values["marker"] else None,
        filters=filters,
    )


def matches(record: Record, filters: Filters) -> bool:
    """Nova's non-admin filters: `name` and `availability_zone` are regexes, `status` a set."""
    if "name" in filters and not _search(filters["name"][-1], record["display_name"]):
        return False
    zone = filters.get("availability_zone")
    if zone and not _search(zone[-1], record["availability_zone"]):
        return False
    statuses = filters.get("status")
    return not statuses or record["status"] in {status.upper() for status in statuses}


def not_found(server_id: str) -> Fault:
    """Nova's answer for an unknown (or another project's) server."""
    return NotFound(f"Instance {server_id} could not be found.")


def marker_not_found(marker: str) -> Fault:
    """Nova's answer for a marker that names no server of the project."""
    return BadRequest(f"marker [{marker}] not found")


SERVERS = ResourceKind(
    collection="servers",
    member="server",
    prefix="/compute/v2.1",
    bookmark_prefix="/compute",
    id_key="uuid",
    delete_status=204,
    location_header=True,
    clock_step=timedelta(seconds=1),
    new=new_server,
    created_view=created_view,
    detail_view=detail_view,
    show_view=show_view,
    # nova/compute/vm_states BUILDING while the compute host spawns it.
    settling={
        "status": "BUILD",
        "vm_state": "building",
        "task_state": "spawning",
        "power_state": 0,
        "launched_at": None,
    },
    deleting={"task_state": "deleting"},
    list_query=list_query,
    matches=matches,
    not_found=not_found,
    marker_not_found=marker_not_found,
)


def _action(name: str, new: NewRecord) -> dict[str, Any]:
    """The instance action Nova records for the server's creation."""
    return {
        "action": name,
        "instance_uuid": new.id,
        "request_id": new.request_id,
        "user_id": new.user_id,
        "project_id": new.project_id,
        "start_time": new.at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "message": None,
    }


def _invalid(field: str, value: object, problem: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. {problem}")


def _without_ignored(keys: list[str], dirs: list[str]) -> tuple[list[str], list[str]]:
    kept_keys: list[str] = []
    kept_dirs: list[str] = []
    for index, key in enumerate(keys):
        if key in _IGNORED_SORT_KEYS:
            continue
        kept_keys.append(key)
        if index < len(dirs):
            kept_dirs.append(dirs[index])
    kept_dirs.extend(dirs[len(keys) :])
    return kept_keys, kept_dirs


def _limit(values: list[str]) -> int:
    if not values:
        return MAX_LIMIT
    raw = values[-1]
    if not raw:
        raise BadRequest("Invalid input for query parameters limit. Value: . '' is too short")
    if not re.fullmatch(r"[0-9]+", raw):
        raise BadRequest(
            f"Invalid input for query parameters limit. Value: {raw}. "
            f"{raw!r} does not match '^[0-9]*$'"
        )
    return min(int(raw), MAX_LIMIT)


def _search(pattern: str, value: str | None) -> bool:
    try:
        return value is not None and re.search(pattern, value) is not None
    except re.error:
        return False


def _ref_id(ref: object) -> str | None:
    """An image or flavor id from a bare id or a full URL, as Nova accepts both."""
    if ref is None or ref == "":
        return None
    return str(ref).rstrip("/").rsplit("/", 1)[-1]
