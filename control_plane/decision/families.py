"""Every API route family the gateway serves, one row each; classify (through family_index.py),
the fast path's keys and docs/api-coverage.md (`python -m control_plane.decision.coverage`) are
read from this table.

A row's paths are patterns below `/{prefix}/{project}/` (the network API's below `/{prefix}/`:
its project is the token's), segment by segment: a literal, `{id}` a resource id, `{...}` any
other single segment, `**` whatever follows (nothing included). Paths starting with `/` are the
version documents, read before any project. A request belongs to the
first row, in table order, with a path and a method that match it (so attach rows come before
their owner's); a path some row matches, asked with a method none of them has, is a 405. An id
is never a literal that a sibling pattern has in its place: `servers/detail` is the list.
Pure: no I/O.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from control_plane.decision.operation import Kind
from control_plane.model import ResourceType, Service

__all__ = [
    "ANY",
    "BELOW",
    "FAMILIES",
    "ID",
    "PROJECT_ID",
    "QUOTA_VIEWS",
    "RESOURCE_ID",
    "Family",
    "Merge",
    "Placement",
]

# Every method a request may have, in the order an `Allow` header lists them. Any other token
# (WebDAV's, lower-case `get`, ...) is refused before a pod sees it.
ANY = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# The shapes of the ids in a path; anything else never reaches the store or a pod.
PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
RESOURCE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
ID = "{id}"
BELOW = "**"


class Placement(StrEnum):
    """What a create's pod follows."""

    SCHEDULED = (
        "the pod of the resources its body uses (networks, ports, volumes, snapshots, backups, "
        "a server's group), else the project's pod in the zone asked for (bindings), the zone "
        "name translated"
    )
    SOURCE_VOLUME = "the pod that owns the source volume (`volume_id`, `volume_uuid`)"
    GROUP = "the pod that owns its group (`group_id`)"
    NETWORK = "the pod that owns its network (`network_id`)"
    EXTERNAL_NETWORK = "the pod that owns its external network (`floating_network_id`)"


class Merge(StrEnum):
    """How the pods' answers become the one the client gets."""

    OWNER = "the owner's answer, unchanged"
    MOVED = "the owner's answer, unchanged; the volume it names moves to the caller's project"
    RECORDED = "the chosen pod's answer; the new id recorded"
    PAGED = "every pod not DISABLED, sorted and paged across pods, zone names and links rewritten"
    SHARED_READ = (
        "lists merged from every ENABLED pod, de-duplicated, and paged as a pod pages (limit, "
        "marker, next links); a single object from the first pod that has it"
    )
    SHARED_WRITE = (
        "sent to every ENABLED pod under one identity (a flavor's id given to every pod, each "
        "Cinder's own id mapped), creates undone when one pod refuses"
    )
    SUMMED = "the project's counts and sizes added over every pod not DISABLED"
    QUOTAS = (
        "limits as set through the gateway over all pods together, usage summed over every pod "
        "not DISABLED; a write gives each pod its usage plus a share of the headroom "
        "(docs/quotas.md)"
    )
    CONFIGURATION = (
        "the pods' configuration, alike everywhere: read from the first pod, written to every "
        "ENABLED pod"
    )
    INVENTORY = (
        "asked of every pod not DISABLED (writes too); lists merged from the "
        "pods that answer, oldest pod first (hypervisors and migrations paged across pods, "
        "views/paged.py); a single object or action from the first that has "
        "it (by name or UUID), else a pod's own refusal (a 400 before a 404); integer ids "
        "unique per pod (views/ids.py)"
    )
    BY_ID = "to the pod an integer id names (views/ids.py); any other id as INVENTORY"
    OWNED = (
        "created in the pod of the zone the body names, else the oldest ENABLED pod; its id "
        "unique per pod (views/ids.py)"
    )
    USAGE = (
        "every pod not DISABLED asked; usage summed per project, servers listed; from 2.40 "
        "paged over the pods as Nova pages over its cells (views/usage_pages.py)"
    )
    COUNTS = (
        "every pod not DISABLED asked; numbers summed, lists joined (an audit log's overall "
        "status said again as Nova words it)"
    )
    UNIFORM = (
        "the same in every pod: read from the oldest ENABLED pod, written to every ENABLED "
        "pod (nothing undone when one refuses), the first pod's answer"
    )
    COPIES = (
        "a copy made in every ENABLED pod (undone when one refuses), each pod addressed by its "
        "own id; the first pod's id shown, lists show each object once"
    )
    ZONES = "the `az_name`s of ENABLED pods (`hosts: null`)"
    SPLIT = "each pod its share, by the pod of each `server_uuid` (200 / 207 / 404)"
    OFFSET = (
        "every pod not DISABLED, each pod's whole list in one (newest first where items show "
        "`createdAt`), then Nova's `offset` and `limit` cut"
    )
    ANY_POD = (
        "one ENABLED pod's answer (the pods share one image service and API), links pointing "
        "at the gateway"
    )
    HOME = (
        "the pod of the project's binding in its default zone (where a server created without "
        "a zone goes); an admin's `all_tenants` list of groups merged from every pod not "
        "DISABLED, paged by offset as Nova pages it"
    )
    JOINED = "every pod not DISABLED asked, the lists joined, each network once (Nova pages none)"
    NAMED = (
        "to the pod owning the volume the body (`snapshot.volume_id`) or the query "
        "(`delete_info`'s `volume_id`) names; one unknown here, or none named, to the oldest "
        "ENABLED pod, which refuses in Nova's words (400, or its policy's 403)"
    )
    WINDOW = (
        "the microversion window every ENABLED pod supports (read from each pod's "
        "unauthenticated root document), no token"
    )


