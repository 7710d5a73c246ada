"""Lists of shared objects (flavors, key pairs, Cinder's types, QoS specs) merged, then paged
as a pod pages.

Every pod holds its own copy of each shared object, so the gateway asks each pod for its whole
list (the client's filters and sort kept, `limit` and `marker` taken out), merges them into one
list in the pods' own order, and cuts the client's page out of that: the items after `marker`,
at most `limit` (capped at the APIs' `max_limit`), and, where the pod's API gives them, a `next`
link whenever the page is full — Nova's rule (`_get_collection_links`), so a client walking the
links sees every object exactly once, whichever pods hold it.

The merged order keeps each pod's order (like C3 linearisation): the next item is a pod's head
that no other pod lists further down. When several pods' heads qualify (objects only some pods
hold), the collection's sort key decides if the items show it, else the first pod by name.
"""

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from control_plane.decision.versions.microversions import Version, parse_version, requested
from control_plane.model import Service

__all__ = [
    "MAX_LIMIT",
    "SHARED_LISTS",
    "Order",
    "Page",
    "Paging",
    "SharedList",
    "merge_in_order",
    "next_query",
    "paging",
    "take_page",
    "unpaged",
]

# Nova's flavor sort keys whose field both the brief and the detailed list show.
_NOVA_SORT_FIELDS = {"flavorid": "id", "name": "name"}
# Nova's [api]max_limit and Cinder's osapi_max_limit default: the largest page either answers.
MAX_LIMIT = 1000
_PAGING_PARAMS = frozenset({"limit", "marker"})


@dataclass(frozen=True, slots=True)
class Order:
    """How the pods sort a list: a key function over its items, and the direction."""

    key: Callable[[Mapping[str, Any]], Any]
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SharedList:
    """How the pods list one shared collection."""

    # The answer's list key ("flavors").
    key: str
    # The field a marker names ("id", or "name" for key pairs); items may come wrapped in `wrapper`.
    marker_field: str
    # The field that makes two pods' copies one object (volume types: the name, ids differ).
    identity_field: str
    # Whether the API answers `<key>_links` (Cinder's volume types have none).
    links: bool
    # The first microversion that pages the list at all (Nova's key pairs: 2.35).
    paged_since: Version | None = None
    # The query parameter that changes the sort (None: the order is fixed).
    sort_param: str | None = None
    wrapper: str | None = None

    def identity(self, item: Mapping[str, Any]) -> Hashable:
        """What makes two pods' copies one object: flavor id, key pair or volume type name."""
        inner = self._inner(item)
        return inner.get(self.identity_field) if inner is not None else None

    def marker_of(self, item: Mapping[str, Any]) -> str | None:
        """The value a marker after `item` carries."""
        inner = self._inner(item)
        value = inner.get(self.marker_field) if inner is not None else None
        return str(value) if isinstance(value, str | int) else None

    def order(self, request: "Paging") -> "Order | None":
        """The sort key and direction the pods use, where the items show it (None: unknown)."""
        params = dict(request.rest)
        if self.sort_param == "sort":
            # Cinder: `sort=key[:dir],...`, descending unless told; its default key
            # (`created_at`) and the ids (each pod's own) are not comparable across pods.
            field, _, direction = params.get("sort", "").split(",")[0].partition(":")
            if field != "name":
                return None
            return Order(self._sort_key("name"), descending=direction != "asc")
        if self.sort_param is None:
            return Order(self._sort_key(self.identity_field))
        # Nova: `sort_key` (default flavorid) and `sort_dir`; only keys every list shows.
        field = _NOVA_SORT_FIELDS.get(params.get(self.sort_param, "flavorid"))
        if field is None:
            return None
        return Order(self._sort_key(field), descending=params.get("sort_dir") == "desc")

    def _sort_key(self, field: str) -> Callable[[Mapping[str, Any]], tuple[bool, str]]:
        def key(item: Mapping[str, Any]) -> tuple[bool, str]:
            value = (self._inner(item) or {}).get(field)
            return (value is None, str(value))

        return key

    def pages(self, service: Service, headers: Mapping[str, str]) -> bool:
        """Whether the pods page this list at the request's microversion."""
        if self.paged_since is None:
            return True
        version = parse_version(requested(service, headers) or "")
        return version is not None and version >= self.paged_since

    def _inner(self, item: Mapping[str, Any]) -> Mapping[str, Any] | None:
        inner = item.get(self.wrapper, item) if self.wrapper else item
        return inner if isinstance(inner, Mapping) else None


# (service, collection segment) -> how it lists; flavors and key pairs by Nova's views
# (marker: flavorid, key pair name), Cinder's types and QoS specs by its own (marker: the id).
SHARED_LISTS: Mapping[tuple[Service, str], SharedList] = {
    (Service.COMPUTE, "flavors"): SharedList(
        "flavors", "id", "id", links=True, sort_param="sort_key"
    ),
    (Service.COMPUTE, "os-keypairs"): SharedList(
        "keypairs", "name", "name", links=True, paged_since=(2, 35), wrapper="keypair"
    ),
    (Service.VOLUME, "types"): SharedList(
        "volume_types", "id", "name", links=False, sort_param="sort"
    ),
    (Service.VOLUME, "group_types"): SharedList(
        "group_types", "id", "name", links=False, sort_param="sort"
    ),
    (Service.VOLUME, "qos-specs"): SharedList(
        "qos_specs", "id", "name", links=False, sort_param="sort"
    ),
    # Neutron lists every extension at once, by alias; a pod's own copy of the API's list.
    (Service.NETWORK, "extensions"): SharedList("extensions", "alias", "alias", links=False),
}


