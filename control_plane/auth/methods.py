"""Which credential each gRPC method of the control plane needs (pure).

One table for the whole port, so a service added later is refused until it is listed here.
"""

from enum import StrEnum

__all__ = ["Credential", "required_credential"]


class Credential(StrEnum):
    """What a caller must show: an operator's, Envoy's or a decision worker's secret."""

    ADMIN = "admin"
    ENVOY = "envoy"
    WORKER = "worker"


# gRPC service name (the path's first segment) -> the credential its methods need.
_SERVICES: dict[str, Credential] = {
    "podgate.admin.v1.PodAdmin": Credential.ADMIN,
    "podgate.admin.v1.Trio2oAdmin": Credential.ADMIN,
    "envoy.service.discovery.v3.AggregatedDiscoveryService": Credential.ENVOY,
    "envoy.service.ext_proc.v3.ExternalProcessor": Credential.ENVOY,
    "podgate.internal.v1.Workers": Credential.WORKER,
}


def required_credential(method: str) -> Credential | None:
    """The credential `method` (e.g. "/podgate.admin.v1.PodAdmin/ListPods") needs; None: refuse."""
    service, _, name = method.lstrip("/").partition("/")
    if not name:
        return None
    return _SERVICES.get(service)
