"""Faults users read, in their words: availability zones, never pods.

Users see one region of availability zones (DESIGN.md): pod names belong in admin answers,
metrics and logs only. Each fault here carries the pod-level `detail` for the decision's log
line, so operators still learn which pod it was. Several pods may serve one zone, so a zone is
"not available" for the request at hand, not as a whole. Pure.
"""

from collections.abc import Iterable

from control_plane.errors import PodUnavailable
from control_plane.model import Pod, Service

__all__ = [
    "NO_ZONE",
    "no_zone",
    "resource_zone_gone",
    "schedule_refused",
    "zone_unavailable",
]

# The APIs as users name them (Keystone's "volumev3" is not a word they use).
_SERVICE_WORDS = {
    Service.COMPUTE: "compute",
    Service.VOLUME: "block storage",
    Service.NETWORK: "network",
}


def zone_unavailable(pod: Pod, why: str, service: Service | None = None) -> PodUnavailable:
    """The zone of `pod` cannot serve this request; `why` ("is disabled", ...) is logged."""
    zone = f"availability zone {pod.az_name}"
    where = f"The {_SERVICE_WORDS[service]} service of {zone}" if service else zone.capitalize()
    return PodUnavailable(f"{where} is not available now.", detail=f"pod {pod.name} {why}")


def resource_zone_gone(pod_name: str) -> PodUnavailable:
    """A resource recorded in a pod the gateway no longer has."""
    return PodUnavailable(
        "The availability zone holding this resource is not available now.",
        detail=f"pod {pod_name} is not registered",
    )


# An answer across pods where every pod is down, disabled, or lacks the API.
NO_ZONE = "No availability zone can serve this request now."


def no_zone(service: Service, why: str) -> PodUnavailable:
    """No zone at all offers `service` now (every pod down, disabled or without the API)."""
    return PodUnavailable(
        f"No availability zone can serve the {_SERVICE_WORDS[service]} service now.", detail=why
    )


def schedule_refused(az: str | None, stuck: Iterable[Pod], silent: Iterable[Pod]) -> PodUnavailable:
    """Nowhere to place a new resource: the project's own pods down (`stuck`), the candidates
    not answering (`silent`), or none taking new resources."""
    stuck, silent = list(stuck), list(silent)
    if stuck:
        zones = ", ".join(dict.fromkeys(pod.az_name for pod in stuck))
        return PodUnavailable(
            f"Availability zone {zones}, which holds the project's resources, is not available "
            "now.",
            detail=f"pod {', '.join(pod.name for pod in stuck)} is not answering",
        )
    if silent:
        message = (
            f"Availability zone '{az}' is not available now."
            if az
            else "No availability zone is available now."
        )
        detail = f"pod {', '.join(pod.name for pod in silent)} is not answering"
        return PodUnavailable(message, detail=detail)
    message = (
        f"Availability zone '{az}' accepts no new resources now."
        if az
        else "No availability zone accepts new resources now."
    )
    return PodUnavailable(message, detail="no ENABLED pod takes new resources")