@dataclass(frozen=True, slots=True)
class Family:
    """Requests of one service the gateway treats alike: their paths, methods and rule."""

    service: Service
    paths: tuple[str, ...]
    methods: tuple[str, ...]
    # The rule: how the gateway handles the request.
    kind: Kind
    merge: Merge
    # The pod-owned resource the paths name (None: shared objects, views, gateway answers).
    resource_type: ResourceType | None = None
    # What a create's placement follows (CREATE rows only).
    follows: Placement | None = None


_C, _V, _N = Service.COMPUTE, Service.VOLUME, Service.NETWORK
_NETWORK, _SUBNET, _PORT = ResourceType.NETWORK, ResourceType.SUBNET, ResourceType.PORT
_ROUTER, _FLOATING_IP = ResourceType.ROUTER, ResourceType.FLOATING_IP
_SERVER, _VOLUME = ResourceType.SERVER, ResourceType.VOLUME
_SNAPSHOT, _BACKUP = ResourceType.SNAPSHOT, ResourceType.BACKUP
_ATTACHMENT, _TRANSFER = ResourceType.ATTACHMENT, ResourceType.TRANSFER
_GROUP, _GROUP_SNAPSHOT = ResourceType.GROUP, ResourceType.GROUP_SNAPSHOT
_TRANSFERS = "os-volume-transfer volume-transfers"
_SCHEDULED, _SOURCE = Placement.SCHEDULED, Placement.SOURCE_VOLUME
_SERVER_GROUP = ResourceType.SERVER_GROUP
_GET, _POST, _WRITES, _SET = ("GET",), ("POST",), ("POST", "PUT", "DELETE"), ("PUT", "DELETE")
_READ_DELETE = ("GET", "DELETE")
_VERSIONS = "/ /{prefix}/"
_QUOTAS = "os-quota-sets/{project}"
_CLASSES = "os-quota-class-sets/{...}"


def _row(
    service: Service,
    paths: str,
    methods: tuple[str, ...],
    kind: Kind,
    merge: Merge,
    resource_type: ResourceType | None = None,
    follows: Placement | None = None,
) -> Family:
    """A row with its paths written as one string, separated by spaces."""
    return Family(service, tuple(paths.split()), methods, kind, merge, resource_type, follows)


