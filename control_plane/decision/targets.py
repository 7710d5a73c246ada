"""Where a request goes: the pod, its Envoy cluster and the path on the pod's endpoint."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from control_plane.decision.health import EVERY_POD_HEALTHY, HealthView
from control_plane.decision.mutate import pod_path
from control_plane.decision.operation import Operation
from control_plane.decision.resources import SPECS
from control_plane.errors import NotFound, PodUnavailable
from control_plane.model import Pod, PodState, ResourceType, Routing, Service, cluster_name

__all__ = ["Recoverer", "RoutingLookup", "Target", "owner", "target", "usable"]


class Recoverer(Protocol):
    """Finds a resource the routing table does not know in the pods (recovery.py)."""

    async def find(
        self, op: Operation, pods: Mapping[str, Pod], headers: Mapping[str, str]
    ) -> Routing | None:
        """The routing of the project's resource `op` names, if a pod has it."""


class RoutingLookup(Protocol):
    """The part of the routing table that finds a resource's pod."""

    async def lookup(self, resource_type: ResourceType, resource_id: str) -> Routing | None:
        """The routing of one resource, if known."""


@dataclass(frozen=True, slots=True)
class Target:
    """The pod chosen for a request, the cluster naming it, and the path it gets there."""

    pod: Pod
    cluster: str
    path: str


def usable(
    name: str, pod: Pod | None, service: Service, unhealthy: Collection[str] = frozenset()
) -> tuple[Pod, str]:
    """The pod and its endpoint URL for `service`, or PodUnavailable naming the pod.

    `unhealthy`: pods not answering (health.py), refused at once rather than waited for.
    """
    if pod is None:
        raise PodUnavailable(f"Pod {name} is not available.")
    if pod.state == PodState.DISABLED:
        raise PodUnavailable(f"Pod {name} is disabled.")
    if name in unhealthy:
        raise PodUnavailable(f"Pod {name} is not answering.")
    endpoint = pod.endpoints.get(str(service), "")
    if not endpoint:
        raise PodUnavailable(f"Pod {name} has no {service} endpoint.")
    return pod, endpoint


def target(pod: Pod, endpoint: str, op: Operation) -> Target:
    """The request `op` sent to `pod` through its `endpoint`."""
    path = pod_path(endpoint, op.project_id, op.remainder, op.query)
    return Target(pod, cluster_name(pod.name, op.service), path)


async def owner(
    routings: RoutingLookup,
    pods: Mapping[str, Pod],
    op: Operation,
    *,
    health: HealthView = EVERY_POD_HEALTHY,
    recovery: Recoverer | None = None,
    headers: Mapping[str, str] | None = None,
    any_project: bool = False,
) -> Target:
    """The pod that owns the project's resource `op` names; NotFound as the API words it.

    An id without a routing is looked for in the pods (`recovery`, with the caller's `headers`):
    its routing may have been lost in a crash. Another project's resource is not looked for,
    nor found unless `any_project` (an admin, whom Nova and Cinder show any project's resource).
    """
    assert op.resource_type is not None
    routing = await routings.lookup(op.resource_type, op.resource_id)
    if routing is None and recovery is not None:
        routing = await recovery.find(op, pods, headers or {})
    if routing is None or (routing.project_id != op.project_id and not any_project):
        noun = SPECS[op.resource_type].noun
        raise NotFound(f"{noun} {op.resource_id} could not be found.")
    unhealthy = health.unhealthy(op.service)
    pod, endpoint = usable(routing.pod_name, pods.get(routing.pod_name), op.service, unhealthy)
    # An admin's request keeps its own project's URL: Cinder refuses another one ("Malformed
    # request url"), and Nova and Cinder both let an admin reach any project's resource there.
    return target(pod, endpoint, op)
