"""`GET /os-availability-zone`: the user-facing zones, answered from the pods' registrations.

A zone is listed when at least one ENABLED pod offering the API serves it, and shown available
(it is, by that pod). Each pod's own zone names stay hidden, as everywhere else.
"""

import json
from collections.abc import Iterable

from control_plane.model import Pod, PodState, Service

__all__ = ["zones_body"]


def zones_body(service: Service, pods: Iterable[Pod]) -> bytes:
    """The `availabilityZoneInfo` document as Nova (with `hosts`) or Cinder shows it."""
    names = sorted(
        {
            pod.az_name
            for pod in pods
            if pod.state == PodState.ENABLED and pod.az_name and pod.serves(service)
        }
    )
    extra = {"hosts": None} if service is Service.COMPUTE else {}
    info = [{"zoneName": name, "zoneState": {"available": True}, **extra} for name in names]
    return json.dumps({"availabilityZoneInfo": info}).encode()
