"""Tell what a user request is about from its method and path alone, before any lookup.

Paths look like `/v2.1/{project}/servers/{id}/...` (compute) or `/v3/{project}/volumes/...`
(volume). Anything the gateway does not handle, or that looks malicious (dot segments, junk ids),
is UNKNOWN so that nothing reaches the store or a pod.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote

from control_plane.model import ResourceType, Service

__all__ = ["Kind", "Operation", "classify", "is_detail"]

_PREFIX = {Service.COMPUTE: "v2.1", Service.VOLUME: "v3"}
_COLLECTION = {Service.COMPUTE: "servers", Service.VOLUME: "volumes"}
_RESOURCE = {Service.COMPUTE: ResourceType.SERVER, Service.VOLUME: ResourceType.VOLUME}
_PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_LIST_VIEW = "detail"


class Kind(StrEnum):
    """What the gateway does with a request."""

    ROUTED = "routed"
    CREATE = "create"
    LIST = "list"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Operation:
    """A classified request: enough to look up, schedule and rewrite it without re-parsing."""

    kind: Kind
    service: Service
    project_id: str = ""
    resource_type: ResourceType | None = None
    resource_id: str = ""
    remainder: str = ""
    query: str = ""


def classify(service: Service, method: str, path: str) -> Operation:
    """Classify one request that came in on `service`'s listener."""
    raw_path, _, query = path.partition("?")
    unknown = Operation(Kind.UNKNOWN, service)
    segments = raw_path.split("/")
    if len(segments) < 4 or segments[0] or segments[1] != _PREFIX[service]:
        return unknown
    if any(_is_unsafe(segment) for segment in segments):
        return unknown
    project_id = segments[2]
    if not _PROJECT_ID.fullmatch(project_id) or segments[3] != _COLLECTION[service]:
        return unknown
    remainder = "/" + "/".join(segments[3:])
    rest = segments[4:]
    if rest and not rest[-1]:
        rest = rest[:-1]
    kind, resource_id = _kind(method, rest)
    if kind is Kind.UNKNOWN:
        return unknown
    return Operation(
        kind=kind,
        service=service,
        project_id=project_id,
        resource_type=_RESOURCE[service],
        resource_id=resource_id,
        remainder=remainder,
        query=query,
    )


def is_detail(op: Operation) -> bool:
    """A list of full views (`.../detail`) rather than the brief one (id, name, links)."""
    return op.kind is Kind.LIST and op.remainder.rstrip("/").endswith(f"/{_LIST_VIEW}")


def _kind(method: str, rest: list[str]) -> tuple[Kind, str]:
    """The kind and resource id for the segments after the collection name."""
    if not rest:
        if method == "POST":
            return Kind.CREATE, ""
        return (Kind.LIST, "") if method == "GET" else (Kind.UNKNOWN, "")
    head = rest[0]
    if head == _LIST_VIEW:
        return (Kind.LIST, "") if method == "GET" and len(rest) == 1 else (Kind.UNKNOWN, "")
    if _RESOURCE_ID.fullmatch(head) and all(rest[1:]):
        return Kind.ROUTED, head
    return Kind.UNKNOWN, ""


def _is_unsafe(segment: str) -> bool:
    """Dot segments and encoded separators could make a pod resolve another resource's path."""
    decoded = unquote(segment)
    return (
        decoded in (".", "..")
        or "/" in decoded
        or "\\" in decoded
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in decoded)
    )