@dataclass(frozen=True, slots=True)
class Paging:
    """The client's paging parameters, and the query the pods get instead (without them)."""

    limit: int | None
    marker: str | None
    # Every other parameter, as the client sent it.
    rest: tuple[tuple[str, str], ...]

    @property
    def pod_query(self) -> str:
        return urlencode(self.rest)

    @property
    def size(self) -> int:
        """The page size: `limit` capped at MAX_LIMIT (0 is an empty page, as in the pods)."""
        return MAX_LIMIT if self.limit is None else min(self.limit, MAX_LIMIT)


@dataclass(frozen=True, slots=True)
class Page:
    """The items of one page, and the marker of the next page's link (None: no link)."""

    items: tuple[Mapping[str, Any], ...]
    next_marker: str | None

    def document(self, shared: SharedList, next_href: Callable[[str], str]) -> dict[str, Any]:
        """The answer body, `<key>_links` as the API gives it."""
        body: dict[str, Any] = {shared.key: list(self.items)}
        if shared.links and self.next_marker is not None:
            body[f"{shared.key}_links"] = [{"rel": "next", "href": next_href(self.next_marker)}]
        return body


def paging(query: str) -> Paging | None:
    """The client's paging; None when `limit` or `marker` is such that the pods must refuse it."""
    params = parse_qsl(query, keep_blank_values=True)
    limits = [value for key, value in params if key == "limit"]
    markers = [value for key, value in params if key == "marker"]
    limit: int | None = None
    if limits:
        if not limits[-1].isdigit():
            return None
        limit = int(limits[-1])
    if markers and not markers[-1]:
        return None
    rest = tuple((key, value) for key, value in params if key not in _PAGING_PARAMS)
    return Paging(limit, markers[-1] if markers else None, rest)


def unpaged(query: str) -> Paging:
    """The query of a list the pods do not page (they ignore `limit` and `marker`)."""
    params = parse_qsl(query, keep_blank_values=True)
    return Paging(None, None, tuple((k, v) for k, v in params if k not in _PAGING_PARAMS))


def next_query(query: str, marker: str) -> str:
    """The client's query with `marker` replaced, parameters sorted by name as Nova does."""
    params = dict(sorted(parse_qsl(query, keep_blank_values=True)))
    params["marker"] = marker
    return urlencode(params)


def merge_in_order(
    lists: Sequence[Sequence[Mapping[str, Any]]],
    identity: Callable[[Mapping[str, Any]], Hashable],
    order: Order | None = None,
) -> list[Mapping[str, Any]]:
    """Every object once (the first list's copy), keeping each list's order where they agree.

    Where the lists disagree (no order keeps them all), the first list's head goes next.
    """
    first: dict[Hashable, Mapping[str, Any]] = {}
    for items in lists:
        for item in items:
            first.setdefault(identity(item), item)
    queues = [[identity(item) for item in items] for items in lists]
    ahead = [set(queue) for queue in queues]
    positions = [0] * len(queues)
    merged: list[Mapping[str, Any]] = []
    while len(merged) < len(first):
        heads = [_head(queue, positions, n, ahead[n]) for n, queue in enumerate(queues)]
        present = [head for head in heads if head is not None]
        free = [
            head
            for head in present
            if all(head not in ahead[m] or heads[m] == head for m in range(len(queues)))
        ]
        chosen = _pick(free, first, order) if free else present[0]
        merged.append(first[chosen])
        for rest in ahead:
            rest.discard(chosen)
    return merged


def take_page(
    items: Sequence[Mapping[str, Any]],
    request: Paging,
    shared: SharedList,
    aliases: Mapping[str, Hashable],
) -> Page | None:
    """The client's page of the merged list; None when its marker names no object.

    `aliases` maps every marker value any pod uses (each Cinder's own type id) to the object's
    identity, so a marker taken from any pod's copy finds its place.
    """
    start = 0
    if request.marker is not None:
        wanted = aliases.get(request.marker)
        found = next((n for n, item in enumerate(items) if shared.identity(item) == wanted), None)
        if wanted is None or found is None:
            return None
        start = found + 1
    chosen = tuple(items[start : start + request.size])
    full = bool(chosen) and len(chosen) == request.size
    return Page(chosen, shared.marker_of(chosen[-1]) if full else None)


def _head(queue: list[Hashable], positions: list[int], n: int, ahead: set[Hashable]) -> Any:
    """Queue `n`'s first identity not yet merged (None when it has none left)."""
    while positions[n] < len(queue) and queue[positions[n]] not in ahead:
        positions[n] += 1
    return queue[positions[n]] if positions[n] < len(queue) else None


def _pick(
    free: list[Hashable], first: Mapping[Hashable, Mapping[str, Any]], order: Order | None
) -> Hashable:
    """The next of several heads that may go next: by the pods' sort key, else the first pod's."""
    if order is None or len(free) == 1:
        return free[0]
    pick = max if order.descending else min
    return pick(free, key=lambda identity: order.key(first[identity]))
