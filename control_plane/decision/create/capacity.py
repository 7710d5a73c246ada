"""How much room a pod has for new servers, from its own hypervisor statistics.

A pod's free capacity is summed over its hypervisors that Nova would schedule to (status
`enabled`, state `up`): free RAM (`memory_mb - memory_mb_used`) and free vCPUs (`vcpus -
vcpus_used`). Pods rank by free RAM, then free vCPUs, as Nova's default weighers spread servers
over hosts (RAMWeigher, then CPUWeigher). A pod is full when its free RAM is at or below the
operator's threshold: RAM, unlike vCPUs, is rarely overcommitted, so `vcpus_used` above `vcpus`
is normal on a healthy pod (cpu_allocation_ratio) and says nothing about it being full.
"""

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Capacity", "measure"]

_FIELDS = ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used")


@dataclass(frozen=True, slots=True)
class Capacity:
    """A pod's free room as last read, and whether that counts as full."""

    free_ram_mib: int
    free_vcpus: int
    full: bool


def measure(document: object, *, full_free_ram_mib: int) -> Capacity | None:
    """The capacity an `os-hypervisors/detail` answer shows; None if it shows none.

    None when the answer is not Nova's shape or lacks the numbers (microversion 2.88 dropped
    them): such a pod's capacity is unknown, never zero.
    """
    hypervisors = document.get("hypervisors") if isinstance(document, Mapping) else None
    if not isinstance(hypervisors, list):
        return None
    free_ram = free_vcpus = 0
    for hypervisor in hypervisors:
        numbers = _numbers(hypervisor) if isinstance(hypervisor, Mapping) else None
        if numbers is None:
            return None
        if hypervisor.get("status") != "enabled" or hypervisor.get("state") != "up":
            continue
        vcpus, vcpus_used, memory, memory_used = numbers
        free_vcpus += vcpus - vcpus_used
        free_ram += memory - memory_used
    return Capacity(free_ram, free_vcpus, full=free_ram <= full_free_ram_mib)


def _numbers(hypervisor: Mapping[str, object]) -> list[int] | None:
    """The hypervisor's vCPU and RAM totals and use, if it shows all four as integers."""
    numbers = [hypervisor.get(name) for name in _FIELDS]
    ints = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]
    return ints if len(ints) == len(_FIELDS) else None
