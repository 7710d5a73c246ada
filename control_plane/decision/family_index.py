"""The route-family table (families.py) indexed by path: which row a request's path belongs to,
the id it names, and what is derived from the rows (a create's placement, a type's owner path).
Pure: no I/O.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from control_plane.decision.families import (
    BELOW,
    FAMILIES,
    ID,
    PROJECT_ID,
    RESOURCE_ID,
    Family,
    Placement,
)
from control_plane.decision.operation import Kind
from control_plane.decision.resources import API_PREFIX, PROJECT_FROM_TOKEN
from control_plane.model import RESOURCE_SERVICE, ResourceType, Service

__all__ = ["is_collection", "matching", "owner_prefix", "placement"]


@dataclass(frozen=True, slots=True)
class _Route:
    """One path of a row, split into the segments after its head."""

    family: Family
    head: str
    below: tuple[str, ...]
    # What `{id}` never is here: the literals sibling paths have in its place.
    reserved: frozenset[str]


def _index() -> Mapping[tuple[Service, str], tuple[_Route, ...]]:
    """Every path below a project, by service and head, in table order."""
    paths = [
        (family, path.split("/"))
        for family in FAMILIES
        for path in family.paths
        if not path.startswith("/")
    ]
    index: dict[tuple[Service, str], list[_Route]] = {}
    for family, (head, *below) in paths:
        siblings = [
            other[1:] for row, other in paths if (row.service, other[0]) == (family.service, head)
        ]
        at = below.index(ID) if ID in below else -1
        reserved = frozenset(
            other[at] for other in siblings if 0 <= at < len(other) and _literal(other[at])
        )
        route = _Route(family, head, tuple(below), reserved)
        index.setdefault((family.service, head), []).append(route)
    return {key: tuple(routes) for key, routes in index.items()}


def _literal(segment: str) -> bool:
    return not segment.startswith("{") and segment != BELOW


def _owners() -> Mapping[ResourceType, _Route]:
    """Each resource type's first `{head}/{id}/**` path routing GETs to the owner."""
    owners: dict[ResourceType, _Route] = {}
    for routes in _INDEX.values():
        for route in routes:
            family = route.family
            if (
                family.resource_type is not None
                and family.service is RESOURCE_SERVICE[family.resource_type]
                and family.kind is Kind.ROUTED
                and "GET" in family.methods
                and route.below == (ID, BELOW)
            ):
                owners.setdefault(family.resource_type, route)
    return owners


_INDEX = _index()
_OWNERS = _owners()


def matching(service: Service, head: str, below: list[str]) -> list[tuple[Family, str]]:
    """The rows with a path naming `head/below...` (non-empty segments), in table order, each
    with the resource id the path names ("" for none)."""
    found = []
    for route in _INDEX.get((service, head), ()):
        resource_id = _match(route, below)
        if resource_id is not None:
            found.append((route.family, resource_id))
    return found


def is_collection(service: Service, segment: str) -> bool:
    """Whether some row's path starts with `segment` on `service` (`servers`, `os-keypairs`)."""
    return (service, segment) in _INDEX


def placement(resource_type: ResourceType) -> Placement:
    """What a create of `resource_type` follows: its CREATE row's rule."""
    return _PLACEMENTS[resource_type]


def owner_prefix(resource_type: ResourceType, project_id: str, resource_id: str) -> str | None:
    """The gateway path of a resource, ending in `/`, below which every GET goes to its owner.

    None when the table has no such path or the ids are not ones classify accepts.
    """
    route = _OWNERS.get(resource_type)
    # A project-less API's requests need the caller's project set by the decision service.
    if (
        route is None
        or route.family.service in PROJECT_FROM_TOKEN
        or not PROJECT_ID.fullmatch(project_id)
        or not _match(route, [resource_id])
    ):
        return None
    prefix = API_PREFIX[route.family.service]
    return f"/{prefix}/{project_id}/{route.head}/{resource_id}/"


def _match(route: _Route, below: list[str]) -> str | None:
    """The id `below` names when `route`'s path matches it ("" for none), else None."""
    pattern = route.below
    open_ended = bool(pattern) and pattern[-1] == BELOW
    if open_ended:
        pattern = pattern[:-1]
    if len(below) < len(pattern) or (not open_ended and len(below) > len(pattern)):
        return None
    resource_id = ""
    for want, got in zip(pattern, below, strict=False):
        if want == ID:
            if not RESOURCE_ID.fullmatch(got) or got in route.reserved:
                return None
            resource_id = got
        elif want != got and _literal(want):
            return None
    return resource_id


_PLACEMENTS: Mapping[ResourceType, Placement] = {
    family.resource_type: family.follows
    for family in FAMILIES
    if family.kind is Kind.CREATE and family.resource_type and family.follows
}
