"""Render bootstrap.yaml (package data beside this module): the only static Envoy config; the
rest comes over ADS."""

import ipaddress
import json
from importlib.resources import files
from string import Template

from google.protobuf.json_format import MessageToDict

from control_plane.model import ENVOY_TOKEN_METADATA
from control_plane.settings import DecisionSettings, EnvoySettings
from control_plane.xds.tls import UpstreamTls, upstream_tls

__all__ = ["BOOTSTRAP_TEMPLATE", "render_bootstrap"]

BOOTSTRAP_TEMPLATE = files(__package__).joinpath("bootstrap.yaml")
_PLAINTEXT = {
    "name": "envoy.transport_sockets.raw_buffer",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"
    },
}


def render_bootstrap(
    *,
    node_id: str,
    admin_host: str,
    admin_port: int,
    control_plane_host: str,
    control_plane_port: int,
    control_plane_tls: UpstreamTls | None = None,
    envoy_token: str,
    max_in_flight: int = DecisionSettings().max_in_flight,
    max_heap_bytes: int = EnvoySettings().max_heap_bytes,
) -> str:
    """The bootstrap YAML for one Envoy; a hostname control plane gets a STRICT_DNS cluster.

    With `control_plane_tls` ADS and ext_proc run over TLS, the CA inline: Envoy reads no file.
    It holds `envoy_token`, so whoever writes it keeps it private (0600). `max_in_flight` bounds
    the decision streams to the control plane, `max_heap_bytes` is the heap the overload manager
    keeps Envoy under.
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
        control_plane_transport_socket=json.dumps(
            _PLAINTEXT
            if control_plane_tls is None
            else MessageToDict(upstream_tls(control_plane_tls), preserving_proto_field_name=True)
        ),
        envoy_token_metadata=json.dumps(ENVOY_TOKEN_METADATA),
        envoy_token=json.dumps(envoy_token),
        max_in_flight=json.dumps(max_in_flight),
        max_heap_bytes=json.dumps(max_heap_bytes),
    )
