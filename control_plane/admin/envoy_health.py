"""Pod cluster health as Envoy sees it, read from Envoy's admin `/clusters?format=json`."""

import json
import urllib.request
from dataclasses import dataclass

__all__ = ["ClusterHealth", "fetch_health", "parse_health"]

# Any of these set on a host means Envoy will not send it traffic.
_FAILURE_FLAGS = (
    "failed_active_health_check",
    "failed_outlier_check",
    "failed_eds_health",
    "pending_dynamic_removal",
)


@dataclass(frozen=True, slots=True)
class ClusterHealth:
    """Hosts of one Envoy cluster that can take traffic, out of all its hosts."""

    healthy: int
    total: int


def parse_health(document: dict) -> dict[str, ClusterHealth]:
    """Cluster name -> health, for the `pod.*` clusters of a /clusters?format=json document."""
    health = {}
    for cluster in document.get("cluster_statuses", []):
        if not cluster.get("name", "").startswith("pod."):
            continue
        hosts = cluster.get("host_statuses", [])
        healthy = sum(1 for host in hosts if _healthy(host.get("health_status", {})))
        health[cluster["name"]] = ClusterHealth(healthy, len(hosts))
    return health


def _healthy(status: dict) -> bool:
    if any(status.get(flag) for flag in _FAILURE_FLAGS):
        return False
    return status.get("eds_health_status", "HEALTHY") in ("HEALTHY", "UNKNOWN")


def fetch_health(admin_url: str, timeout_s: float = 3.0) -> dict[str, ClusterHealth]:
    """Ask Envoy's admin interface; OSError when it cannot be reached."""
    url = f"{admin_url.rstrip('/')}/clusters?format=json"
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return parse_health(json.loads(response.read()))
