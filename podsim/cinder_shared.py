"""Cinder's lists of its shared objects (group types, QoS specs): sorted as `sort=key[:dir]`
asks (descending unless told, then by id), paged by `limit` and a `marker` id, `is_public`
filtered as Cinder's `_parse_is_public` reads it (absent: public only; `None`: all)."""

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest
from podsim.kind import MAX_LIMIT
from podsim.paging import DESC, SortError, page, resolve_sort
from podsim.store import Record

__all__ = ["cinder_page", "public_filter", "specs_of"]


def cinder_page(request: web.Request, records: Sequence[Record]) -> list[Record]:
    """The page of `records` the query asks for."""
    keys, dirs = [], []
    for part in filter(None, request.query.get("sort", "").split(",")):
        key, _, direction = part.partition(":")
        keys.append(key)
        if direction:
            dirs.append(direction)
    try:
        order = resolve_sort(keys, dirs, default_keys=("created_at", "id"), default_dir=DESC)
    except SortError as exc:
        raise BadRequest(str(exc)) from None
    limit_text = request.query.get("limit", str(MAX_LIMIT))
    if not limit_text.isdigit():
        raise BadRequest(f"limit param must be an integer: {limit_text}")
    marker_id = request.query.get("marker")
    marker = None
    if marker_id is not None:
        marker = next((r for r in records if r["id"] == marker_id), None)
        if marker is None:
            raise BadRequest(f"Marker {marker_id} could not be found.")
    limit = min(int(limit_text), MAX_LIMIT)
    return list(page(records, order, limit=limit, marker=marker).items)


def public_filter(request: web.Request) -> bool | None:
    """Which visibility an admin's list shows: True, False, or None for all."""
    value = request.query.get("is_public")
    if value is None:
        return True
    if value.lower() == "none":
        return None
    return value.lower() in ("1", "t", "true", "on", "y", "yes")


def specs_of(body: Any, key: str) -> dict[str, str]:
    """A body's `{key: {...}}` specs, each value a string (400 otherwise)."""
    specs = body.get(key) if isinstance(body, dict) else None
    if not isinstance(specs, dict) or not all(isinstance(v, str) for v in specs.values()):
        raise BadRequest(f"Missing required element '{key}' in request body.")
    return specs
