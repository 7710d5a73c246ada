"""`os-simple-tenant-usage` paged across pods from 2.40, as Nova pages it across its cells.

Nova pages usage by servers (`limit` servers, `marker` a server's UUID) and walks its cells in
order: cells without the marker are passed over, the cell with it continues after it, and the
cells after that start from their beginning with what is left of `limit`
(nova/api/openstack/compute/simple_tenant_usage.py `_get_instances_all_cells`). The gateway
walks the pods the same way, oldest first, asking each for its servers (`detailed=1`, so they
can be counted) and summing the pages per project; a `next` link names the last server when
the page is full. Pure: the relay asks the pods.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from control_plane.decision.shared.paging import Paging, next_query, paging
from control_plane.decision.versions.microversions import parse_version, requested
from control_plane.decision.views.admin import usage
from control_plane.model import Service

__all__ = ["UsagePages", "usage_pages"]

_PAGED_SINCE = (2, 40)
_DETAILED = "detailed"


@dataclass(frozen=True, slots=True)
class UsagePages:
    """A paged usage request: the client's paging, and whether it lists every project."""

    request: Paging
    listing: bool

    def pod_query(self, remaining: int, marker: str | None) -> str:
        """What one pod is asked: its servers (counted), at most `remaining`, after `marker`."""
        params = [(k, v) for k, v in self.request.rest if k != _DETAILED]
        params += [(_DETAILED, "1"), ("limit", str(remaining))]
        if marker is not None:
            params.append(("marker", marker))
        return urlencode(params)

    def served(self, document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The servers one pod's page holds."""
        entries = document.get("tenant_usages") if self.listing else [document.get("tenant_usage")]
        return [
            server
            for entry in entries or []
            if isinstance(entry, dict)
            for server in entry.get("server_usages") or []
            if isinstance(server, dict)
        ]

    def answer(
        self, documents: Sequence[Mapping[str, Any]], *, href: str, query: str
    ) -> dict[str, Any]:
        """The client's page: the pods' pages summed per project, servers listed only when
        asked (`detailed=1`, or one project's usage), a next link when the page is full."""
        combined = usage(documents)
        servers = [server for document in documents for server in self.served(document)]
        detailed = dict(self.request.rest).get(_DETAILED) == "1"
        key = "tenant_usages" if self.listing else "tenant_usage"
        if self.listing and not detailed:
            combined[key] = [_brief(entry) for entry in combined[key]]
        if servers and len(servers) == self.request.size:
            marker = str(servers[-1].get("instance_id"))
            link = {"rel": "next", "href": f"{href}?{next_query(query, marker)}"}
            combined[f"{key}_links"] = [link]
        return combined


def usage_pages(
    segments: Sequence[str], query: str, headers: Mapping[str, str]
) -> UsagePages | None:
    """The paged usage request, or None where the pods' own answers are merged as they are
    (before 2.40, no `limit` or `marker`, or a bad one the pods refuse themselves)."""
    request = paging(query)
    if request is None or (request.limit is None and request.marker is None):
        return None
    version = parse_version(requested(Service.COMPUTE, headers) or "")
    if version is None or version < _PAGED_SINCE:
        return None
    return UsagePages(request, listing=len(segments) == 1)


def _brief(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "server_usages"}
