"""`POST /os-server-external-events`: split the events by pod, merge the pods' answers.

Each event goes to the pod of its `server_uuid`; an event for a server the gateway does not know
fails with code 404, as Nova fails it. The answer follows Nova's rule
(nova/api/openstack/compute/server_external_events.py): 200 when every event was accepted, 207
when some were not, and a 404 fault when none was.

Only Nova's own callers may send events (policy `os_compute_api:os-server-external-events:
create`: the admin or service role), and the caller is checked before the body is even read.
Without Keystone the gateway cannot tell Neutron from a tenant, so it refuses events unless the
operator says every caller is trusted. A request carries at most a configured number of events:
Nova's schema has no bound, but each event costs the gateway a lookup.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from control_plane.errors import BadRequest, Forbidden, fault_body
from control_plane.identity.policy import Caller

__all__ = ["Delivery", "Share", "check_caller", "merge", "parse_events", "split"]

_ACCEPTED = 200
_UNKNOWN_SERVER = 404
# The code of events a pod could not be asked about (down, late, or a server error).
_POD_FAILED = 503
_NONE_FOUND = "No instances found for any event"
_POLICY = "Policy doesn't allow os_compute_api:os-server-external-events:create to be performed."
# Nova's default policy: rule:admin_api or the service role (what Neutron and Cinder hold).
_SERVICE_ROLE = "service"

Event = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Share:
    """The events one pod receives, with their positions in the request."""

    pod: str
    positions: tuple[int, ...]
    events: tuple[Event, ...]

    def body(self) -> bytes:
        """The request body the pod gets: its events, as the client sent them."""
        return json.dumps({"events": list(self.events)}).encode()


@dataclass(frozen=True, slots=True)
class Delivery:
    """A pod's answer to its share: its HTTP status and body, or None when it gave none."""

    share: Share
    status: int | None
    body: bytes = b""


def check_caller(caller: Caller | None, *, trust_noauth: bool) -> None:
    """Forbidden unless the caller may send events (None: noauth, trusted only if told so)."""
    if caller is None:
        allowed = trust_noauth
    else:
        allowed = caller.any_project or _SERVICE_ROLE in caller.roles
    if not allowed:
        raise Forbidden(_POLICY)


def parse_events(body: bytes, *, max_events: int) -> tuple[Event, ...]:
    """The events of a request body, each naming a server; BadRequest otherwise."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("Malformed request body: it is not valid JSON.") from None
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list) or not events:
        raise BadRequest("Invalid input for field/attribute events: a non-empty list is required.")
    if len(events) > max_events:
        raise BadRequest(
            f"Invalid input for field/attribute events: {len(events)} events is too long "
            f"(at most {max_events} per request)."
        )
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("server_uuid"), str):
            raise BadRequest(
                f"Invalid input for field/attribute events[{index}]: "
                "'server_uuid' is a required property."
            )
    return tuple(events)


def split(events: Sequence[Event], pod_of: Mapping[str, str]) -> list[Share]:
    """One share per pod, in the order the pods first appear; unknown servers get none."""
    grouped: dict[str, list[int]] = {}
    for index, event in enumerate(events):
        pod = pod_of.get(event["server_uuid"])
        if pod is not None:
            grouped.setdefault(pod, []).append(index)
    return [
        Share(pod, tuple(positions), tuple(events[i] for i in positions))
        for pod, positions in grouped.items()
    ]


def merge(events: Sequence[Event], deliveries: Sequence[Delivery]) -> tuple[int, bytes]:
    """The client's answer: every event with its own code and status, in request order.

    A pod refusing the request itself (a 4xx other than Nova's "none found") is answered as
    the pod answered; its refusal holds for the whole request.
    """
    results: list[dict[str, Any]] = [_failed(event, _UNKNOWN_SERVER) for event in events]
    failed_pods: list[str] = []
    for delivery in deliveries:
        answered = _answered(delivery)
        if isinstance(answered, tuple):
            return answered
        if answered is None:
            failed_pods.append(delivery.share.pod)
        for offset, position in enumerate(delivery.share.positions):
            if answered is None:
                results[position] = _failed(events[position], _POD_FAILED)
            else:
                results[position] = answered[offset]
    if not any(result.get("code") == _ACCEPTED for result in results):
        if failed_pods:
            names = ", ".join(sorted(failed_pods))
            return 503, fault_body(503, f"The events could not be delivered to pod(s) {names}.")
        return 404, fault_body(404, _NONE_FOUND)
    status = 200 if all(result.get("code") == _ACCEPTED for result in results) else 207
    return status, json.dumps({"events": results}).encode()


def _answered(delivery: Delivery) -> list[dict[str, Any]] | tuple[int, bytes] | None:
    """The pod's per-event results; a refusal to pass on as is; None when the pod failed."""
    status = delivery.status
    share = delivery.share
    if status is None or status >= 500:
        return None
    if status == 404:
        return [_failed(event, _UNKNOWN_SERVER) for event in share.events]
    if status not in (200, 207):
        return status, delivery.body
    try:
        document = json.loads(delivery.body)
    except (ValueError, RecursionError):
        return None
    answers = document.get("events") if isinstance(document, dict) else None
    if not isinstance(answers, list) or len(answers) != len(share.events):
        return None
    if not all(isinstance(answer, dict) for answer in answers):
        return None
    return [dict(answer) for answer in answers]


def _failed(event: Event, code: int) -> dict[str, Any]:
    return {**event, "status": "failed", "code": code}
