"""What differs between the APIs whose lists the gateway merges: one row per service.

Nova and Cinder list `<collection>/detail` below the project with their own sort completion and
a `next` link on every full page; Neutron lists `/v2.0/<collection>` with its own query
(neutron.py), `next`/`previous` links and markers the pods judge. The lister reads this table
and nothing else service-specific.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from control_plane.decision.lists.neutron import (
    neutron_body,
    parse_neutron_query,
    strict_marker,
    unknown_marker,
)
from control_plane.decision.lists.present import ListView, list_body
from control_plane.decision.lists.query import ListQuery, parse_query
from control_plane.decision.resources import API_PREFIX, ResourceSpec
from control_plane.errors import BadRequest, NotFound, PodgateError
from control_plane.model import Service

__all__ = ["DIALECTS", "Dialect"]

Items = Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one API's lists are asked of its pods and answered to the client."""

    # The client's query, validated (the gateway's largest page size given).
    parse: Callable[[ResourceSpec, str, int], ListQuery]
    # The pod path of the list, below the project (or the endpoint, without one), given the
    # collection the client's path names.
    remainder: Callable[[ResourceSpec, str], str]
    # The answer: the view, the page's items in merge order, the query, whether more follow
    # (Neutron's rule; Nova and Cinder link every full page).
    body: Callable[[ListView, Items, ListQuery, bool], bytes]
    # Whether a marker naming nothing the caller sees is refused (else: listed from the top).
    strict_marker: Callable[[ResourceSpec], bool]
    # The answer refusing such a marker.
    unknown_marker: Callable[[ResourceSpec, str], PodgateError]
    # Only the caller's own items (or any, for an all-projects list) may be markers; without
    # it the marker's pod judges whether the caller sees it (Neutron's shared networks).
    own_markers: bool


def _nova_cinder_body(view: ListView, items: Items, query: ListQuery, more: bool) -> bytes:
    """A next link on every full page (`limit` items, or the largest page when none was asked),
    whether or not more follow: Nova's and Cinder's `_get_collection_links` rule. A page a
    pod's own smaller page size cut short links on too, or the walk would stop there."""
    full = bool(query.limit) and len(items) == query.limit
    linked = full or more
    return list_body(view, items, params=query.params, limit_param=query.limit_param, more=linked)


def _unknown_marker(spec: ResourceSpec, marker: str) -> PodgateError:
    """Nova's MarkerNotFound is a 400; Cinder looks the marker up like any id (its 404)."""
    if spec.service is Service.VOLUME:
        return NotFound(spec.not_found(marker))
    return BadRequest(f"marker [{marker}] not found")


_NOVA_CINDER = Dialect(
    parse=lambda spec, query, max_limit: parse_query(spec.service, query, max_limit=max_limit),
    remainder=lambda spec, collection: (
        f"/{collection}/detail" if spec.brief_fields else f"/{collection}"
    ),
    body=_nova_cinder_body,
    strict_marker=lambda spec: True,
    unknown_marker=_unknown_marker,
    own_markers=True,
)
_NEUTRON = Dialect(
    parse=lambda spec, query, _max_limit: parse_neutron_query(spec, query),
    remainder=lambda spec, _collection: f"/{API_PREFIX[spec.service]}/{spec.collection}",
    body=lambda view, items, query, _more: neutron_body(view, items, query),
    strict_marker=strict_marker,
    unknown_marker=unknown_marker,
    own_markers=False,
)

DIALECTS: Mapping[Service, Dialect] = {
    Service.COMPUTE: _NOVA_CINDER,
    Service.VOLUME: _NOVA_CINDER,
    Service.NETWORK: _NEUTRON,
}
