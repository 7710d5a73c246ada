"""Neutron's list query and answer, for a list merged from many Neutrons.

As neutron/api/api_common.py and the pecan hooks (query_parameters, userfilters) read and shape
a list: `limit` (absent or 0: every item, and the marker is ignored), `marker`, `page_reverse`
(the page before the marker, still shown in the forward order; without a limit the whole list
backwards), `sort_key`/`sort_dir` in pairs with `id` ascending appended, `fields` (only those
attributes are shown), every other parameter a filter the pods judge. webob reads the last of a
repeated parameter.

The pods are all asked in one explicit total order (the client's keys, then `id`; every
direction flipped for `page_reverse`), so their pages merge as one Neutron's would, and for the
sort keys, `id` and the owner even when the client asked for fewer fields.
"""

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from control_plane.decision.lists.present import ListView
from control_plane.decision.lists.query import TIME_KEYS, ListQuery, Params, SortOrder
from control_plane.decision.resources import SPECS, ResourceSpec
from control_plane.errors import BadRequest, NotFound, PodgateError
from control_plane.model import ResourceType

__all__ = [
    "neutron_body",
    "parse_neutron_query",
    "strict_marker",
    "unknown_marker",
]

_ID = "id"
_ASC, _DESC = "asc", "desc"
# neutron/pecan_wsgi/hooks/query_parameters.py: these are no filters.
_NOT_FILTERS = frozenset({"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"})
# get_marker_obj (plugin._get_<resource>) makes an unknown marker the resource's 404 for these;
# the OVO Pager of the others (subnets, floating IPs) ignores it.
_STRICT_MARKERS = frozenset({ResourceType.NETWORK, ResourceType.PORT, ResourceType.ROUTER})


def parse_neutron_query(spec: ResourceSpec, query: str) -> ListQuery:
    """Validate a list's query as Neutron does (limit first, then the sorts); 400s otherwise."""
    sent = tuple(parse_qsl(query, keep_blank_values=True))
    raw_limit = _last(sent, "limit")
    limit = _limit(raw_limit)
    keys, ascending = _sorts(sent)
    page_reverse = (_last(sent, "page_reverse") or "False").lower() == "true"
    if _ID not in keys:
        keys.append(_ID)
        ascending.append(True)
    order = SortOrder(
        fields=tuple(keys),
        descending=tuple(up == page_reverse for up in ascending),
        times=tuple(key in TIME_KEYS for key in keys),
    )
    shown = [value for key, value in sent if key == "fields"]
    return ListQuery(
        params=tuple((key, value) for key, value in sent if key not in ("limit", "marker")),
        limit=limit,
        limit_param=raw_limit,
        # An empty marker is none (get_marker_obj and the Pager test it for truth).
        marker=(_last(sent, "marker") or None) if limit else None,
        order=order,
        availability_zone=None,
        pod_params=_pod_params(spec, sent, order, shown),
        reverse=page_reverse and limit is not None,
        fields=tuple(shown) if shown else None,
        sent=sent,
    )


def strict_marker(spec: ResourceSpec) -> bool:
    """Whether a marker no pod shows the caller is refused (else the list starts at the top)."""
    return spec.resource_type in _STRICT_MARKERS


def unknown_marker(spec: ResourceSpec, marker: str) -> PodgateError:
    """The resource's 404 (NetworkNotFound...) refusing a marker."""
    return NotFound(spec.not_found(marker), neutron_type=spec.fault_type)


def neutron_body(view: ListView, items: Sequence[Mapping[str, Any]], query: ListQuery) -> bytes:
    """`{<collection>: [...], <collection>_links: [...]}` as api_common.get_pagination_links."""
    spec_key = SPECS[view.resource_type].collection
    shown = list(reversed(items)) if query.reverse else list(items)
    document: dict[str, Any] = {spec_key: [_only(item, query.fields) for item in shown]}
    links = _links(view, query, shown)
    if links:
        document[f"{spec_key}_links"] = links
    return orjson.dumps(document)


