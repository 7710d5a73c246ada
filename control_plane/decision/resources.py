"""What the gateway knows about each pod-owned resource type: its URLs, fields and wording.

One table instead of a dictionary per module: classify finds collections here, the lister and
the presenter read field names, faults take the noun Nova or Cinder would use.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from control_plane.model import RESOURCE_SERVICE, Pod, ResourceType, Service

__all__ = [
    "API_PREFIX",
    "PROJECT_FROM_TOKEN",
    "PROJECT_OPTIONAL",
    "SPECS",
    "ResourceSpec",
    "by_collection",
]

# The versioned path prefix of each API (a DESIGN.md contract).
API_PREFIX: Mapping[Service, str] = {
    Service.COMPUTE: "v2.1",
    Service.VOLUME: "v3",
    Service.NETWORK: "v2.0",
}
# APIs whose paths name no project (Neutron's): the caller's token names it (noauth: the
# `X-Project-Id` header, as Neutron's own noauth reads it).
PROJECT_FROM_TOKEN = frozenset({Service.NETWORK})
# APIs whose paths may leave the project out (Nova since 2.18, Cinder since 3.67: catalogs then
# publish `.../v2.1` and `.../v3`): `/v2.1/servers/...` is the token's project's.
PROJECT_OPTIONAL = frozenset({Service.COMPUTE, Service.VOLUME})

_BRIEF = ("id", "name", "links")
# cinder/api/views/snapshots.py summary(): snapshots have no links, even in detail.
_SNAPSHOT_BRIEF = (
    "id", "created_at", "updated_at", "name", "description", "volume_id", "status", "size",
    "metadata",
)  # fmt: skip


# Cinder's volume-side resources: type, collection, member, noun, list key, brief fields, links,
# AZ field, "not found" message. Their items name no owner (admins see `project_id` on some).
_ATTACHMENT_BRIEF = ("id", "status", "instance", "volume_id")
_CINDER = (
    (ResourceType.ATTACHMENT, "attachments", "attachment", "VolumeAttachment", "",
     _ATTACHMENT_BRIEF, False, None,
     "Volume attachment could not be found with filter: attachment_id = {id}."),
    # `volume-transfers` (3.55+) names the same transfers; the older path works at any version.
    (ResourceType.TRANSFER, "os-volume-transfer", "transfer", "Transfer", "transfers",
     ("id", "volume_id", "name", "links"), True, None, "Transfer {id} could not be found."),
    (ResourceType.GROUP, "groups", "group", "Group", "", ("id", "name"), False,
     "availability_zone", "Group {id} could not be found."),
    (ResourceType.GROUP_SNAPSHOT, "group_snapshots", "group_snapshot", "GroupSnapshot", "",
     ("id", "name", "group_type_id"), False, None, "GroupSnapshot {id} could not be found."),
    # Messages have one list, of full items (no brief view, no `/detail`).
    (ResourceType.MESSAGE, "messages", "message", "Message", "", (), True, None,
     "Message {id} could not be found."),
)  # fmt: skip
# Cinder's group lists link on under the member's name.
_MEMBER_LINKS = frozenset({ResourceType.GROUP, ResourceType.GROUP_SNAPSHOT})

# Neutron's networks and routers name their zones (hints given, zones in use) in lists.
_ZONE_LISTS = ("availability_zone_hints", "availability_zones")
_ZONED = frozenset({ResourceType.NETWORK, ResourceType.ROUTER})
# Neutron's resources: type, collection, member, noun, and neutron-lib's "not found" exception.
_NEUTRON = (
    (ResourceType.NETWORK, "networks", "network", "Network", "NetworkNotFound",
     "Network {id} could not be found."),
    (ResourceType.SUBNET, "subnets", "subnet", "Subnet", "SubnetNotFound",
     "Subnet {id} could not be found."),
    (ResourceType.PORT, "ports", "port", "Port", "PortNotFound", "Port {id} could not be found."),
    (ResourceType.ROUTER, "routers", "router", "Router", "RouterNotFound",
     "Router {id} could not be found"),
    (ResourceType.FLOATING_IP, "floatingips", "floatingip", "Floating IP", "FloatingIPNotFound",
     "Floating IP {id} could not be found"),
)  # fmt: skip

# Nova's words for an unknown id on its proxies (`os-networks`, `os-tenant-networks`).
_PROXY_NOT_FOUND = {ResourceType.NETWORK: "Network not found"}


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """One resource type as its API shows it."""

    resource_type: ResourceType
    service: Service
    collection: str
    member: str
    # The noun of the API's "<noun> <id> could not be found." fault.
    noun: str
    # The field of a detail item holding the pod's AZ name (None: the item names no AZ).
    az_field: str | None
    # The field of a detail item naming the owning project.
    owner_field: str
    # The fields of an item in the brief list (`GET /<collection>`); none: the API has one
    # list, of full items (Cinder's messages; Neutron's).
    brief_fields: tuple[str, ...] = _BRIEF
    # Whether items carry `links` (self and bookmark).
    links: bool = True
    # Fields holding lists of AZ names (Neutron's `availability_zones` and hints).
    az_lists: tuple[str, ...] = ()
    # Whether the pod pages its list by `limit` and `marker` (Cinder's transfers take both for
    # filters and answer nothing; Nova's server groups page by offset): else it is read whole.
    pod_pages: bool = True
    # Neutron's fault type for an unknown id ("" on APIs without fault types).
    fault_type: str = ""
    # The "not found" message, `{id}` filled in.
    not_found_message: str = "{noun} {id} could not be found."
    # The field naming the AZ in Nova's proxy view of the resource (os-volumes' camelCase).
    proxy_az_field: str | None = None
    # Nova's proxy's message for an id it does not know ("": the API's own).
    proxy_not_found: str = ""
    # The key of a list's items ("": the collection) and of its next link ("": `<items>_links`).
    list_key: str = ""
    links_key: str = ""

    @property
    def items_key(self) -> str:
        """The key of the items in a list answer."""
        return self.list_key or self.collection

    @property
    def next_key(self) -> str:
        """The key of a list answer's links."""
        return self.links_key or f"{self.items_key}_links"

    @property
    def shows_zones(self) -> bool:
        """Items name AZs, which a pod renaming its zone makes the gateway rewrite."""
        return self.az_field is not None or bool(self.az_lists)

    def localised(self, item: Mapping[str, Any], pod: Pod) -> dict[str, Any] | None:
        """`item` with the pod's AZ name shown as users know it; None when nothing changed.

        A value is the pod's zone when it is the pod's `pod_az_name`, or any value when the pod
        names none (its default zone, whatever the pod calls it).
        """

        def user(zone: object) -> object:
            ours = isinstance(zone, str) and (not pod.pod_az_name or zone == pod.pod_az_name)
            return pod.az_name if ours else zone

        result = dict(item)
        for field in (self.az_field, self.proxy_az_field):
            if field is not None and isinstance(item.get(field), str):
                result[field] = user(item[field])
        for field in self.az_lists:
            zones = item.get(field)
            if isinstance(zones, list):
                result[field] = list(dict.fromkeys(user(zone) for zone in zones))
        return None if result == item else result

    def item_path(self, resource_id: str) -> str:
        """One resource's path below the project (a project-less API's: below nothing)."""
        version = f"/{API_PREFIX[self.service]}" if self.service in PROJECT_FROM_TOKEN else ""
        return f"{version}/{self.collection}/{resource_id}"

    def not_found(self, resource_id: str, service: Service | None = None) -> str:
        """The API's message for an id it does not know (asked on `service`'s: a proxy's)."""
        if service not in (None, self.service) and self.proxy_not_found:
            return self.proxy_not_found
        return self.not_found_message.format(noun=self.noun, id=resource_id)