FAMILIES: tuple[Family, ...] = (
    # --- compute (Nova v2.1)
    _row(_C, _VERSIONS, _GET, Kind.VERSIONS, Merge.WINDOW),
    _row(_C, "servers", _POST, Kind.CREATE, Merge.RECORDED, _SERVER, _SCHEDULED),
    _row(_C, "servers servers/detail", _GET, Kind.LIST, Merge.PAGED, _SERVER),
    # Attach (the body names a volume, checked for the same pod): Nova's attach and swap.
    _row(_C, "servers/{id}/os-volume_attachments", _POST, Kind.ATTACH, Merge.OWNER, _SERVER),
    _row(_C, "servers/{id}/os-volume_attachments/{volume}", ("PUT",), Kind.ATTACH, Merge.OWNER,
         _SERVER),
    _row(_C, "servers/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _SERVER),
    # Nova's `/detail` adds each zone's hosts; the gateway has none to show.
    _row(_C, "os-availability-zone os-availability-zone/detail", _GET, Kind.ZONES, Merge.ZONES),
    _row(_C, "os-server-external-events", _POST, Kind.EVENTS, Merge.SPLIT),
    _row(_C, "flavors/** os-keypairs/**", _GET, Kind.SHARED, Merge.SHARED_READ),
    _row(_C, "flavors/** os-keypairs/**", _WRITES, Kind.SHARED, Merge.SHARED_WRITE),
    _row(_C, f"limits {_QUOTAS} {_QUOTAS}/detail", _GET, Kind.VIEWS, Merge.QUOTAS),
    _row(_C, _QUOTAS, _SET, Kind.VIEWS, Merge.QUOTAS),
    _row(_C, f"{_QUOTAS}/defaults {_CLASSES}", _GET, Kind.VIEWS, Merge.CONFIGURATION),
    _row(_C, _CLASSES, ("PUT",), Kind.VIEWS, Merge.CONFIGURATION),
    # Admin views of the pods' machinery (views/admin.py); hosts keep the pods' names.
    _row(_C, "os-services os-hypervisors os-hypervisors/detail os-hypervisors/{...}/search "
         "os-hypervisors/{...}/servers os-hosts os-hosts/{...} os-hosts/{...}/{...} "
         "os-migrations os-aggregates", _GET, Kind.VIEWS, Merge.INVENTORY),
    _row(_C, "os-hypervisors/statistics", _GET, Kind.VIEWS, Merge.COUNTS),
    _row(_C, "os-hypervisors/{id} os-hypervisors/{id}/uptime", _GET, Kind.VIEWS, Merge.BY_ID),
    # Before 2.53 by host and binary in the body, from 2.53 by UUID: the pod that has it.
    _row(_C, "os-services/{...} os-hosts/{...}", ("PUT",), Kind.VIEWS, Merge.INVENTORY),
    _row(_C, "os-services/{id}", ("DELETE",), Kind.VIEWS, Merge.BY_ID),
    _row(_C, "os-aggregates", _POST, Kind.VIEWS, Merge.OWNED),
    _row(_C, "os-aggregates/{id}", ("GET", "PUT", "DELETE"), Kind.VIEWS, Merge.BY_ID),
    _row(_C, "os-aggregates/{id}/action os-aggregates/{id}/images", _POST, Kind.VIEWS,
         Merge.BY_ID),
    _row(_C, "os-simple-tenant-usage os-simple-tenant-usage/{...}", _GET, Kind.VIEWS,
         Merge.USAGE),
    _row(_C, "os-instance_usage_audit_log os-instance_usage_audit_log/{...}", _GET, Kind.VIEWS,
         Merge.COUNTS),
    # A server group lives in one pod; `os:scheduler_hints.group` places servers beside it.
    _row(_C, "os-server-groups", _POST, Kind.CREATE, Merge.RECORDED, _SERVER_GROUP, _SCHEDULED),
    _row(_C, "os-server-groups", _GET, Kind.OFFSET_LIST, Merge.OFFSET, _SERVER_GROUP),
    _row(_C, "os-server-groups/{id}", _READ_DELETE, Kind.ROUTED, Merge.OWNER, _SERVER_GROUP),
    # Nova's proxies to Cinder (microversions <= 2.35): the same volumes and snapshots.
    _row(_C, "os-volumes", _POST, Kind.CREATE, Merge.RECORDED, _VOLUME, _SCHEDULED),
    _row(_C, "os-volumes os-volumes/detail", _GET, Kind.OFFSET_LIST, Merge.OFFSET, _VOLUME),
    _row(_C, "os-volumes/{id}", _READ_DELETE, Kind.ROUTED, Merge.OWNER, _VOLUME),
    _row(_C, "os-snapshots", _POST, Kind.CREATE, Merge.RECORDED, _SNAPSHOT, _SOURCE),
    _row(_C, "os-snapshots os-snapshots/detail", _GET, Kind.OFFSET_LIST, Merge.OFFSET,
         _SNAPSHOT),
    _row(_C, "os-snapshots/{id}", _READ_DELETE, Kind.ROUTED, Merge.OWNER, _SNAPSHOT),
    # Nova's proxies to Neutron (<= 2.35). Each pod's Nova shows its own Neutron's networks;
    # their creates, deletes and actions went with nova-network (410 in every pod).
    _row(_C, "os-networks os-tenant-networks", _GET, Kind.OFFSET_LIST, Merge.JOINED, _NETWORK),
    _row(_C, "os-networks/{id} os-tenant-networks/{id}", _GET, Kind.ROUTED, Merge.OWNER,
         _NETWORK),
    _row(_C, "os-networks/** os-tenant-networks/**", ("POST", "DELETE"), Kind.ANY_POD,
         Merge.ANY_POD),
    # Nova acts on the server the volume is attached to: the volume's pod.
    _row(_C, "os-assisted-volume-snapshots", _POST, Kind.NAMED, Merge.NAMED, _VOLUME),
    _row(_C, "os-assisted-volume-snapshots/{...}", ("DELETE",), Kind.NAMED, Merge.NAMED,
         _VOLUME),
    # Groups and floating IPs: where the project's servers go by default (an admin's list of
    # every project's groups: from every pod, `decide._home`).
    _row(_C, "os-security-groups/** os-security-group-rules/** os-floating-ips/** "
         "os-floating-ip-pools", ("GET", "POST", "PUT", "DELETE"), Kind.HOME, Merge.HOME),
    # Nova's image proxy (<= 2.35) and its extension list: the same behind every pod.
    _row(_C, "images/**", ("GET", "POST", "PUT", "DELETE"), Kind.ANY_POD, Merge.ANY_POD),
    _row(_C, "extensions/**", _GET, Kind.ANY_POD, Merge.ANY_POD),
    # --- volume (Cinder v3)
    _row(_V, _VERSIONS, _GET, Kind.VERSIONS, Merge.WINDOW),
    _row(_V, "volumes", _POST, Kind.CREATE, Merge.RECORDED, _VOLUME, _SCHEDULED),
    _row(_V, "volumes volumes/detail", _GET, Kind.LIST, Merge.PAGED, _VOLUME),
    _row(_V, "volumes/summary", _GET, Kind.VIEWS, Merge.SUMMED),
    # Cinder's `os-attach` action names the server.
    _row(_V, "volumes/{id}/action", _POST, Kind.ATTACH, Merge.OWNER, _VOLUME),
    _row(_V, "volumes/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _VOLUME),
    _row(_V, "snapshots", _POST, Kind.CREATE, Merge.RECORDED, _SNAPSHOT, _SOURCE),
    _row(_V, "snapshots snapshots/detail", _GET, Kind.LIST, Merge.PAGED, _SNAPSHOT),
    _row(_V, "snapshots/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _SNAPSHOT),
    _row(_V, "backups", _POST, Kind.CREATE, Merge.RECORDED, _BACKUP, _SOURCE),
    _row(_V, "backups backups/detail", _GET, Kind.LIST, Merge.PAGED, _BACKUP),
    _row(_V, "backups/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _BACKUP),
    # The attach API (3.27+): an attachment lives beside its volume and the server it names.
    _row(_V, "attachments", _POST, Kind.CREATE, Merge.RECORDED, _ATTACHMENT, _SOURCE),
    _row(_V, "attachments attachments/detail", _GET, Kind.LIST, Merge.PAGED, _ATTACHMENT),
    _row(_V, "attachments/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _ATTACHMENT),
    # Transfers (`volume-transfers` from 3.55, `os-volume-transfer` before): the accepting
    # project is not the transfer's, its auth key is the pod's to judge.
    _row(_V, _TRANSFERS, _POST, Kind.CREATE, Merge.RECORDED, _TRANSFER, _SOURCE),
    _row(_V, f"{_TRANSFERS} os-volume-transfer/detail volume-transfers/detail", _GET, Kind.LIST,
         Merge.PAGED, _TRANSFER),
    _row(_V, "os-volume-transfer/{id}/accept volume-transfers/{id}/accept", _POST, Kind.ACCEPT,
         Merge.MOVED, _TRANSFER),
    _row(_V, "os-volume-transfer/{id}/** volume-transfers/{id}/**", ANY, Kind.ROUTED,
         Merge.OWNER, _TRANSFER),
    # Generic volume groups: placed like volumes; `groups/action` (create-from-src) follows
    # the group or group snapshot it copies; group snapshots follow their group.
    _row(_V, "groups groups/action", _POST, Kind.CREATE, Merge.RECORDED, _GROUP, _SCHEDULED),
    _row(_V, "groups groups/detail", _GET, Kind.LIST, Merge.PAGED, _GROUP),
    _row(_V, "groups/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _GROUP),
    _row(_V, "group_snapshots", _POST, Kind.CREATE, Merge.RECORDED, _GROUP_SNAPSHOT,
         Placement.GROUP),
    _row(_V, "group_snapshots group_snapshots/detail", _GET, Kind.LIST, Merge.PAGED,
         _GROUP_SNAPSHOT),
    _row(_V, "group_snapshots/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _GROUP_SNAPSHOT),
    # Messages are the pods' own (no create): found in the pod that shows them.
    _row(_V, "messages", _GET, Kind.LIST, Merge.PAGED, ResourceType.MESSAGE),
    _row(_V, "messages/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, ResourceType.MESSAGE),
    _row(_V, "os-availability-zone", _GET, Kind.ZONES, Merge.ZONES),
    # Group types (3.11+) and QoS specs: shared like volume types (QoS `associate` is a GET that
    # writes: sent to every pod).
    _row(_V, "types/** group_types/** qos-specs/**", _GET, Kind.SHARED, Merge.SHARED_READ),
    _row(_V, "types/** group_types/** qos-specs/**", _WRITES, Kind.SHARED, Merge.SHARED_WRITE),
    _row(_V, f"limits {_QUOTAS}", _GET, Kind.VIEWS, Merge.QUOTAS),
    _row(_V, _QUOTAS, _SET, Kind.VIEWS, Merge.QUOTAS),
    _row(_V, f"{_QUOTAS}/defaults {_CLASSES}", _GET, Kind.VIEWS, Merge.CONFIGURATION),
    _row(_V, _CLASSES, ("PUT",), Kind.VIEWS, Merge.CONFIGURATION),
    # Admin views of the pods' machinery (views/admin.py); hosts and pools keep the pods' names.
    _row(_V, "os-services os-hosts os-hosts/{...} scheduler-stats/get_pools capabilities/{...} "
         "clusters clusters/detail clusters/{...} manageable_volumes manageable_volumes/detail "
         "manageable_snapshots manageable_snapshots/detail", _GET, Kind.VIEWS, Merge.INVENTORY),
    _row(_V, "os-services/{...} clusters/{...}", ("PUT",), Kind.VIEWS, Merge.INVENTORY),
    _row(_V, "workers/cleanup", _POST, Kind.VIEWS, Merge.INVENTORY),
    _row(_V, "default-types/{...}", ("GET", "PUT"), Kind.VIEWS, Merge.UNIFORM),
    _row(_V, "default-types/{...}", ("DELETE",), Kind.VIEWS, Merge.UNIFORM),
    _row(_V, "extensions resource_filters default-types", _GET, Kind.VIEWS, Merge.UNIFORM),
    # --- network (Neutron v2.0): paths below `/v2.0/`, the project is the token's
    _row(_N, _VERSIONS, _GET, Kind.VERSIONS, Merge.WINDOW),
    _row(_N, "extensions extensions/{...}", _GET, Kind.SHARED, Merge.SHARED_READ),
    _row(_N, "availability_zones", _GET, Kind.ZONES, Merge.ZONES),
    _row(_N, "networks", _POST, Kind.CREATE, Merge.RECORDED, _NETWORK, _SCHEDULED),
    _row(_N, "networks", _GET, Kind.LIST, Merge.PAGED, _NETWORK),
    _row(_N, "networks/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _NETWORK),
    _row(_N, "subnets", _POST, Kind.CREATE, Merge.RECORDED, _SUBNET, Placement.NETWORK),
    _row(_N, "subnets", _GET, Kind.LIST, Merge.PAGED, _SUBNET),
    _row(_N, "subnets/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _SUBNET),
    _row(_N, "ports", _POST, Kind.CREATE, Merge.RECORDED, _PORT, Placement.NETWORK),
    _row(_N, "ports", _GET, Kind.LIST, Merge.PAGED, _PORT),
    _row(_N, "ports/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _PORT),
    _row(_N, "routers", _POST, Kind.CREATE, Merge.RECORDED, _ROUTER, _SCHEDULED),
    _row(_N, "routers", _GET, Kind.LIST, Merge.PAGED, _ROUTER),
    # An external gateway or an interface names a network, subnet or port of the router's pod.
    _row(_N, "routers/{id} routers/{id}/add_router_interface", ("PUT",), Kind.ATTACH,
         Merge.OWNER, _ROUTER),
    _row(_N, "routers/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _ROUTER),
    _row(_N, "floatingips", _POST, Kind.CREATE, Merge.RECORDED, _FLOATING_IP,
         Placement.EXTERNAL_NETWORK),
    _row(_N, "floatingips", _GET, Kind.LIST, Merge.PAGED, _FLOATING_IP),
    # Associating names a port of the floating IP's pod.
    _row(_N, "floatingips/{id}", ("PUT",), Kind.ATTACH, Merge.OWNER, _FLOATING_IP),
    _row(_N, "floatingips/{id}/**", ANY, Kind.ROUTED, Merge.OWNER, _FLOATING_IP),
    # Security groups follow the project into every AZ (decision/security_groups/).
    _row(_N, "security-groups security-group-rules", ("GET", "POST"), Kind.COPIES,
         Merge.COPIES),
    _row(_N, "security-groups/{...}", ("GET", "PUT", "DELETE"), Kind.COPIES, Merge.COPIES),
    _row(_N, "security-group-rules/{...}", ("GET", "DELETE"), Kind.COPIES, Merge.COPIES),
    _row(_N, "quotas/{project} quotas/{project}/details", _GET, Kind.VIEWS, Merge.QUOTAS),
    _row(_N, "quotas/{project}", _SET, Kind.VIEWS, Merge.QUOTAS),
    _row(_N, "quotas/{project}/default", _GET, Kind.VIEWS, Merge.CONFIGURATION),
)  # fmt: skip

# The views answered by the quota relay (decision/quotas/), by the path segment after the project.
QUOTA_VIEWS = frozenset(
    path.split("/")[0]
    for family in FAMILIES
    if family.merge in (Merge.QUOTAS, Merge.CONFIGURATION)
    for path in family.paths
)
