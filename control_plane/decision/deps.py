"""What every decision stream reads and calls out to, built once per decision service."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from control_plane.decision.create.creation import BindingStore
from control_plane.decision.events.relay import EventRelay
from control_plane.decision.lists.lister import Lister
from control_plane.decision.pods.capacity import NOTHING_KNOWN, CapacityView
from control_plane.decision.pods.health import HealthView
from control_plane.decision.quotas.relay import QuotaStore
from control_plane.decision.routed.acceptance import Acceptance
from control_plane.decision.routed.forgetting import NOTHING_WATCHED, AnswerWatch
from control_plane.decision.routed.recovery import Recovery
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.decision.security_groups.relay import CopyStore, SecurityGroups
from control_plane.decision.shared.any_pod import AnyPod
from control_plane.decision.shared.offset_lists import OffsetLists
from control_plane.decision.shared.relay import SharedObjects
from control_plane.decision.versions.windows import VersionWindows
from control_plane.decision.views.relay import ViewRelay
from control_plane.identity import Gate
from control_plane.metrics import Metrics
from control_plane.model import Pod
from control_plane.settings import DecisionSettings

__all__ = ["DecisionDeps", "DecisionStore"]


class DecisionStore(BindingStore, CopyStore, QuotaStore, Protocol):
    """What decisions read and write in the store: bindings, copies of security groups and
    quota limits over all pods."""


@dataclass(frozen=True, slots=True)
class DecisionDeps:
    """What every stream's decisions read and call out to: store, routing table, pods, auth
    and the fan-out helpers; built once per decision service."""

    store: DecisionStore
    routing_table: RoutingTable
    pods: Callable[[], Mapping[str, Pod]]
    gate: Gate
    lister: Lister
    relay: EventRelay
    shared_objects: SharedObjects
    views: ViewRelay
    security_groups: SecurityGroups
    any_pod: AnyPod
    offset_lists: OffsetLists
    windows: VersionWindows
    metrics: Metrics
    health: HealthView
    recovery: Recovery
    acceptance: Acceptance
    # Larger bodies are refused (413) before they are buffered or reach a pod.
    max_body_bytes: int = DecisionSettings().max_body_bytes
    # noauth mode: the project of a project-less request without an X-Project-Id header.
    noauth_project: str = ""
    capacity: CapacityView = NOTHING_KNOWN
    # Told the pod's status for a resource's GET or DELETE: it may show the resource gone.
    gone: AnswerWatch = NOTHING_WATCHED
