"""Pick the pod for a new resource: a project sticks to its bound pod per availability zone.

Binding stickiness keeps one project's servers and volumes of one AZ in one pod (as Trio2o did),
so they can be attached to each other.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from control_plane.errors import BadRequest, PodUnavailable
from control_plane.model import Binding, Pod, PodState

__all__ = ["Placement", "schedule"]


@dataclass(frozen=True, slots=True)
class Placement:
    """The chosen pod, and whether the project must now be bound to it."""

    pod: Pod
    bind: bool


def schedule(pods: Sequence[Pod], bindings: Sequence[Binding], az: str | None) -> Placement:
    """Choose among `pods` (in preference order) given the project's active `bindings`."""
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
        if pod.name in bound:
            return Placement(pod=pod, bind=False)
    if not candidates:
        where = f" in availability zone '{az}'" if az else ""
        raise PodUnavailable(f"No pod{where} accepts new resources.")
    return Placement(pod=candidates[0], bind=True)