def _pod_params(spec: ResourceSpec, sent: Params, order: SortOrder, shown: Sequence[str]) -> Params:
    """The filters as sent, the whole order spelt out, and the fields the merge needs too."""
    params = [(key, value) for key, value in sent if key not in _NOT_FILTERS]
    for field, descending in zip(order.fields, order.descending, strict=True):
        params += [("sort_key", field), ("sort_dir", _DESC if descending else _ASC)]
    asked = [value for value in shown if value]
    if asked:
        needed = [*asked, *order.fields, spec.owner_field]
        params += [("fields", field) for field in dict.fromkeys(needed)]
    return tuple(params)


def _sorts(sent: Params) -> tuple[list[str], list[bool]]:
    """api_common.get_sorts: as many keys as directions, each "asc" or "desc" (empty ignored).

    Whether a key may be sorted by is the pods' to say (extensions add sort keys).
    """
    keys = [value for key, value in sent if key == "sort_key" and value]
    dirs = [value for key, value in sent if key == "sort_dir" and value]
    if len(keys) != len(dirs):
        raise _http_bad_request("The number of sort_keys and sort_dirs must be same")
    invalid = [direction for direction in dirs if direction not in (_ASC, _DESC)]
    if invalid:
        raise _http_bad_request(
            f"{invalid} is invalid value for sort_dirs, valid value is '{_ASC}' and '{_DESC}'"
        )
    return keys, [direction == _ASC for direction in dirs]


def _limit(raw: str | None) -> int | None:
    """api_common._get_limit_param (no pagination_max_limit): None for absent or 0."""
    if raw is None:
        return None
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        message = f"Bad limit request: Limit must be an integer 0 or greater and not '{raw}'."
        raise BadRequest(message, neutron_type="BadRequest")
    return limit or None


def _links(view: ListView, query: ListQuery, shown: Sequence[Mapping[str, Any]]) -> list[dict]:
    """get_pagination_links: `next` unless a forward page is short, `previous` unless a
    reverse one is; both keep the client's query, the marker moved to the end."""
    if query.limit is None:
        return []
    short = len(shown) < query.limit
    links = []
    if not (short and not query.reverse):
        params = _pop_first(list(query.sent), "marker")
        if shown:
            params = _set(params, "marker", str(shown[-1][_ID]))
        links.append({"rel": "next", "href": _href(view, _pop_first(params, "page_reverse"))})
    if not (short and query.reverse):
        params = _pop_first(list(query.sent), "marker")
        if shown:
            params = _set(params, "marker", str(shown[0][_ID]))
        links.append({"rel": "previous", "href": _href(view, _set(params, "page_reverse", "True"))})
    return links


def _href(view: ListView, params: Params | list[tuple[str, str]]) -> str:
    return f"{view.origin}{view.path}?{urlencode(list(params))}"


def _pop_first(params: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """webob MultiDict.pop: the first such parameter goes."""
    for index, (key, _) in enumerate(params):
        if key == name:
            return [*params[:index], *params[index + 1 :]]
    return params


def _set(params: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """webob MultiDict.__setitem__: every such parameter goes, the new one is appended."""
    return [*((key, old) for key, old in params if key != name), (name, value)]


def _only(item: Mapping[str, Any], fields: tuple[str, ...] | None) -> Mapping[str, Any]:
    """UserFilterHook: only the asked fields (every `fields` value, even an empty one)."""
    if fields is None:
        return item
    return {key: value for key, value in item.items() if key in fields}


def _http_bad_request(message: str) -> BadRequest:
    """webob's HTTPBadRequest, which Neutron's API layer raises for malformed queries."""
    return BadRequest(message, neutron_type="HTTPBadRequest")


def _last(params: Params, name: str) -> str | None:
    """webob's MultiDict.get: the last of repeated parameters."""
    return next((value for key, value in reversed(params) if key == name), None)
