"""The merged list as the user sees it: one cloud's AZ names, links and paths, brief or detail.

Pods answer with their own AZ names and their own URLs; the gateway's answer must name the
user-facing AZ and point every link back at the gateway, so that following a link (or the
`*_links` next page) comes back through it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson

from control_plane.decision.resources import API_PREFIX, SPECS
from control_plane.model import Pod, ResourceType

__all__ = ["ListView", "list_body", "localise", "origin"]


@dataclass(frozen=True, slots=True)
class ListView:
    """What the answer looks like: its resource, shape, and the gateway URL it came in on."""

    resource_type: ResourceType
    detail: bool
    origin: str
    project_id: str
    path: str
    # The collection the path names (Cinder's transfers have two).
    collection: str


def origin(headers: Mapping[str, str]) -> str:
    """`scheme://authority` the client used, as Envoy reports it (x-forwarded-proto first)."""
    scheme = headers.get("x-forwarded-proto") or headers.get(":scheme") or "http"
    authority = headers.get(":authority") or headers.get("host", "")
    return f"{scheme.split(',')[0].strip()}://{authority}"


def localise(resource_type: ResourceType, item: Mapping[str, Any], pod: Pod) -> dict[str, Any]:
    """A pod's item with the pod's AZ name replaced by the user-facing one."""
    localised = SPECS[resource_type].localised(item, pod)
    return dict(item) if localised is None else localised


def list_body(
    view: ListView,
    items: Sequence[Mapping[str, Any]],
    *,
    params: Sequence[tuple[str, str]],
    limit_param: str | None,
    more: bool,
) -> bytes:
    """The JSON answer: items with gateway links, and a next link when `more` items follow."""
    spec = SPECS[view.resource_type]
    shown = [_shown(view, item) for item in items]
    document: dict[str, Any] = {spec.items_key: shown}
    if more and shown:
        document[spec.next_key] = [
            {"rel": "next", "href": _next_href(view, params, limit_param, str(shown[-1]["id"]))}
        ]
    return orjson.dumps(document)


def _shown(view: ListView, item: Mapping[str, Any]) -> dict[str, Any]:
    spec = SPECS[view.resource_type]
    shown = dict(item)
    if spec.links:
        tail = f"{view.project_id}/{view.collection}/{item.get('id')}"
        shown["links"] = [
            {"rel": "self", "href": f"{view.origin}/{API_PREFIX[spec.service]}/{tail}"},
            {"rel": "bookmark", "href": f"{view.origin}/{tail}"},
        ]
    if not view.detail and spec.brief_fields:
        return {field: shown.get(field) for field in spec.brief_fields}
    return shown


def _next_href(
    view: ListView, params: Sequence[tuple[str, str]], limit_param: str | None, marker: str
) -> str:
    """The same path, filters and sort, the same limit if one was given, the last id as marker."""
    query = list(params)
    if limit_param is not None:
        query.append(("limit", limit_param))
    query.append(("marker", marker))
    return f"{view.origin}{view.path}?{urlencode(query)}"
