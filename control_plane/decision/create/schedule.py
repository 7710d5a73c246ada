"""Pick the pod for a new resource: a project sticks to its bound pod per availability zone.

Binding stickiness keeps one project's servers and volumes of one AZ in one pod (as Trio2o did),
so they can be attached to each other. An unhealthy pod gets nothing new: an unbound project
falls back to the next healthy pod of the AZ, but a project bound to an unhealthy pod gets a
503 for that AZ: placing its resource elsewhere would leave it unattachable to the project's
others, and rebinding would split the project for good over what is usually a short outage.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from control_plane.errors import BadRequest, PodUnavailable
from control_plane.model import Binding, Pod, PodState

__all__ = ["Placement", "schedule"]


@dataclass(frozen=True, slots=True)
class Placement:
    """The chosen pod, and whether the project must now be bound to it."""

    pod: Pod
    bind: bool


def schedule(
    pods: Sequence[Pod],
    bindings: Sequence[Binding],
    az: str | None,
    unhealthy: Collection[str] = frozenset(),
) -> Placement:
    """Choose among `pods` (in preference order) given the project's active `bindings`.

    `unhealthy`: names of pods that are not answering.
    """
    if az and not any(pod.az_name == az for pod in pods):
        raise BadRequest(f"Availability zone '{az}' is not available.")
    candidates = [
        pod for pod in pods if pod.state == PodState.ENABLED and (not az or pod.az_name == az)
    ]
    bound = {
        binding.pod_name
        for binding in bindings
        if binding.active and (not az or binding.az_name == az)
    }
    for pod in candidates:
        if pod.name in bound and pod.name not in unhealthy:
            return Placement(pod=pod, bind=False)
    stuck = [pod for pod in candidates if pod.name in bound and pod.name in unhealthy]
    blocked = {pod.az_name for pod in stuck}
    for pod in candidates:
        if pod.name not in unhealthy and pod.az_name not in blocked:
            return Placement(pod=pod, bind=True)
    where = f" in availability zone '{az}'" if az else ""
    if stuck:
        names = ", ".join(f"{pod.name} (availability zone '{pod.az_name}')" for pod in stuck)
        raise PodUnavailable(f"Pod {names}, which holds the project's resources, is not available.")
    if candidates:
        names = ", ".join(pod.name for pod in candidates)
        raise PodUnavailable(f"No pod{where} is available: pod {names} is not answering.")
    raise PodUnavailable(f"No pod{where} accepts new resources.")
