"""Tell what a user request is about from its method and path alone, before any lookup.

Paths look like `/v2.1/{project}/servers/{id}/...` (compute) or `/v3/{project}/volumes/...`
(volume); `/` and `/v2.1/` (`/v3/`) are the version documents. Anything the gateway does not
handle, or that looks malicious (dot segments, junk ids), is UNKNOWN so that nothing reaches the
store or a pod; a known path asked with a method it lacks is BAD_METHOD.
"""

import re
from urllib.parse import unquote

from control_plane.decision.operation import Kind, Operation, operation
from control_plane.decision.pod_views import INVENTORIES, TOTALS
from control_plane.decision.resources import API_PREFIX, by_collection
from control_plane.decision.shared import SHARED_COLLECTIONS
from control_plane.model import ResourceType, Service

__all__ = ["classify"]

_PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
# Any other method token (WebDAV's, lower-case `get`, ...) is refused before a pod sees it.
_HTTP_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
_LIST_VIEW = "detail"
_ZONES = "os-availability-zone"
_EVENTS = "os-server-external-events"
_ATTACHMENTS = "os-volume_attachments"
_SHARED_METHODS = ("GET", "POST", "PUT", "DELETE")
_QUOTAS = "os-quota-sets"
_QUOTA_METHODS = ("GET", "PUT", "DELETE")
# The read-only paths below each view's head: () is the head itself.
_VIEW_TAILS: dict[tuple[Service, str], tuple[tuple[str, ...], ...]] = {
    (Service.COMPUTE, "limits"): ((),),
    (Service.VOLUME, "limits"): ((),),
    (Service.COMPUTE, "os-services"): ((),),
    (Service.VOLUME, "os-services"): ((),),
    (Service.COMPUTE, "os-hypervisors"): ((), ("detail",)),
}
_QUOTA_TAILS = {Service.COMPUTE: ("detail", "defaults"), Service.VOLUME: ("defaults",)}


def classify(service: Service, method: str, path: str) -> Operation:
    """Classify one request that came in on `service`'s listener."""
    raw_path, _, query = path.partition("?")
    unknown = operation(Kind.UNKNOWN, service)
    if method not in _HTTP_METHODS:
        return operation(Kind.BAD_METHOD, service)
    prefix = API_PREFIX[service]
    if raw_path in ("", "/"):
        return _versions(service, method, "/")
    if raw_path in (f"/{prefix}", f"/{prefix}/"):
        return _versions(service, method, f"/{prefix}/")
    segments = raw_path.split("/")
    if len(segments) < 4 or segments[0] or segments[1] != prefix:
        return unknown
    if any(_is_unsafe(segment) for segment in segments):
        return unknown
    project_id = segments[2]
    if not _PROJECT_ID.fullmatch(project_id):
        return unknown
    rest = segments[4:]
    if rest and not rest[-1]:
        rest = rest[:-1]
    remainder = "/" + "/".join(segments[3:])
    kind, resource_type, resource_id, allowed = _resolve(service, method, segments[3], rest)
    if kind is Kind.UNKNOWN:
        return unknown
    return operation(
        kind,
        service,
        project_id=project_id,
        resource_type=resource_type,
        resource_id=resource_id,
        remainder=remainder,
        query=query,
        allowed=allowed,
    )


_Resolved = tuple[Kind, ResourceType | None, str, tuple[str, ...]]
_NOTHING: _Resolved = (Kind.UNKNOWN, None, "", ())


def _versions(service: Service, method: str, remainder: str) -> Operation:
    if method == "GET":
        return operation(Kind.VERSIONS, service, remainder=remainder)
    return operation(Kind.BAD_METHOD, service, remainder=remainder, allowed=("GET",))