def _cinder(
    resource_type: ResourceType,
    collection: str,
    member: str,
    noun: str,
    list_key: str,
    brief: tuple[str, ...],
    links: bool,
    az_field: str | None,
    message: str,
) -> ResourceSpec:
    """One of Cinder's volume-side resources (a row of `_CINDER`)."""
    return ResourceSpec(
        resource_type,
        Service.VOLUME,
        collection,
        member,
        noun,
        az_field,
        "project_id",
        brief_fields=brief,
        links=links,
        not_found_message=message,
        list_key=list_key,
        links_key=f"{member}_links" if resource_type in _MEMBER_LINKS else "",
        pod_pages=resource_type is not ResourceType.TRANSFER,
    )


SPECS: Mapping[ResourceType, ResourceSpec] = {
    spec.resource_type: spec
    for spec in (
        ResourceSpec(
            ResourceType.SERVER,
            RESOURCE_SERVICE[ResourceType.SERVER],
            "servers",
            "server",
            "Instance",
            "OS-EXT-AZ:availability_zone",
            "tenant_id",
        ),
        ResourceSpec(
            ResourceType.VOLUME,
            RESOURCE_SERVICE[ResourceType.VOLUME],
            "volumes",
            "volume",
            "Volume",
            "availability_zone",
            "os-vol-tenant-attr:tenant_id",
            proxy_az_field="availabilityZone",
        ),
        ResourceSpec(
            ResourceType.SNAPSHOT,
            RESOURCE_SERVICE[ResourceType.SNAPSHOT],
            "snapshots",
            "snapshot",
            "Snapshot",
            None,
            "os-extended-snapshot-attributes:project_id",
            brief_fields=_SNAPSHOT_BRIEF,
            links=False,
        ),
        ResourceSpec(
            ResourceType.BACKUP,
            RESOURCE_SERVICE[ResourceType.BACKUP],
            "backups",
            "backup",
            "Backup",
            "availability_zone",
            "os-backup-project-attr:project_id",
        ),
        *(_cinder(*row) for row in _CINDER),
        # Nova's server groups: no zone, no links; the owner shown from 2.13 on.
        ResourceSpec(
            ResourceType.SERVER_GROUP,
            RESOURCE_SERVICE[ResourceType.SERVER_GROUP],
            "os-server-groups",
            "server_group",
            "Instance group",
            None,
            "project_id",
            brief_fields=(),
            links=False,
            pod_pages=False,
        ),
        # Neutron: one view per resource (no brief list, no links), the owner in `project_id`.
        *(
            ResourceSpec(
                resource_type,
                Service.NETWORK,
                collection,
                member,
                noun,
                None,
                "project_id",
                brief_fields=(),
                links=False,
                az_lists=az_lists,
                fault_type=fault_type,
                not_found_message=message,
                proxy_not_found=_PROXY_NOT_FOUND.get(resource_type, ""),
            )
            for resource_type, collection, member, noun, fault_type, message in _NEUTRON
            for az_lists in [_ZONE_LISTS if resource_type in _ZONED else ()]
        ),
    )
}

_BY_COLLECTION = {(spec.service, spec.collection): spec for spec in SPECS.values()}


def by_collection(service: Service, collection: str) -> ResourceSpec | None:
    """The resource type whose collection `collection` is on `service`'s API, if any."""
    return _BY_COLLECTION.get((service, collection))
