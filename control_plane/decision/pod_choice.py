"""Which pod and endpoint a request goes to, once the pod is known or chosen. Pure."""

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from control_plane.decision.decisions import Target
from control_plane.decision.operation import Operation, ResourceOperation
from control_plane.decision.resources import SPECS
from control_plane.decision.zone_faults import no_zone, resource_zone_gone, zone_unavailable
from control_plane.endpoints import pod_path
from control_plane.errors import NotFound
from control_plane.model import Pod, PodState, Routing, Service, cluster_name

__all__ = ["first_usable", "in_preference_order", "owned", "target", "usable"]


def first_usable(
    pods: Iterable[Pod], service: Service, unhealthy: Collection[str]
) -> tuple[Pod, str]:
    """The oldest ENABLED pod that answers `service`."""
    for pod in in_preference_order(pods):
        if pod.state == PodState.ENABLED and pod.endpoint(service) and pod.name not in unhealthy:
            return pod, pod.endpoint(service)
    raise no_zone(service, f"no ENABLED pod answers {service}")


def owned(
    op: ResourceOperation,
    routing: Routing | None,
    pods: Mapping[str, Pod],
    unhealthy: Collection[str] = frozenset(),
    *,
    any_project: bool = False,
) -> Target:
    """The pod that owns the project's resource `op` names; NotFound as the API words it.

    Another project's resource is not found unless `any_project` (an admin, whom Nova and
    Cinder show any project's resource). An admin's request keeps its own project's URL:
    Cinder refuses another one ("Malformed request url").
    """
    if routing is None or (routing.project_id != op.project_id and not any_project):
        spec = SPECS[op.resource_type]
        raise NotFound(spec.not_found(op.resource_id, op.service), neutron_type=spec.fault_type)
    pod, endpoint = usable(routing.pod_name, pods.get(routing.pod_name), op.service, unhealthy)
    return target(pod, endpoint, op)


def usable(
    name: str, pod: Pod | None, service: Service, unhealthy: Collection[str] = frozenset()
) -> tuple[Pod, str]:
    """The pod and its endpoint URL for `service`, or PodUnavailable naming its zone.

    `unhealthy`: pods not answering (health.py), refused at once rather than waited for.
    """
    if pod is None:
        raise resource_zone_gone(name)
    if pod.state == PodState.DISABLED:
        raise zone_unavailable(pod, "is disabled")
    if name in unhealthy:
        raise zone_unavailable(pod, "is not answering")
    endpoint = pod.endpoint(service)
    if not endpoint:
        raise zone_unavailable(pod, f"has no {service} endpoint", service)
    return pod, endpoint


def target(pod: Pod, endpoint: str, op: Operation) -> Target:
    """The request `op` sent to `pod` through its `endpoint`."""
    path = pod_path(endpoint, op.project_id, op.remainder, op.query)
    return Target(pod, cluster_name(pod.name, op.service), path)


def in_preference_order(pods: Iterable[Pod]) -> list[Pod]:
    """Oldest pod first, then by name: the scheduler's tie-break order."""
    return sorted(
        pods,
        key=lambda pod: (pod.created_at is None, pod.created_at or datetime.min, pod.name),
    )
