"""What Cinder's smaller collections share in podsim: the request's volume microversion, links
and one paged, sorted, filtered list answer (as cinder/api/common.py's ViewBuilder gives it)."""

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from podsim.faults import Fault
from podsim.kind import Record
from podsim.links import Links
from podsim.paging import page
from podsim.versions import parse
from podsim.volumes import cinder_list_query, cinder_matches

__all__ = ["cinder_links", "listed", "volume_version"]

_NAME = {"name": "display_name"}


def volume_version(request: web.Request) -> tuple[int, int]:
    """The volume microversion negotiated for this request (3.0 when none)."""
    header = request.get("version_headers", {}).get("OpenStack-API-Version", "volume 3.0")
    return parse(header.partition(" ")[2]) or (3, 0)


def cinder_links(request: web.Request, project_id: str, collection: str) -> Links:
    """Links below `/volume/v3/{project}/{collection}` as the request reached the pod."""
    origin = f"{request.scheme}://{request.host}"
    return Links(
        endpoint=f"{origin}/volume/v3",
        bookmark=f"{origin}/volume",
        project_id=project_id,
        collection=collection,
    )


def listed(
    request: web.Request,
    records: list[Record],
    *,
    path: str,
    items_key: str,
    view: Callable[[Record], dict[str, Any]],
    sort_keys: frozenset[str],
    filters: Mapping[str, str],
    not_found: Callable[[str], Fault],
    links_key: str = "",
    links: Links,
) -> web.Response:
    """One page of `records` (the caller's own) sorted, filtered and paged as Cinder does; an
    unknown marker is the resource's 404; a full page links on."""
    params = list(request.query.items())
    query = cinder_list_query(params, sort_keys=sort_keys, aliases=_NAME, filters=filters)
    marker = None
    if query.marker is not None:
        marker = next((r for r in records if r["id"] == query.marker), None)
        if marker is None:
            raise not_found(query.marker)
    kept = [record for record in records if cinder_matches(record, query.filters)]
    result = page(kept, query.order, limit=query.limit, marker=marker)
    body: dict[str, Any] = {items_key: [view(record) for record in result.items]}
    if result.full:
        last = result.items[-1]["id"]
        body[links_key or f"{items_key}_links"] = links.next_page(path, params, last)
    return web.json_response(body)
