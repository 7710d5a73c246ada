"""Views across pods: a project's limits and quota sets summed.

The rule for limits and quota sets (README "What the gateway serves"):
- usage (`total*Used`, `in_use`, `reserved`) is summed over the pods;
- limits (`maxTotal*`, quotas, `limit`) are summed too, but -1 (unlimited) in any pod stays -1;
- limits on one object, not on a project's total (`maxServerMeta`, `metadata_items`,
  `per_volume_gigabytes`, ...), and key pairs (every pod holds each user's key pairs), are the
  smallest of the pods' (-1 only if every pod says -1); their usage is the largest.
"""

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["combine_totals"]

_PER_OBJECT = frozenset(
    {"maxServerMeta", "maxImageMeta", "maxPersonality", "maxPersonalitySize",
     "maxServerGroupMembers", "maxTotalKeypairs", "metadata_items", "injected_files",
     "injected_file_content_bytes", "injected_file_path_bytes", "server_group_members",
     "key_pairs", "per_volume_gigabytes"}
)  # fmt: skip
_USAGE = frozenset({"in_use", "reserved", "allocated"})
_UNLIMITED = -1


def combine_totals(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One document from the pods' `limits` or `quota_set` answers."""
    return _combine("", documents)


def _combine(key: str, values: Sequence[Any], *, per_object: bool = False) -> Any:
    """Values of `key` from every pod, combined by the rule above."""
    if values and all(isinstance(value, dict) for value in values):
        keys = dict.fromkeys(k for value in values for k in value)
        return {
            k: values[0].get(k)
            if k == "id"
            else _combine(
                k, [v[k] for v in values if k in v], per_object=per_object or k in _PER_OBJECT
            )
            for k in keys
        }
    if not values or not all(_is_number(value) for value in values):
        return values[0] if values else None
    usage = key in _USAGE or key.startswith("total")
    if per_object:
        limited = [value for value in values if value != _UNLIMITED]
        return max(values) if usage else min(limited, default=_UNLIMITED)
    if not usage and _UNLIMITED in values:
        return _UNLIMITED
    return sum(values)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
