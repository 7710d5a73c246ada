"""What a committed write changed, and its wire format (pure).

One `Change` describes a write wherever it travels: to this process's subscribers
(control_plane.store.feed), to other replicas in a PostgreSQL NOTIFY payload
(control_plane.store.notify) and to decision workers over their link (control_plane.workers).
"""

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum

from control_plane.model import ResourceType

__all__ = [
    "BINDINGS",
    "PODS",
    "RESYNC",
    "ROUTINGS_DROPPED",
    "Change",
    "ChangeKind",
    "decode",
    "encode",
    "new_origin",
]

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
