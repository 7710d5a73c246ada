"""A classified request: what classify() tells about it, before any lookup."""

from dataclasses import dataclass
from enum import StrEnum

from control_plane.decision.resources import PROJECT_FROM_TOKEN
from control_plane.model import ResourceType, Service

__all__ = ["Kind", "Operation", "ResourceOperation", "is_detail", "operation"]

_LIST_VIEW = "detail"


class Kind(StrEnum):
    """What the gateway does with a request."""

    ROUTED = "routed"  # forwarded as is to the pod owning resource_id
    ATTACH = "attach"  # routed, but its body may name a resource that must share the pod
    NAMED = "named"  # to the pod owning the resource the body or query names
    ACCEPT = "accept"  # routed whatever the project; what the answer names moves to the caller
    CREATE = "create"  # a new resource: the body picks the pod, the answer is recorded
    LIST = "list"  # merged from every pod
    OFFSET_LIST = "offset_list"  # merged from every pod, paged by limit and offset (Nova's)
    ZONES = "zones"  # the availability zones, answered from the pods' registrations
    EVENTS = "events"  # server external events, split by the pod of each server
    SHARED = "shared"  # flavors, key pairs, volume types: read from or written to every pod
    VIEWS = "views"  # limits, quota sets, services, hypervisors: combined from every pod
    COPIES = "copies"  # security groups and rules: a copy in every pod, one id at the gateway
    ANY_POD = "any_pod"  # images, extensions: the same behind every pod, one pod answers
    HOME = "home"  # to the project's pod in its default zone (Nova's network proxies)
    VERSIONS = "versions"  # a version document, answered without a token
    BAD_METHOD = "bad_method"  # a known path, a method it does not have (405)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Operation:
    """A classified request: enough to look up, schedule and rewrite it without re-parsing."""

    kind: Kind
    service: Service
    project_id: str = ""
    remainder: str = ""
    query: str = ""
    # The methods the path has (the `Allow` header of a BAD_METHOD answer).
    allowed: tuple[str, ...] = ()
    # The path names no project (Neutron's always, Nova's and Cinder's may not): the caller's
    # token names it (decide.with_project); `remainder` is then below where it would be.
    token_project: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceOperation(Operation):
    """A request on a collection (create, list) or on one resource of it (routed, attach)."""

    resource_type: ResourceType
    resource_id: str = ""  # "" for a create or a list


def operation(
    kind: Kind,
    service: Service,
    *,
    project_id: str = "",
    resource_type: ResourceType | None = None,
    resource_id: str = "",
    remainder: str = "",
    query: str = "",
    allowed: tuple[str, ...] = (),
    token_project: bool = False,
) -> Operation:
    """The variant that fits: a ResourceOperation when the path names a resource type.

    A project-less API's operations always take the token's project.
    """
    token = token_project or service in PROJECT_FROM_TOKEN
    if resource_type is None:
        return Operation(kind, service, project_id, remainder, query, allowed, token)
    return ResourceOperation(
        kind,
        service,
        project_id,
        remainder,
        query,
        allowed,
        token,
        resource_type=resource_type,
        resource_id=resource_id,
    )


def is_detail(op: Operation) -> bool:
    """A list of full views (`.../detail`) rather than the brief one (id, name, links)."""
    return op.kind is Kind.LIST and op.remainder.rstrip("/").endswith(f"/{_LIST_VIEW}")