def _resolve(service: Service, method: str, head: str, rest: list[str]) -> _Resolved:
    """What the path below the project names: a collection, the zones, or external events."""
    if head == _ZONES:
        # Nova's `/detail` adds each zone's hosts; the gateway has none to show (`hosts: null`).
        detail = service is Service.COMPUTE and rest == [_LIST_VIEW]
        return _fixed(Kind.ZONES, "GET", method) if not rest or detail else _NOTHING
    if head == _EVENTS and service is Service.COMPUTE:
        return _fixed(Kind.EVENTS, "POST", method) if not rest else _NOTHING
    if head in SHARED_COLLECTIONS[service]:
        if not all(rest):
            return _NOTHING
        if method in _SHARED_METHODS:
            return Kind.SHARED, None, "", ()
        return Kind.BAD_METHOD, None, "", _SHARED_METHODS
    if head in TOTALS or head in INVENTORIES:
        return _view(service, method, head, rest)
    spec = by_collection(service, head)
    if spec is None:
        return _NOTHING
    kind, resource_id, allowed = _in_collection(method, rest)
    if kind is Kind.ROUTED and _attaches(spec.resource_type, method, rest[1:]):
        kind = Kind.ATTACH
    if kind is Kind.UNKNOWN:
        return _NOTHING
    return kind, spec.resource_type, resource_id, allowed


def _view(service: Service, method: str, head: str, rest: list[str]) -> _Resolved:
    """Limits, quota sets (`{project}`, Nova's `/detail`, `/defaults`), services, hypervisors."""
    if head == _QUOTAS and len(rest) == 1 and rest[0]:
        if method in _QUOTA_METHODS:
            return Kind.VIEWS, None, "", ()
        return Kind.BAD_METHOD, None, "", _QUOTA_METHODS
    if head == _QUOTAS and len(rest) == 2 and rest[0] and rest[1] in _QUOTA_TAILS[service]:
        return _fixed(Kind.VIEWS, "GET", method)
    tails = _VIEW_TAILS.get((service, head), ())
    if tuple(rest) not in tails:
        return _NOTHING
    return _fixed(Kind.VIEWS, "GET", method)


def _fixed(kind: Kind, expected: str, method: str) -> _Resolved:
    """A path with a single method."""
    return (kind, None, "", ()) if method == expected else (Kind.BAD_METHOD, None, "", (expected,))


def _in_collection(method: str, rest: list[str]) -> tuple[Kind, str, tuple[str, ...]]:
    """The kind, resource id and allowed methods for the segments after the collection name."""
    if not rest:
        if method == "POST":
            return Kind.CREATE, "", ()
        if method == "GET":
            return Kind.LIST, "", ()
        return Kind.BAD_METHOD, "", ("GET", "POST")
    head = rest[0]
    if head == _LIST_VIEW:
        if len(rest) > 1:
            return Kind.UNKNOWN, "", ()
        return (Kind.LIST, "", ()) if method == "GET" else (Kind.BAD_METHOD, "", ("GET",))
    if _RESOURCE_ID.fullmatch(head) and all(rest[1:]):
        return Kind.ROUTED, head, ()
    return Kind.UNKNOWN, "", ()


def _attaches(resource_type: ResourceType, method: str, below: list[str]) -> bool:
    """Requests whose body may attach a resource of the other API (checked for the same pod).

    Nova: `POST servers/{id}/os-volume_attachments` and the swap
    `PUT servers/{id}/os-volume_attachments/{volume}`; Cinder: `POST volumes/{id}/action`
    (`os-attach` names the server).
    """
    if resource_type is ResourceType.SERVER:
        if method == "POST":
            return below == [_ATTACHMENTS]
        return method == "PUT" and len(below) == 2 and below[0] == _ATTACHMENTS
    return resource_type is ResourceType.VOLUME and method == "POST" and below == ["action"]


def _is_unsafe(segment: str) -> bool:
    """Dot segments and encoded separators could make a pod resolve another resource's path."""
    decoded = unquote(segment)
    return (
        decoded in (".", "..")
        or "/" in decoded
        or "\\" in decoded
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in decoded)
    )
