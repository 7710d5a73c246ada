"""Cinder's volume summary over every pod: counts and sizes summed, metadata values united.

Each pod answers `GET volumes/summary` with `{"volume-summary": {"total_count", "total_size"}}`
and, from 3.36, `"metadata": {key: [every distinct value]}`; one cloud would count every volume
once and list each distinct value once, which is what the sums and the union are.
"""

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["combine_summaries"]

_KEY = "volume-summary"
_TOTALS = ("total_count", "total_size")


def combine_summaries(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One `volume-summary` from the pods' (metadata only when the pods show it)."""
    summaries = [doc.get(_KEY) for doc in documents]
    parts = [summary for summary in summaries if isinstance(summary, Mapping)]
    combined: dict[str, Any] = {
        total: sum(_number(part.get(total)) for part in parts) for total in _TOTALS
    }
    metadata = [part["metadata"] for part in parts if isinstance(part.get("metadata"), Mapping)]
    if metadata:
        united: dict[str, list[Any]] = {}
        for values_by_key in metadata:
            for key, values in values_by_key.items():
                kept = united.setdefault(key, [])
                for value in values if isinstance(values, list) else [values]:
                    if value not in kept:
                        kept.append(value)
        combined["metadata"] = united
    return {_KEY: combined}


def _number(value: object) -> int | float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return value if ok else 0  # type: ignore[return-value]
