"""Sorted, marker-based paging over records (dicts), as Nova's and Cinder's databases do it.

`resolve_sort` normalises sort parameters like both projects' `db.process_sort_params`: keys
the client did not name are appended from the defaults (always ending in an id) in the FIRST
direction given, so the order is total. `page` sorts, skips past the marker record and cuts.
Missing values (None) sort first in ascending order, as SQL NULLs in MySQL.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

__all__ = ["ASC", "DESC", "Page", "SortError", "SortOrder", "page", "resolve_sort"]

ASC = "asc"
DESC = "desc"

Record = Mapping[str, Any]


class SortError(ValueError):
    """Sort parameters Nova and Cinder reject (their message is the exception's text)."""


@dataclass(frozen=True, slots=True)
class SortOrder:
    """Record keys to compare, most significant first, each with "asc" or "desc"."""

    keys: tuple[str, ...]
    dirs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of records; `full` when it holds `limit` of them, so a next page may exist."""

    items: tuple[Record, ...]
    full: bool


def resolve_sort(
    keys: Sequence[str],
    dirs: Sequence[str],
    *,
    default_keys: Sequence[str],
    default_dir: str = DESC,
) -> SortOrder:
    """Complete the client's sort keys and directions into a total order."""
    for direction in dirs:
        if direction not in (ASC, DESC):
            raise SortError("Unknown sort direction, must be 'desc' or 'asc'")
    if len(dirs) > len(keys):
        raise SortError("Sort direction size exceeds sort key size")
    fill = dirs[0] if dirs else default_dir
    result_keys = list(keys)
    result_dirs = [*dirs, *([fill] * (len(keys) - len(dirs)))]
    for key in default_keys:
        if key not in result_keys:
            result_keys.append(key)
            result_dirs.append(fill)
    return SortOrder(tuple(result_keys), tuple(result_dirs))


def page(
    records: Iterable[Record], order: SortOrder, *, limit: int, marker: Record | None = None
) -> Page:
    """The first `limit` records in `order` that sort strictly after `marker` (if given)."""
    ordered = sorted(records, key=cmp_to_key(lambda a, b: _compare(a, b, order)))
    if marker is not None:
        ordered = [record for record in ordered if _compare(record, marker, order) > 0]
    items = tuple(ordered[:limit])
    return Page(items, full=limit > 0 and len(items) == limit)


def _compare(left: Record, right: Record, order: SortOrder) -> int:
    for key, direction in zip(order.keys, order.dirs, strict=True):
        result = _compare_values(left.get(key), right.get(key))
        if result:
            return result if direction == ASC else -result
    return 0


def _compare_values(left: object, right: object) -> int:
    if left == right:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    try:
        return -1 if left < right else 1  # type: ignore[operator]
    except TypeError:
        return -1 if (str(left), type(left).__name__) < (str(right), type(right).__name__) else 1
