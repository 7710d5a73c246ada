"""Plain data shared by every part of the control plane (no I/O here)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class PodState(StrEnum):
    """ENABLED takes new resources; DRAINING serves existing ones only; DISABLED gets no traffic."""

    ENABLED = "ENABLED"
    DRAINING = "DRAINING"
    DISABLED = "DISABLED"


class Service(StrEnum):
    """Keystone service types a pod exposes through the gateway."""

    COMPUTE = "compute"
    VOLUME = "volumev3"
    NETWORK = "network"


class ResourceType(StrEnum):
    """Pod-owned resources whose location the routing table records."""

    SERVER = "server"
    VOLUME = "volume"
    SNAPSHOT = "snapshot"
    BACKUP = "backup"
    ATTACHMENT = "attachment"
    TRANSFER = "volume_transfer"
    GROUP = "group"
    GROUP_SNAPSHOT = "group_snapshot"
    MESSAGE = "message"
    NETWORK = "network"
    SUBNET = "subnet"
    PORT = "port"
    ROUTER = "router"
    FLOATING_IP = "floatingip"
    SERVER_GROUP = "server_group"


# Contract between the xDS translator and the decision service (DESIGN.md "Internal headers").
INTERNAL_HEADER_PREFIX = "x-podgate-"
# Names the chosen cluster (pod.<name>.<service>); routes use it as cluster_header.
POD_HEADER = "x-podgate-pod"
# gRPC metadata on each ext_proc stream: the API (Service value) the request came through.
SERVICE_METADATA = "x-podgate-service"
# gRPC metadata carrying the caller's Keystone token to the admin API (as the CLI sends it).
TOKEN_METADATA = "x-auth-token"
# gRPC metadata Envoy sends on ADS and ext_proc streams: the control plane's Envoy token.
ENVOY_TOKEN_METADATA = "x-podgate-envoy-token"

RESOURCE_SERVICE: Mapping[ResourceType, Service] = {
    ResourceType.SERVER: Service.COMPUTE,
    ResourceType.VOLUME: Service.VOLUME,
    ResourceType.SNAPSHOT: Service.VOLUME,
    ResourceType.BACKUP: Service.VOLUME,
    ResourceType.ATTACHMENT: Service.VOLUME,
    ResourceType.TRANSFER: Service.VOLUME,
    ResourceType.GROUP: Service.VOLUME,
    ResourceType.GROUP_SNAPSHOT: Service.VOLUME,
    ResourceType.MESSAGE: Service.VOLUME,
    ResourceType.NETWORK: Service.NETWORK,
    ResourceType.SUBNET: Service.NETWORK,
    ResourceType.PORT: Service.NETWORK,
    ResourceType.ROUTER: Service.NETWORK,
    ResourceType.FLOATING_IP: Service.NETWORK,
    ResourceType.SERVER_GROUP: Service.COMPUTE,
}


class CopiedType(StrEnum):
    """Objects the gateway keeps a copy of in every pod, under one id: a project's security
    groups, and the shared objects (a flavor's copies share its id; Cinder's each have their own).
    """

    SECURITY_GROUP = "security_group"
    SECURITY_GROUP_RULE = "security_group_rule"
    FLAVOR = "flavor"
    VOLUME_TYPE = "volume_type"
    GROUP_TYPE = "group_type"
    QOS_SPECS = "qos_specs"


@dataclass(frozen=True, slots=True)
class Copies:
    """One object's copies: each pod's own id for it; the gateway shows its home pod's id."""

    copied_type: CopiedType
    gateway_id: str
    # The project it belongs to (a shared object: the project of the admin who made it).
    project_id: str
    # pod name -> the id that pod gave its copy (the home pod's is `gateway_id`)
    ids: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class QuotaScope:
    """Whose limits a quota set holds: a project's in one API, or one of its users' (Nova)."""

    service: Service
    project_id: str
    user_id: str = ""


@dataclass(frozen=True, slots=True)
class Pod:
    """One OpenStack cloud (a Keystone region) behind the gateway."""

    name: str
    az_name: str
    pod_az_name: str = ""
    dc_name: str = ""
    state: PodState = PodState.ENABLED
    endpoints: Mapping[str, str] = field(default_factory=dict)
    # Its https endpoints' certificates go unchecked (Envoy and the decision service alike):
    # an operator's explicit choice for one pod, shown wherever the pod is.
    tls_insecure: bool = False
    id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def renames_az(self) -> bool:
        """Whether answers may name the pod's zone otherwise than users see it (need rewrites).

        Without a `pod_az_name` the pod's zone is whatever it defaults to, rewritten too.
        """
        return self.pod_az_name != self.az_name

    def endpoint(self, service: Service) -> str:
        """The catalog-style URL the pod offers `service` at, "" if it offers none."""
        return self.endpoints.get(service, "")

    def serves(self, service: Service) -> bool:
        """Whether the pod offers `service` at all, whatever its state."""
        return bool(self.endpoints.get(service))


@dataclass(frozen=True, slots=True)
class Binding:
    """A project's preferred pod in one availability zone; only one is active per (project, AZ)."""

    id: str
    project_id: str
    az_name: str
    pod_name: str
    active: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Routing:
    """Where a resource lives: written when the gateway learns of it, read on every request."""

    resource_id: str
    resource_type: ResourceType
    project_id: str
    pod_name: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


def cluster_name(pod_name: str, service: Service | str) -> str:
    """Envoy cluster that carries one service of one pod (a DESIGN.md contract)."""
    return f"pod.{pod_name}.{service}"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One admin change: who made it from where, which RPC on what, and the target's JSON
    before and after ("" where it did not exist)."""

    who: str
    peer: str
    action: str
    target: str
    before: str = ""
    after: str = ""
    id: int = 0
    at: datetime | None = None
