"""Neutron's list query (neutron/api/api_common.py), parsed and applied to records (pure).

- `limit` (0 or absent: everything; else an integer ≥ 0), `marker` (used only with a limit),
  `page_reverse` ("true" in any case: the page before the marker, still in forward order;
  without a limit, the whole list in reverse order);
- `sort_key`/`sort_dir`, repeatable, as many keys as directions; `id` ascending is appended
  when missing (PaginationNativeHelper), so the order is total;
- `fields`, repeatable: only those attributes are shown;
- every other parameter filters by that attribute, its values OR-ed (filter-validation on:
  an unknown attribute is a 400).
Links: `next` unless a forward page came back short, `previous` unless a reverse page did.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from podsim.network.faults import NeutronFault, bad_request, http_bad_request, invalid_input
from podsim.network.model import Record
from podsim.paging import ASC, DESC, SortOrder, page

_PAGING = ("fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse")
_TRUE = ("true", "1", "t", "yes", "y", "on")
_FALSE = ("false", "0", "f", "no", "n", "off")
# Attributes whose filter values Neutron converts to booleans before querying.
_BOOLEANS = frozenset(
    {"admin_state_up", "shared", "router:external", "port_security_enabled", "enable_dhcp",
     "stateful", "l2_adjacency", "belongs_to_default_sg"}
)  # fmt: skip

Params = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class NeutronQuery:
    """A list request, validated."""

    limit: int | None
    marker: str | None
    page_reverse: bool
    order: SortOrder
    fields: tuple[str, ...]
    filters: dict[str, tuple[str, ...]]


def parse_query(
    params: Params, *, attributes: frozenset[str], sort_keys: frozenset[str], extra: frozenset[str]
) -> NeutronQuery:
    """Validate a list query against a collection's attributes (`extra`: more filter names)."""
    limit = _limit(_first(params, "limit"))
    marker = _first(params, "marker") if limit else None
    reverse = (_first(params, "page_reverse") or "False").lower() == "true"
    keys = [v for k, v in params if k == "sort_key" and v]
    dirs = [v for k, v in params if k == "sort_dir" and v]
    if len(keys) != len(dirs):
        raise http_bad_request("The number of sort_keys and sort_dirs must be same")
    absent = [key for key in keys if key not in sort_keys]
    if absent:
        raise http_bad_request(f"{absent} is invalid attribute for sort_keys")
    invalid = [d for d in dirs if d not in (ASC, DESC)]
    if invalid:
        raise http_bad_request(
            f"{invalid} is invalid value for sort_dirs, valid value is 'asc' and 'desc'"
        )
    if "id" not in keys:
        keys.append("id")
        dirs.append(ASC)
    filters: dict[str, list[str]] = {}
    for key, value in params:
        if key not in _PAGING:
            filters.setdefault(key, []).append(value)
    unknown = [key for key in filters if key not in attributes and key not in extra]
    if unknown:
        raise http_bad_request(f"{unknown} is invalid attribute for filtering")
    for key in _BOOLEANS.intersection(filters):
        for value in filters[key]:
            to_bool(value)
    return NeutronQuery(
        limit=limit,
        marker=marker,
        page_reverse=reverse,
        order=SortOrder(tuple(keys), tuple(dirs)),
        fields=tuple(v for k, v in params if k == "fields" and v),
        filters={key: tuple(values) for key, values in filters.items()},
    )


def matches(record: Record, filters: dict[str, tuple[str, ...]], special: Any = None) -> bool:
    """The record passes every filter (`special`: name -> predicate over the values)."""
    for key, values in filters.items():
        custom = special.get(key) if special else None
        if custom is not None:
            if not custom(record, values):
                return False
        elif not any(_equal(record.get(key), value) for value in values):
            return False
    return True


def select(
    records: Sequence[Record],
    query: NeutronQuery,
    *,
    marker_of: Callable[[str], Record | None],
    not_found: Callable[[str], NeutronFault],
    strict_marker: bool,
) -> list[Record]:
    """The page of (already filtered) records the query asks for, in its order."""
    marker = None
    if query.marker is not None:
        marker = marker_of(query.marker)
        if marker is None and strict_marker:
            raise not_found(query.marker)
    order = query.order
    if query.page_reverse:
        flipped = tuple(DESC if d == ASC else ASC for d in order.dirs)
        order = SortOrder(order.keys, flipped)
    if query.limit is None:
        # NOTE: as neutron_lib's get_collection, only a limited page is turned back to the
        # forward order: `page_reverse` alone lists everything backwards.
        return list(page(records, order, limit=len(records)).items)
    items = list(page(records, order, limit=query.limit, marker=marker).items)
    return items[::-1] if query.page_reverse else items


def links(url: str, params: Params, items: Sequence[Record], query: NeutronQuery) -> list[dict]:
    """`<collection>_links` as get_pagination_links builds them ([] without a limit)."""
    if not query.limit:
        return []
    short = len(items) < query.limit
    result = []
    base = [(k, v) for k, v in params if k != "marker"]
    if not (short and not query.page_reverse):
        forward = [(k, v) for k, v in base if k != "page_reverse"]
        if items:
            forward.append(("marker", items[-1]["id"]))
        result.append({"rel": "next", "href": f"{url}?{urlencode(forward)}"})
    if not (short and query.page_reverse):
        backward = [(k, v) for k, v in base if k != "page_reverse"]
        if items:
            backward.append(("marker", items[0]["id"]))
        backward.append(("page_reverse", "True"))
        result.append({"rel": "previous", "href": f"{url}?{urlencode(backward)}"})
    return result


def only(view: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The view cut to the asked fields (all of it when none are asked)."""
    if not fields:
        return view
    return {key: value for key, value in view.items() if key in fields}


def to_bool(value: object) -> bool:
    """neutron_lib convert_to_boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid_input(f"'{value}' cannot be converted to boolean")


def _equal(stored: object, wanted: str) -> bool:
    if isinstance(stored, bool):
        return stored is to_bool(wanted)
    if isinstance(stored, int):
        return str(stored) == wanted.strip()
    if isinstance(stored, list):
        return any(_equal(item, wanted) for item in stored)
    if stored is None:
        return False
    return str(stored) == wanted


def _first(params: Params, name: str) -> str | None:
    return next((value for key, value in params if key == name), None)


def _limit(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        raise bad_request("limit", f"Limit must be an integer 0 or greater and not '{raw}'")
    return limit or None
