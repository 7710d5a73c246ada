"""When a routed resource counts as gone, so that its routing may be forgotten (pure).

A pod's answer to a user's request only starts the judgement: a 404 may come from a web server
in front of the pod (a wrong endpoint path answers 404 to everything) or concern another project,
and a DELETE answered 202/204 only starts deletion in Nova and Cinder. What settles it is the
pod's answer to the gateway's own GET of the resource's path: a 404 carrying the API's own
"not found" fault for that id (Nova's and Cinder's `itemNotFound`, Neutron's typed
`NeutronError`). Neutron deletes synchronously, so its 204 settles it at once.
"""

import json
from enum import Enum

from control_plane.decision.decide import names_resource
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.resources import ResourceSpec
from control_plane.model import Service

__all__ = ["FollowUp", "after_answer", "check_delays", "shows_gone", "watches"]

# Nova's and Cinder's fault name for a 404 (nova/api/openstack/wsgi.py Fault._fault_names).
_NOT_FOUND_FAULT = "itemNotFound"
_DELETE_STARTED = frozenset({202, 204})


class FollowUp(Enum):
    """What the pod's answer to a user's GET or DELETE of a resource's own path calls for."""

    NOTHING = "nothing"
    # Gone for sure (Neutron answered a DELETE): forget now.
    FORGET = "forget"
    # The pod said 404: ask it once whether the resource is gone.
    CONFIRM = "confirm"
    # Deletion started (Nova, Cinder): ask until it is gone, for a while.
    POLL = "poll"


def watches(op: ResourceOperation, method: str) -> bool:
    """Whether the pod's status for a routed request is asked for: a GET or DELETE of the
    resource's own path (a 404 below it, `servers/{id}/os-volume_attachments/{x}`, says nothing
    about the server)."""
    return method in ("GET", "DELETE") and names_resource(op)


def after_answer(service: Service, method: str, status: int) -> FollowUp:
    """The follow-up of a pod's `status` to `method` on one resource's own path."""
    if status == 404 and method in ("GET", "DELETE"):
        return FollowUp.CONFIRM
    if method != "DELETE" or status not in _DELETE_STARTED:
        return FollowUp.NOTHING
    if service is Service.NETWORK:
        return FollowUp.FORGET if status == 204 else FollowUp.NOTHING
    return FollowUp.POLL


def shows_gone(spec: ResourceSpec, resource_id: str, status: int, body: bytes) -> bool | None:
    """Whether a pod's answer to a GET of the resource's path shows it gone (True), present
    (False) or neither (None: an error, or a 404 that is not the API's fault for this id)."""
    if status == 200:
        return False
    if status != 404:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    if spec.fault_type:
        fault = document.get("NeutronError")
        named = isinstance(fault, dict) and fault.get("type") == spec.fault_type
    else:
        fault = document.get(_NOT_FOUND_FAULT)
        named = isinstance(fault, dict) and fault.get("code") == 404
    message = fault.get("message") if isinstance(fault, dict) else None
    return True if named and isinstance(message, str) and resource_id in message else None


def check_delays(first_s: float, total_s: float) -> tuple[float, ...]:
    """Waits before each check of a started delete: doubling from `first_s`, `total_s` in all
    (the last wait cut short); deletes outlasting them are left to the reconciler."""
    delays: list[float] = []
    waited, delay = 0.0, first_s
    while waited < total_s:
        step = min(delay, total_s - waited)
        delays.append(step)
        waited += step
        delay *= 2
    return tuple(delays)
