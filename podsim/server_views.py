"""Nova's views of a server, shaped by the request's microversion (pure).

As nova/api/openstack/compute/views/servers.py builds them for a project member: no
`OS-EXT-SRV-ATTR:*` but the hostname (2.90), no `host_status` (both admin-only by policy), the
flavor's extra specs shown (PROJECT_READER_OR_ADMIN). Fields arrive with their microversions:
2.3 delete_on_termination, 2.9 locked, 2.19 description, 2.26 tags, 2.47 the embedded flavor,
2.63 trusted_image_certificates, 2.71 server_groups (show only), 2.73 locked_reason,
2.96 pinned_availability_zone.
"""

import hashlib
from datetime import datetime
from typing import Any

from podsim.kind import Record
from podsim.links import Links

# Nova shows `progress` only in these statuses.
_PROGRESS_STATUSES = frozenset(
    {"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"}
)


def created_view(record: Record, links: Links) -> dict[str, Any]:
    """Nova's create answer: no AZ, no status; the only time adminPass is shown."""
    request = record["request"]
    return {
        "id": record["uuid"],
        "links": links.member(record["uuid"]),
        "OS-DCF:diskConfig": "AUTO" if record["auto_disk_config"] else "MANUAL",
        "security_groups": request.get("security_groups", [{"name": "default"}]),
        "adminPass": record["admin_pass"],
    }


def detail_view(record: Record, links: Links) -> dict[str, Any]:
    """A server as `GET /servers/detail` lists it."""
    version = links.version
    status = record["status"]
    launched = record["launched_at"]
    host_id = hashlib.sha224((record["project_id"] + record["host"]).encode()).hexdigest()
    view: dict[str, Any] = {
        "id": record["uuid"],
        "name": record["display_name"],
        "status": status,
        "tenant_id": record["project_id"],
        "user_id": record["user_id"],
        "metadata": record["metadata"],
        "hostId": host_id,
        "image": _image(record, links),
        "flavor": _flavor(record, links),
        "created": nova_time(record["created_at"]),
        "updated": nova_time(record["updated_at"]),
        "addresses": record.get("addresses", {}),
        "accessIPv4": record["access_ip_v4"] or "",
        "accessIPv6": record["access_ip_v6"] or "",
        "links": links.member(record["uuid"]),
        "OS-DCF:diskConfig": "AUTO" if record["auto_disk_config"] else "MANUAL",
        "OS-EXT-AZ:availability_zone": record["availability_zone"],
        "config_drive": record.get("config_drive", ""),
        "key_name": record["key_name"],
        "OS-SRV-USG:launched_at": launched.strftime("%Y-%m-%dT%H:%M:%S.%f") if launched else None,
        "OS-SRV-USG:terminated_at": None,
        "OS-EXT-STS:task_state": record.get("task_state"),
        "OS-EXT-STS:vm_state": record["vm_state"],
        "OS-EXT-STS:power_state": record["power_state"],
        "os-extended-volumes:volumes_attached": [
            _volume_attached(attachment, version) for attachment in record["attachments"].values()
        ],
    }
    if record["request"].get("networks") != "none":
        # Nova reads them off the server's ports: a server without a network shows none.
        view["security_groups"] = record["request"].get("security_groups", [{"name": "default"}])
    if status in _PROGRESS_STATUSES:
        view["progress"] = record["progress"]
    if version >= (2, 9):
        view["locked"] = record["locked"]
    if version >= (2, 19):
        view["description"] = record["display_description"]
    if version >= (2, 26):
        view["tags"] = record["tags"]
    if version >= (2, 63):
        view["trusted_image_certificates"] = None
    if version >= (2, 73):
        view["locked_reason"] = record.get("locked_reason")
    if version >= (2, 90):
        view["OS-EXT-SRV-ATTR:hostname"] = record["hostname"]
    if version >= (2, 96):
        view["pinned_availability_zone"] = record["request"].get("availability_zone")
    return view


def show_view(record: Record, links: Links) -> dict[str, Any]:
    """`GET /servers/{id}`: the detail, plus its server group from 2.71 (never in lists)."""
    view = detail_view(record, links)
    if links.version >= (2, 71):
        group = record.get("server_group")
        view["server_groups"] = [group] if group else []
    return view


def attachment_view(attachment: Record, version: tuple[int, int]) -> dict[str, Any]:
    """One `os-volume_attachments` entry: tag 2.70, delete_on_termination 2.79, and from 2.89
    attachment_id and bdm_uuid in place of the (volume) id."""
    view: dict[str, Any] = {} if version >= (2, 89) else {"id": attachment["volumeId"]}
    view |= {
        "volumeId": attachment["volumeId"],
        "serverId": attachment["serverId"],
        "device": attachment["device"],
    }
    if version >= (2, 70):
        view["tag"] = attachment.get("tag")
    if version >= (2, 79):
        view["delete_on_termination"] = attachment.get("delete_on_termination", False)
    if version >= (2, 89):
        view["attachment_id"] = attachment["attachment_id"]
        view["bdm_uuid"] = attachment["bdm_uuid"]
    return view


def attached_view(attachment: Record, version: tuple[int, int]) -> dict[str, Any]:
    """The attach answer: Nova never applied 2.89 to it (its own note), so `id` stays."""
    view: dict[str, Any] = {
        "id": attachment["volumeId"],
        "serverId": attachment["serverId"],
        "volumeId": attachment["volumeId"],
        "device": attachment["device"],
    }
    if version >= (2, 70):
        view["tag"] = attachment.get("tag")
    if version >= (2, 79):
        view["delete_on_termination"] = attachment.get("delete_on_termination", False)
    return view


def nova_time(moment: datetime) -> str:
    """Nova's timestamps: whole seconds, Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _image(record: Record, links: Links) -> dict[str, Any] | str:
    image = record["image_ref"]
    return {"id": image, "links": links.bookmark_of("images", image)} if image else ""


def _flavor(record: Record, links: Links) -> dict[str, Any]:
    """The flavor as the server keeps it (a copy made at boot), embedded from 2.47."""
    flavor_id = record["instance_type_id"]
    if not flavor_id:
        return {}  # Nova's answer for an instance without a flavor
    if links.version >= (2, 47):
        return dict(record.get("flavor") or {})
    return {"id": flavor_id, "links": links.bookmark_of("flavors", flavor_id)}


def _volume_attached(attachment: Record, version: tuple[int, int]) -> dict[str, Any]:
    if version >= (2, 3):
        return {
            "id": attachment["volumeId"],
            "delete_on_termination": attachment.get("delete_on_termination", False),
        }
    return {"id": attachment["volumeId"]}
