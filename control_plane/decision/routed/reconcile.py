"""Which stored routings a pod's own list shows to be stale, and how to read that list (pure).

The reconciler (control_plane.runtime.reconcile) lists each pod's resources of one type with
admin rights, ids only, page by page, and compares them with the routings stored for that pod
and type. A listing is only a hint: a create may be recorded while the list is being read, a
page may shift, a pod may hide soft-deleted servers. So a routing is a suspect when the list
lacks it and it was stored before the pass began; a suspect of the previous pass that is still
missing is confirmed one by one with a GET of its own path (routed/gone.py) before it is
forgotten.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from control_plane.decision.resources import PROJECT_FROM_TOKEN, ResourceSpec
from control_plane.model import Routing

__all__ = ["Page", "Verdict", "judge", "list_path", "read_page"]

# The largest page Nova and Cinder answer by default ([api]max_limit, osapi_max_limit).
PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Verdict:
    """One pod's routings of one type, judged against its listing."""

    # Missing in this listing and the previous one: to confirm gone, one by one.
    confirm: tuple[Routing, ...]
    # Missing in this listing: the next pass's suspects.
    suspects: frozenset[str]


@dataclass(frozen=True, slots=True)
class Page:
    """The ids of one page and the marker of the next (None: this was the last)."""

    ids: tuple[str, ...]
    next_marker: str | None


def judge(
    stored: Iterable[Routing],
    listed: frozenset[str],
    *,
    started: datetime,
    suspects: frozenset[str],
) -> Verdict:
    """The routings `listed` lacks that were stored before the pass `started`; those that were
    suspects already are to be confirmed."""
    missing = [
        routing
        for routing in stored
        if routing.resource_id not in listed
        and routing.created_at is not None
        and routing.created_at < started
    ]
    return Verdict(
        confirm=tuple(routing for routing in missing if routing.resource_id in suspects),
        suspects=frozenset(routing.resource_id for routing in missing),
    )


def list_path(spec: ResourceSpec, marker: str | None) -> tuple[str, str]:
    """(path below the project, query) of one admin page of every project's resources.

    Nova and Cinder list other projects' resources to an admin who asks (`all_tenants`);
    Neutron lists everything to an admin anyway, and gives only the fields asked for.
    """
    if spec.service in PROJECT_FROM_TOKEN:
        params: list[tuple[str, str]] = [("fields", "id")]
    else:
        params = [("all_tenants", "1")]
    params.append(("limit", str(PAGE_SIZE)))
    if marker is not None:
        params.append(("marker", marker))
    return spec.item_path("").rstrip("/"), urlencode(params)


def read_page(spec: ResourceSpec, body: bytes) -> Page | None:
    """The ids and next marker of a list answer; None when it is not the API's list shape.

    The next page is the list's links entry (`<items>_links`) with rel `next`; only its `marker` is
    taken (the gateway builds its own URL: a pod's href may name a host it cannot reach).
    """
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    items = document.get(spec.items_key) if isinstance(document, dict) else None
    if not isinstance(items, list):
        return None
    ids = tuple(item.get("id") if isinstance(item, dict) else None for item in items)
    if not all(isinstance(resource_id, str) and resource_id for resource_id in ids):
        return None
    found = tuple(str(resource_id) for resource_id in ids)
    links = document.get(spec.next_key)
    nexts = [
        link.get("href")
        for link in (links if isinstance(links, list) else ())
        if isinstance(link, dict) and link.get("rel") == "next"
    ]
    if not nexts:
        return Page(found, None)
    marker = _marker(nexts[0])
    return None if marker is None else Page(found, marker)


def _marker(href: object) -> str | None:
    if not isinstance(href, str):
        return None
    markers = [v for k, v in parse_qsl(urlsplit(href).query) if k == "marker"]
    return markers[-1] if markers and markers[-1] else None
