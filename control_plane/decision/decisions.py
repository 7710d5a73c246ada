"""What decide() reads and returns: the Facts an adapter gathered, and one Decision value.

Plain data only, so a decision can be checked (and written down, see the golden decisions)
without a stream, a store or a pod.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from control_plane.decision.create.capacity import Capacity
from control_plane.decision.operation import Kind
from control_plane.decision.versions.microversions import Window
from control_plane.identity.policy import Caller
from control_plane.model import Binding, Copies, Pod, ResourceType, Routing

__all__ = [
    "AcrossPods",
    "Answer",
    "Decision",
    "Facts",
    "ListPage",
    "Mode",
    "NeedBody",
    "Placed",
    "Reference",
    "Route",
    "Target",
]


@dataclass(frozen=True, slots=True)
class Reference:
    """A resource a request body names (a create's network or boot volume, an attach's volume)."""

    resource_type: ResourceType
    resource_id: str


@dataclass(frozen=True, slots=True)
class Facts:
    """What the adapter knows of one request when it asks for a decision.

    Only what the operation needs is gathered: a routing for a request on one resource, the
    window for a version document, the bindings and the referenced routings once a body named them.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    pods: Mapping[str, Pod]
    # The negotiated microversion as the pod must get it (`latest` resolved).
    rewrite: Mapping[str, str] = field(default_factory=dict)
    # Pods of the request's service that are not answering (health.py).
    unhealthy: frozenset[str] = frozenset()
    # Who calls, once the gate said (None: noauth, where the gateway cannot know).
    caller: Caller | None = None
    # No body follows the headers.
    end_of_stream: bool = False
    # The routing of the resource the path names, after lookup and recovery (None: unknown).
    routing: Routing | None = None
    window: Window | None = None
    # The request body, once it was asked for.
    body: bytes | None = None
    # The routings of the resources the body names (unknown ones absent).
    referenced: Mapping[Reference, Routing] = field(default_factory=dict)
    bindings: tuple[Binding, ...] = ()
    # Each pod's free room as last read (create/capacity.py), for a scheduled create.
    capacity: Mapping[str, Capacity] = field(default_factory=dict)
    # The copies of the security groups and the volume type a create names, by the id the
    # user gave.
    copies: Mapping[str, Copies] = field(default_factory=dict)


class Mode(StrEnum):
    """What more of the exchange the gateway asks Envoy for."""

    BODY = "body"  # the request body (attach checks, fan-outs with a body, external events)
    CREATE = "create"  # the request body to place it, then the pod's answer to record it


@dataclass(frozen=True, slots=True)
class Target:
    """The pod chosen for a request, the cluster naming it, and the path it gets there."""

    pod: Pod
    cluster: str
    path: str


@dataclass(frozen=True, slots=True)
class Route:
    """Send the request on to `target`, with `headers` set on it."""

    target: Target
    headers: Mapping[str, str]
    # The resource the answer shows, from a pod that renames its zone: the answer is asked for.
    shown: ResourceType | None = None
    # The answer's links name the pod's own paths (relink.py): the answer is asked for.
    relink: bool = False
    # The request deletes the resource: its routing is forgotten now.
    forget: bool = False
    # A transfer's acceptance: the pod's answer is asked for, its volume moves to the caller.
    moves: bool = False


@dataclass(frozen=True, slots=True)
class Placed:
    """A create sent to `target` with the pod's `body` (None: the client's, unchanged); the
    project is bound to the pod (`bind`, replacing its binding to the pod `replaces`) and the
    new id routed once the pod accepted it."""

    target: Target
    body: bytes | None
    bind: bool = False
    replaces: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The gateway answers itself (zones, a version document)."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class NeedBody:
    """Ask Envoy for the body (and the answer, for a create), setting `headers` now; decide
    again once it came."""

    mode: Mode
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AcrossPods:
    """Shared objects, views or external events (`kind`): the pods concerned are asked with
    `headers` and `body`, the gateway answers."""

    kind: Kind
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a list, merged from every pod that may hold its items."""

    resource_type: ResourceType
    project_id: str
    path: str
    query: str
    detail: bool
    headers: Mapping[str, str]
    # The collection the path names (Cinder's transfers have two).
    collection: str


Decision = Route | Placed | Answer | NeedBody | AcrossPods | ListPage
