"""Admin ids made unique across pods: Nova's integer service, hypervisor and aggregate ids.

Each pod numbers its services, hypervisors and aggregates from 1, so two pods' lists would
show the same ids. The gateway shows `local * STRIDE + slot` instead, where `slot` is the
pod's place among every registered pod, oldest first (then by name), so the mapping is pure
and reversible: `slot = id % STRIDE`, `local = id // STRIDE`. UUID ids (services and
hypervisors from microversion 2.53) are unique already and pass unchanged.

NOTE: a pod's slot is its rank, so deleting a pod renumbers the admin ids of the pods
registered after it (nothing is stored for these ids; clients re-read the lists).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from control_plane.model import Pod

__all__ = ["STRIDE", "IdMap", "id_map"]

# At most this many pods get unique integer ids; a pod ranked beyond it keeps its own ids.
STRIDE = 1000
# The keys whose values are items with ids to map (a hypervisor's `service` among them).
_HOLDING_IDS = frozenset(
    {"services", "service", "hypervisors", "hypervisor", "aggregates", "aggregate"}
)


@dataclass(frozen=True, slots=True)
class IdMap:
    """The slots of the registered pods, and the mapping of ids both ways."""

    slots: Mapping[str, int]

    def shown(self, pod: str, document: Any) -> Any:
        """`document` as the gateway shows it: every integer id of `pod`'s made unique."""
        slot = self.slots.get(pod)
        if slot is None:
            return document
        return _mapped(document, slot)

    def owner(self, gateway_id: str) -> tuple[str, str] | None:
        """The pod and its own id an integer gateway id names; None for anything else."""
        if not gateway_id.isdigit() or not gateway_id.isascii():
            return None
        number = int(gateway_id)
        slot, local = number % STRIDE, number // STRIDE
        pod = next((name for name, at in self.slots.items() if at == slot), None)
        if pod is None or local == 0:
            return None
        return pod, str(local)


def id_map(pods: Iterable[Pod]) -> IdMap:
    """The mapping for the registered pods (every state: a DISABLED pod keeps its slot)."""
    ranked = sorted(
        pods, key=lambda pod: (pod.created_at is None, pod.created_at or datetime.min, pod.name)
    )
    return IdMap({pod.name: slot for slot, pod in enumerate(ranked) if slot < STRIDE})


def _mapped(value: Any, slot: int) -> Any:
    """Each item's `id` mapped, in lists and single objects alike."""
    if isinstance(value, list):
        return [_mapped(item, slot) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: _member(key, item, slot) for key, item in value.items()}


def _member(key: str, value: Any, slot: int) -> Any:
    if key == "id" and isinstance(value, int) and not isinstance(value, bool):
        return value * STRIDE + slot
    # Metadata, links, usages and server lists hold the caller's or other ids: left alone.
    return _mapped(value, slot) if key in _HOLDING_IDS else value
