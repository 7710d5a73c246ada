"""`GET /os-availability-zone` (`/availability_zones`): the user-facing zones, answered from
the pods' registrations.

A zone is listed when at least one ENABLED pod offering the API serves it, and shown available
(it is, by that pod). Each pod's own zone names stay hidden, as everywhere else.
"""

import json
from collections.abc import Iterable

from control_plane.model import Pod, PodState, Service

__all__ = ["zones_body"]


def zones_body(service: Service, pods: Iterable[Pod]) -> bytes:
    """The `availabilityZoneInfo` document as Nova (with `hosts`) or Cinder shows it; Neutron's
    `availability_zones`, each zone once per resource its agents serve (networks, routers)."""
    names = sorted(
        {
            pod.az_name
            for pod in pods
            if pod.state == PodState.ENABLED and pod.az_name and pod.serves(service)
        }
    )
    if service is Service.NETWORK:
        return json.dumps({"availability_zones": _neutron(names)}).encode()
    extra = {"hosts": None} if service is Service.COMPUTE else {}
    info = [{"zoneName": name, "zoneState": {"available": True}, **extra} for name in names]
    return json.dumps({"availabilityZoneInfo": info}).encode()


def _neutron(names: list[str]) -> list[dict[str, str]]:
    return [
        {"name": name, "resource": resource, "state": "available"}
        for name in names
        for resource in ("network", "router")
    ]
