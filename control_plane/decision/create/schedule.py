"""Pick the pod for a new resource: a project sticks to its bound pod per availability zone.

Binding stickiness keeps one project's servers and volumes of one AZ in one pod (as Trio2o did),
so they can be attached to each other. An unbound project goes to the pod of the AZ with the most
free capacity (capacity.py: free RAM, then free vCPUs); a create naming no AZ is in the oldest
usable pod's AZ (unless all of its pods are full), so capacity never spreads a project's first
resources over zones it did not ask for; pods whose capacity is unknown (not read
yet, or the read failed) come after those known to have room, and full pods last; ties keep the
preference order (oldest pod first). A project bound to a full, DRAINING or DISABLED pod gets its
new resources in the AZ's best other pod and is bound there (its old resources stay where they
are); when every other pod is full too, a full bound pod keeps it: the pod's own scheduler has
the last word, and moving would split the project for nothing.

An unhealthy pod gets nothing new: an unbound project falls back to the next healthy pod of the
AZ, but a project bound to an unhealthy pod gets a 503 for that AZ: placing its resource elsewhere
would leave it unattachable to the project's others, and rebinding would split the project for
good over what is usually a short outage.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from control_plane.decision.create.capacity import Capacity
from control_plane.decision.zone_faults import schedule_refused
from control_plane.errors import BadRequest
from control_plane.model import Binding, Pod, PodState

__all__ = ["Placement", "schedule"]

_KNOWN, _UNKNOWN, _FULL = range(3)


@dataclass(frozen=True, slots=True)
class Placement:
    """The chosen pod, and whether the project must now be bound to it (`replaces`: the pod
    of the binding this one replaces in the chosen pod's AZ, None when there is none)."""

    pod: Pod
    bind: bool
    replaces: str | None = None


def schedule(
    pods: Sequence[Pod],
    bindings: Sequence[Binding],
    az: str | None,
    unhealthy: Collection[str] = frozenset(),
    capacity: Mapping[str, Capacity] | None = None,
) -> Placement:
    """Choose among `pods` (in preference order) given the project's active `bindings`.

    `unhealthy`: names of pods that are not answering; `capacity`: each pod's free room as
    last read (a pod missing from it is unknown).
    """
    if az and not any(pod.az_name == az for pod in pods):
        raise BadRequest(f"Availability zone '{az}' is not available.")
    room = capacity or {}
    candidates = [
        pod for pod in pods if pod.state == PodState.ENABLED and (not az or pod.az_name == az)
    ]
    active = [
        binding for binding in bindings if binding.active and (not az or binding.az_name == az)
    ]
    bound = {binding.pod_name for binding in active}
    stuck = [pod for pod in candidates if pod.name in bound and pod.name in unhealthy]
    blocked = {pod.az_name for pod in stuck}
    usable = [pod for pod in candidates if pod.name not in unhealthy and pod.az_name not in blocked]
    kept = [pod for pod in usable if pod.name in bound]
    for pod in kept:
        if _tier(room.get(pod.name)) != _FULL:
            return Placement(pod=pod, bind=False)
    if usable:
        # A create naming no zone goes to the oldest usable pod's (Nova's default schedule
        # zone), unless every pod there is full.
        zone = [pod for pod in usable if pod.az_name == (az or usable[0].az_name)]
        if all(_tier(room.get(pod.name)) == _FULL for pod in zone):
            zone = usable
        # min() keeps the first of equals: ties go by preference order.
        best = min(zone, key=lambda pod: _rank(room.get(pod.name)))
        if kept and _tier(room.get(best.name)) == _FULL:
            return Placement(pod=kept[0], bind=False)
        replaced = next((b.pod_name for b in active if b.az_name == best.az_name), None)
        return Placement(pod=best, bind=True, replaces=replaced)
    raise schedule_refused(az, stuck, candidates)


def _tier(capacity: Capacity | None) -> int:
    if capacity is None:
        return _UNKNOWN
    return _FULL if capacity.full else _KNOWN


def _rank(capacity: Capacity | None) -> tuple[int, int, int]:
    """Lower is better: pods with room by most free RAM then vCPUs, unknown ones, full ones."""
    if capacity is None:
        return (_UNKNOWN, 0, 0)
    return (_tier(capacity), -capacity.free_ram_mib, -capacity.free_vcpus)
