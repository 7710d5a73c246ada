"""Render envoy/bootstrap.yaml: the only static Envoy config; the rest comes over ADS."""

import ipaddress
import json
from pathlib import Path
from string import Template

from control_plane.settings import DecisionSettings, EnvoySettings

__all__ = ["BOOTSTRAP_TEMPLATE", "render_bootstrap"]

BOOTSTRAP_TEMPLATE = Path(__file__).parents[2] / "envoy" / "bootstrap.yaml"


def render_bootstrap(
    *,
    node_id: str,
    admin_host: str,
    admin_port: int,
    control_plane_host: str,
    control_plane_port: int,
    max_in_flight: int = DecisionSettings().max_in_flight,
    max_heap_bytes: int = EnvoySettings().max_heap_bytes,
) -> str:
    """The bootstrap YAML for one Envoy; a hostname control plane gets a STRICT_DNS cluster.

    `max_in_flight` bounds the decision streams to the control plane, `max_heap_bytes` is
    the heap the overload manager keeps Envoy under.
    """
    try:
        ipaddress.ip_address(control_plane_host)
        cluster_type = "STATIC"
    except ValueError:
        cluster_type = "STRICT_DNS"
    # JSON scalars are YAML scalars, so json.dumps quotes every value safely.
    return Template(BOOTSTRAP_TEMPLATE.read_text()).substitute(
        node_id=json.dumps(node_id),
        admin_host=json.dumps(admin_host),
        admin_port=json.dumps(admin_port),
        control_plane_cluster_type=cluster_type,
        control_plane_host=json.dumps(control_plane_host),
        control_plane_port=json.dumps(control_plane_port),
        max_in_flight=json.dumps(max_in_flight),
        max_heap_bytes=json.dumps(max_heap_bytes),
    )
