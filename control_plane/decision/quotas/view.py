"""Quota documents across pods: what a reader sees, what each pod is given, what is refused.

A reader sees the project's limits as set through the gateway (the store's), else as the pods
show them (their defaults: the same in every pod, so the first pod's), and usage summed over
the pods; -1 stays -1. A write is judged against the usage of all pods together, then every pod
gets its own limits (allocate.py) in the body the client sent. Pure.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from control_plane.decision.quotas.allocate import UNLIMITED, pod_limits
from control_plane.decision.quotas.dialects import Dialect

__all__ = [
    "Requested",
    "below_usage",
    "limits_shown",
    "plan",
    "pod_body",
    "pod_limits_of",
    "requested",
    "usage_of",
]

_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
# Nova's and Cinder's largest limit (db.MAX_INT); larger ones are the pods' to refuse.
_MAX_INT = 0x7FFFFFFF


@dataclass(frozen=True, slots=True)
class Requested:
    """A write's new limits (whole numbers of at least -1) and the rest of its body."""

    limits: Mapping[str, int]
    document: Mapping[str, Any]
    force: bool = False


def limits_shown(
    dialect: Dialect, documents: Sequence[Mapping[str, Any]], stored: Mapping[str, int]
) -> dict[str, Any]:
    """One answer from the pods' answers (the first one's shape): stored limits, summed usage."""
    first = documents[0]
    if "limits" in first:
        return _limits(dialect, documents, stored)
    body = first.get(dialect.key)
    if not isinstance(body, dict):
        return dict(first)
    bodies = [document.get(dialect.key) or {} for document in documents]
    shown: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, dict):
            shown[name] = _entry(dialect, name, value, [b.get(name) for b in bodies], stored)
        elif _is_number(value):
            shown[name] = stored.get(name, value)
        else:
            shown[name] = value
    return {**first, dialect.key: shown}


def usage_of(dialect: Dialect, document: Mapping[str, Any]) -> dict[str, int]:
    """Each quota's usage in one pod's detail answer (in use plus reserved)."""
    body = document.get(dialect.key)
    if not isinstance(body, dict):
        return {}
    return {
        name: sum(int(entry.get(field) or 0) for field in dialect.used)
        for name, entry in body.items()
        if isinstance(entry, dict)
    }


def pod_limits_of(dialect: Dialect, document: Mapping[str, Any]) -> dict[str, int]:
    """Each quota's limit in one pod's detail answer."""
    body = document.get(dialect.key)
    if not isinstance(body, dict):
        return {}
    return {
        name: entry["limit"]
        for name, entry in body.items()
        if isinstance(entry, dict) and _is_number(entry.get("limit"))
    }


def requested(dialect: Dialect, body: bytes) -> Requested | None:
    """The limits a write asks for; None when the pods must judge the body as sent (malformed
    JSON, unknown shape, values that are not whole numbers from -1 to 2³¹ - 1)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    changes = document.get(dialect.key) if isinstance(document, dict) else None
    if not isinstance(changes, dict):
        return None
    limits: dict[str, int] = {}
    for name, value in changes.items():
        if name in dialect.extras:
            continue
        if value is None and dialect.forceable:
            continue  # Nova skips empty values
        number = _whole(value)
        if number is None or not UNLIMITED <= number <= _MAX_INT:
            return None
        limits[name] = number
    force = str(changes.get("force", "")).lower() in _TRUE if dialect.forceable else False
    return Requested(limits, document, force)


def below_usage(
    dialect: Dialect, wanted: Requested, usage: Mapping[str, Mapping[str, int]]
) -> str | None:
    """The API's refusal of a limit below the usage of all pods together (`usage` by pod), if
    any. Cinder never checks `per_volume_gigabytes`, a bound on one volume."""
    if not dialect.checks_usage or wanted.force:
        return None
    for name, limit in wanted.limits.items():
        if limit == UNLIMITED or (name in dialect.per_pod and not dialect.forceable):
            continue
        used = _together(dialect, name, [counts.get(name, 0) for counts in usage.values()])
        if limit < used:
            return dialect.below_usage(name, limit, used)
    return None


def plan(
    dialect: Dialect,
    limits: Mapping[str, int],
    usage: Mapping[str, Mapping[str, int]],
    open_pods: Sequence[str],
) -> dict[str, dict[str, int]]:
    """Each pod's limits (pod name -> quota -> limit) for the project's `limits`.

    :param usage: each counted pod's usage by quota.
    :param open_pods: the pods that take new resources, in tie-break order.
    """
    given: dict[str, dict[str, int]] = {pod: {} for pod in usage}
    for name, limit in limits.items():
        used = {pod: counts.get(name, 0) for pod, counts in usage.items()}
        per_pod = name in dialect.per_pod
        for pod, value in pod_limits(limit, used, open_pods, per_pod=per_pod).items():
            given[pod][name] = value
    return given


def pod_body(dialect: Dialect, wanted: Requested, limits: Mapping[str, int]) -> bytes:
    """The body one pod gets: the client's, its limits in place (Nova: forced, as the gateway
    judged the totals already)."""
    changes = dict(wanted.document.get(dialect.key) or {})
    changes.update(limits)
    if dialect.forceable:
        changes["force"] = True
    return json.dumps({**wanted.document, dialect.key: changes}).encode()


def _entry(
    dialect: Dialect,
    name: str,
    first: Mapping[str, Any],
    entries: Sequence[Any],
    stored: Mapping[str, int],
) -> dict[str, Any]:
    shown = dict(first)
    if "limit" in shown:
        shown["limit"] = stored.get(name, shown["limit"])
    for field in (*dialect.used, *dialect.summed):
        if field in shown:
            values = [int(entry.get(field) or 0) for entry in entries if isinstance(entry, dict)]
            shown[field] = _together(dialect, name, values)
    return shown


def _together(dialect: Dialect, name: str, values: Sequence[int]) -> int:
    """The pods' usage as one: summed, but a copy every pod holds counts once (the largest)."""
    if name in dialect.per_pod:
        return max(values, default=0)
    return sum(values)


def _limits(
    dialect: Dialect, documents: Sequence[Mapping[str, Any]], stored: Mapping[str, int]
) -> dict[str, Any]:
    """`limits`: `max*` as set (stored, else the first pod's), `total*Used` summed."""
    first = documents[0]["limits"]
    absolute = first.get("absolute") if isinstance(first, dict) else None
    if not isinstance(absolute, dict):
        return dict(documents[0])
    shown: dict[str, Any] = {}
    for name, value in absolute.items():
        quota = dialect.limit_names.get(name)
        if quota is not None:
            shown[name] = stored.get(quota, value)
        elif name.startswith("total") and _is_number(value):
            shown[name] = sum(_absolute(document).get(name, 0) for document in documents)
        else:
            shown[name] = value
    return {**documents[0], "limits": {**first, "absolute": shown}}


def _absolute(document: Mapping[str, Any]) -> Mapping[str, Any]:
    limits = document.get("limits")
    absolute = limits.get("absolute") if isinstance(limits, dict) else None
    return absolute if isinstance(absolute, dict) else {}


def _whole(value: object) -> int | None:
    """An integer, or a string of one (Nova's schema takes both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and value.count("-") <= 1:
        return int(value)
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
