"""Tell what a user request is about from its method and path alone, before any lookup.

Paths look like `/v2.1/{project}/servers/{id}/...` (compute), `/v3/{project}/volumes/...`
(volume) or `/v2.0/networks/...` (network: the project is the token's); compute and volume
paths may leave the project out too (`/v2.1/servers/...`: the token's project). `/` and
`/v2.1/` (`/v3/`, `/v2.0/`) are the version documents. Anything the gateway does not handle,
or that looks malicious (dot segments, junk ids), is UNKNOWN so that nothing reaches the store
or a pod; a known path asked with a method it lacks is BAD_METHOD. Which paths are known,
and what each is, is the route-family table's (families.py).
"""

from urllib.parse import unquote

from control_plane.decision.families import ANY, PROJECT_ID
from control_plane.decision.family_index import is_collection, matching
from control_plane.decision.operation import Kind, Operation, operation
from control_plane.decision.resources import API_PREFIX, PROJECT_FROM_TOKEN, PROJECT_OPTIONAL
from control_plane.decision.versions.documents import LEGACY_COMPUTE
from control_plane.model import ResourceType, Service

__all__ = ["classify"]

_HTTP_METHODS = frozenset(ANY)


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
    if service is Service.COMPUTE and raw_path in (LEGACY_COMPUTE, LEGACY_COMPUTE.rstrip("/")):
        return _versions(service, method, LEGACY_COMPUTE)
    segments = raw_path.split("/")
    token = _names_no_project(service, segments)
    # Where the collection is: after the project, or after the version where the token names it.
    head = 2 if token else 3
    if len(segments) <= head or segments[0] or segments[1] != prefix:
        return unknown
    if any(_is_unsafe(segment) for segment in segments):
        return unknown
    project_id = "" if token else segments[2]
    if not token and not PROJECT_ID.fullmatch(project_id):
        return unknown
    rest = segments[head + 1 :]
    slash = bool(rest) and not rest[-1]
    if slash:
        rest = rest[:-1]
    # The path below the project; a project-less API's keeps its version (endpoints.pod_path).
    below = 1 if service in PROJECT_FROM_TOKEN else head
    remainder = "/" + "/".join(segments[below:])
    kind, resource_type, resource_id, allowed = _resolve(service, method, segments[head], rest)
    # Nova's and Cinder's routes take `volumes/` or `os-volumes/` for no path at all (404,
    # whatever the method); what a resource id's path with a slash is, its pod says.
    if kind is Kind.UNKNOWN or (slash and service is not Service.NETWORK and not resource_id):
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
        token_project=token,
    )


def _names_no_project(service: Service, segments: list[str]) -> bool:
    """The path leaves the project out: always on Neutron's API; on Nova's and Cinder's when
    the segment after the version is a collection (`/v2.1/servers/detail`), not a project.

    Nova's router tells them apart the same way: it takes that segment for a project only
    where it cannot be a collection (its project ids are hex, its collection names never are).
    A project literally named like a collection (`servers`) cannot use the project's URLs.
    """
    if service in PROJECT_FROM_TOKEN:
        return True
    return service in PROJECT_OPTIONAL and len(segments) > 2 and is_collection(service, segments[2])


_Resolved = tuple[Kind, ResourceType | None, str, tuple[str, ...]]
_NOTHING: _Resolved = (Kind.UNKNOWN, None, "", ())


def _versions(service: Service, method: str, remainder: str) -> Operation:
    if method == "GET":
        return operation(Kind.VERSIONS, service, remainder=remainder)
    return operation(Kind.BAD_METHOD, service, remainder=remainder, allowed=("GET",))


def _resolve(service: Service, method: str, head: str, rest: list[str]) -> _Resolved:
    """The first family naming the path with the method; a 405 when some name it, none with it."""
    if not all(rest):
        return _NOTHING
    found = matching(service, head, rest)
    for family, resource_id in found:
        if method in family.methods:
            return family.kind, family.resource_type, resource_id, ()
    if not found:
        return _NOTHING
    allowed = tuple(m for m in ANY if any(m in family.methods for family, _ in found))
    return Kind.BAD_METHOD, found[0][0].resource_type, "", allowed


def _is_unsafe(segment: str) -> bool:
    """Dot segments and encoded separators could make a pod resolve another resource's path."""
    decoded = unquote(segment)
    return (
        decoded in (".", "..")
        or "/" in decoded
        or "\\" in decoded
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in decoded)
    )
