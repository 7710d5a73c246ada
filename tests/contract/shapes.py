"""The shape of a JSON answer (its keys and JSON types, values ignored) and the differences between
two shapes as readable paths, so podsim can be held to real Nova's and Cinder's answers (pure).

A shape is JSON itself, so a golden file can hold it:
- a scalar is its type, or a union of types joined by "|" ("null|string": the service answers
  null sometimes, a string other times: either is fine);
- an object is a dict of its keys' shapes;
- a map, an object whose keys are data (metadata, extra_specs, addresses), is `{"*": <values>}`;
- a list is `[<its items' shape merged>]`, `[]` when empty (its items unknown);
- "any" is anything (an empty map's values).
"""

from collections.abc import Iterable
from typing import Any

__all__ = ["ANY", "MAP_KEYS", "compare", "merge", "renew", "shape"]

ANY = "any"
MAP = "*"
# Keys whose objects are maps: their keys are the user's or the deployment's, not the API's.
MAP_KEYS = frozenset({"metadata", "extra_specs", "addresses", "volume_image_metadata"})
_SCALARS = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def shape(value: Any, *, maps: Iterable[str] = MAP_KEYS) -> Any:
    """The shape of a decoded JSON value; objects under a key in `maps` are maps."""
    return _shape(value, frozenset(maps), is_map=False)


def _shape(value: Any, maps: frozenset[str], *, is_map: bool) -> Any:
    if isinstance(value, dict):
        if is_map:
            values = [_shape(item, maps, is_map=False) for item in value.values()]
            return {MAP: _merge_all(values) if values else ANY}
        return {key: _shape(item, maps, is_map=key in maps) for key, item in value.items()}
    if isinstance(value, list):
        items = [_shape(item, maps, is_map=False) for item in value]
        return [_merge_all(items)] if items else []
    return _SCALARS[type(value)]


def merge(left: Any, right: Any) -> Any:
    """One shape both fit: union of keys and of scalar types (list items, a map's values)."""
    if left == ANY or right == ANY:
        return ANY
    if isinstance(left, dict) and isinstance(right, dict):
        keys = list(left) + [key for key in right if key not in left]
        return {
            key: merge(left[key], right[key]) if key in left and key in right else
            left.get(key, right.get(key))
            for key in keys
        }  # fmt: skip
    if isinstance(left, list) and isinstance(right, list):
        if not left or not right:
            return left or right
        return [merge(left[0], right[0])]
    return _union(_types(left) | _types(right))


def renew(old: Any, new: Any) -> Any:
    """`new` (a fresh recording), keeping the types `old` allowed at the same paths: a field the
    service answered null for once stays nullable when it answers a string this time."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {key: renew(old[key], item) if key in old else item for key, item in new.items()}
    if isinstance(old, list) and isinstance(new, list):
        if not old or not new:
            return new or old
        return [renew(old[0], new[0])]
    if isinstance(old, str) and isinstance(new, str) and ANY not in (old, new):
        return _union(_types(old) | _types(new))
    return new


def compare(expected: Any, actual: Any, *, path: str = "", side: str = "podsim") -> list[str]:
    """Where `actual` does not fit `expected`, one readable line per path (empty: it fits).

    `actual`'s scalar types must be among `expected`'s; keys missing or extra are named.
    """
    if expected == ANY or actual == ANY:
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        if (MAP in expected) != (MAP in actual):
            return [f"{_at(path)}: {_kind(actual)} in {side}, {_kind(expected)} expected"]
        differences: list[str] = []
        for key in expected:
            where = f"{path}.{key}" if path else key
            if key not in actual:
                differences.append(f"{where}: missing in {side}")
            else:
                differences += compare(expected[key], actual[key], path=where, side=side)
        for key in actual:
            if key not in expected:
                differences.append(f"{f'{path}.{key}' if path else key}: extra in {side}")
        return differences
    if isinstance(expected, list) and isinstance(actual, list):
        if not expected or not actual:
            return []
        return compare(expected[0], actual[0], path=f"{path}[]", side=side)
    if isinstance(expected, str) and _types(actual) <= _types(expected):
        return []  # "array|null" allows [...] as well as null
    if isinstance(expected, str) and isinstance(actual, str):
        return [f"{_at(path)}: {actual} in {side}, {expected} expected"]
    return [f"{_at(path)}: {_kind(actual)} in {side}, {_kind(expected)} expected"]


def _merge_all(shapes: list[Any]) -> Any:
    merged = shapes[0]
    for item in shapes[1:]:
        merged = merge(merged, item)
    return merged


def _types(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {"object"}
    if isinstance(value, list):
        return {"array"}
    return set(value.split("|"))


def _union(types: set[str]) -> str:
    return "|".join(sorted(types))


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map" if MAP in value else "object"
    if isinstance(value, list):
        return "array"
    return str(value)


def _at(path: str) -> str:
    return path or "(answer)"
