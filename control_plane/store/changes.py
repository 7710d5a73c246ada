"""What a committed write changed, and its wire format (pure).

One `Change` describes a write wherever it travels: to this process's subscribers
(control_plane.store.feed), to other replicas in a PostgreSQL NOTIFY payload
(control_plane.store.notify) and to decision workers over their link (control_plane.workers).
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from control_plane.model import ResourceType, Routing

__all__ = [
    "BINDINGS",
    "PODS",
    "RESYNC",
    "ROUTINGS_DROPPED",
    "Change",
    "ChangeKind",
    "bindings_changed",
    "decode",
    "encode",
    "forgotten",
    "new_origin",
    "pod_deleted",
    "pods_changed",
    "routing_deleted",
]

# Forgotten routings announced one by one; more are announced as one reload.
_FORGOTTEN_ONE_BY_ONE = 200
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7999


class ChangeKind(StrEnum):
    """What changed; each kind names the state derived from it."""

    PODS = "pods"  # a pod was created, updated or deleted: reload pods (and push xDS)
    BINDINGS = "bindings"  # a binding was created or deleted: nothing is derived from them yet
    ROUTING_DELETED = "routing"  # deleted (an admin, or its resource is gone), or it changed owner
    RESOURCE_DELETED = "resource"  # a user deleted a resource: off the fast path
    ROUTINGS_DROPPED = "routings"  # a forced pod delete dropped its routings: reload routings


@dataclass(frozen=True, slots=True)
class Change:
    """One change; resource kinds carry the resource's type and id."""

    kind: ChangeKind
    resource_type: str = ""
    resource_id: str = ""


PODS = Change(ChangeKind.PODS)
BINDINGS = Change(ChangeKind.BINDINGS)
ROUTINGS_DROPPED = Change(ChangeKind.ROUTINGS_DROPPED)
# Changes may have been missed (a connection was down): reload everything derived.
RESYNC = (PODS, ROUTINGS_DROPPED)


def pods_changed(_: object) -> Sequence[Change]:
    """A write to the pods: every replica reads them again."""
    return (PODS,)


def pod_deleted(dropped_routings: int) -> Sequence[Change]:
    """A pod deleted, with its routings when forced: every replica reads them again."""
    return (PODS, ROUTINGS_DROPPED) if dropped_routings else (PODS,)


def bindings_changed(_: object) -> Sequence[Change]:
    """A write to the bindings: every replica reads them again."""
    return (BINDINGS,)


def routing_deleted(resource_type: ResourceType, resource_id: str) -> Change:
    """One routing deleted or given to another project: every cache lets go of it."""
    return Change(ChangeKind.ROUTING_DELETED, resource_type.value, resource_id)


def forgotten(routings: Sequence[Routing]) -> Sequence[Change]:
    """One change per forgotten routing; past a few hundred, one reload is cheaper for every
    replica (and for PostgreSQL, which queues each NOTIFY until commit)."""
    if len(routings) > _FORGOTTEN_ONE_BY_ONE:
        return (ROUTINGS_DROPPED,)
    return tuple(
        routing_deleted(routing.resource_type, routing.resource_id) for routing in routings
    )


def new_origin() -> str:
    """A replica's id in its payloads, so that it can recognise (and skip) its own."""
    return uuid.uuid4().hex[:12]


def encode(origin: str, change: Change) -> str:
    """The payload: compact JSON; ValueError when PostgreSQL would refuse its size."""
    fields = {"o": origin, "k": change.kind.value}
    if change.resource_type or change.resource_id:
        fields |= {"t": change.resource_type, "i": change.resource_id}
    payload = json.dumps(fields, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"notification payload of {len(payload.encode())} bytes is too long")
    return payload


def decode(payload: str) -> tuple[str, Change] | None:
    """(origin, change) from a payload; None for anything this version does not understand."""
    try:
        fields = json.loads(payload)
        kind = ChangeKind(fields["k"])
        if kind in (ChangeKind.ROUTING_DELETED, ChangeKind.RESOURCE_DELETED):
            change = Change(kind, ResourceType(fields["t"]).value, str(fields["i"]))
        else:
            change = Change(kind)
        return str(fields["o"]), change
    except (ValueError, TypeError, KeyError):
        return None
