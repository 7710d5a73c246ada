"""Pod clusters (one per pod service, health-checked) and the decision processes' cluster."""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from envoy.config.cluster.v3 import cluster_pb2, outlier_detection_pb2
from envoy.config.core.v3 import (
    base_pb2,
    health_check_pb2,
    protocol_pb2,
)
from envoy.config.endpoint.v3 import endpoint_components_pb2, endpoint_pb2
from envoy.extensions.transport_sockets.tls.v3 import common_pb2, tls_pb2
from envoy.extensions.upstreams.http.v3 import http_protocol_options_pb2 as upstream_http
from envoy.type.matcher.v3 import string_pb2
from envoy.type.v3 import range_pb2
from google.protobuf import wrappers_pb2

from control_plane.xds.inputs import XdsInputs
from control_plane.xds.pb import ADS as _ADS
from control_plane.xds.pb import any_of as _any
from control_plane.xds.pb import duration as _duration
from control_plane.xds.pb import socket_address as _socket_address
from control_plane.xds.resources import (
    DECISION_CLUSTER,
)

__all__ = [
    "Upstream",
    "decision_cluster",
    "load_assignment",
    "parse_upstream",
    "pod_cluster",
    "watch_health",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UPSTREAM_HTTP = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
# A pod that drops a connection under a request (a keep-alive race, a worker restart): one more


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where a catalog-style endpoint URL points, and the Host header the pod expects."""

    host: str
    port: int
    authority: str
    tls: bool
    is_ip: bool


def parse_upstream(url: str) -> Upstream | None:
    """Parse `http(s)://host[:port]/path`; None when the URL cannot name an upstream."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port if parts.port is not None else _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    if not 0 < port < 65536:
        return None
    authority = parts.netloc.rpartition("@")[2]
    return Upstream(
        parts.hostname, port, authority, parts.scheme == "https", _is_ip(parts.hostname)
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def load_assignment(name: str, upstream: Upstream) -> endpoint_pb2.ClusterLoadAssignment:
    """One endpoint whose hostname is the URL's authority, so auto_host_rewrite sends it as Host."""
    endpoint = endpoint_components_pb2.Endpoint(
        address=_socket_address(upstream.host, upstream.port),
        hostname=upstream.authority,
    )
    return endpoint_pb2.ClusterLoadAssignment(
        cluster_name=name,
        endpoints=[
            endpoint_components_pb2.LocalityLbEndpoints(
                lb_endpoints=[endpoint_components_pb2.LbEndpoint(endpoint=endpoint)]
            )
        ],
    )


def pod_cluster(
    assignment: endpoint_pb2.ClusterLoadAssignment,
    upstream: Upstream,
    inputs: XdsInputs,
    *,
    tls_insecure: bool = False,
) -> cluster_pb2.Cluster:
    """EDS for IP literals (endpoint moves update in place), STRICT_DNS with inline hosts else.

    https pods are verified (`_upstream_tls`) unless `tls_insecure`.
    """
    cluster = cluster_pb2.Cluster(
        name=assignment.cluster_name, connect_timeout=_duration(inputs.connect_timeout_s)
    )
    protocol = upstream_http.HttpProtocolOptions(
        common_http_protocol_options=protocol_pb2.HttpProtocolOptions(
            idle_timeout=_duration(inputs.upstream_idle_timeout_s)
        ),
        explicit_http_config=upstream_http.HttpProtocolOptions.ExplicitHttpConfig(
            http_protocol_options=protocol_pb2.Http1ProtocolOptions()
        ),
    )
    cluster.typed_extension_protocol_options[_UPSTREAM_HTTP].CopyFrom(_any(protocol))
    if upstream.is_ip:
        cluster.type = cluster_pb2.Cluster.EDS
        cluster.eds_cluster_config.eds_config.CopyFrom(_ADS)
    else:
        cluster.type = cluster_pb2.Cluster.STRICT_DNS
        cluster.dns_lookup_family = cluster_pb2.Cluster.V4_PREFERRED
        cluster.load_assignment.CopyFrom(assignment)
    if upstream.tls:
        tls = _upstream_tls(upstream, None if tls_insecure else inputs.pod_ca_file)
        cluster.transport_socket.name = "envoy.transport_sockets.tls"
        cluster.transport_socket.typed_config.CopyFrom(_any(tls))
    return cluster


def _upstream_tls(upstream: Upstream, ca_file: str | None) -> tls_pb2.UpstreamTlsContext:
    """TLS whose peer must chain to `ca_file` and name the endpoint's host; None: no checks.

    The name is fixed per cluster (one host each), so SNI and SAN are set here rather than
    derived per request (auto_sni / auto_san_validation) from a Host header that carries a port.
    """
    # NOTE: SNI must not be an IP literal (RFC 6066), so IP upstreams get TLS without it.
    tls = tls_pb2.UpstreamTlsContext(sni="" if upstream.is_ip else upstream.host)
    if ca_file is None:
        return tls
    if not ca_file:
        raise ValueError(f"https pod {upstream.authority} needs a CA bundle (pod_ca_file)")
    if upstream.is_ip:
        san = common_pb2.SubjectAltNameMatcher(
            san_type=common_pb2.SubjectAltNameMatcher.IP_ADDRESS,
            matcher=string_pb2.StringMatcher(exact=ipaddress.ip_address(upstream.host).compressed),
        )
    else:
        # Envoy matches a DNS SAN against `exact` as RFC 6125 says (wildcards included).
        san = common_pb2.SubjectAltNameMatcher(
            san_type=common_pb2.SubjectAltNameMatcher.DNS,
            matcher=string_pb2.StringMatcher(exact=upstream.host),
        )
    tls.common_tls_context.validation_context.CopyFrom(
        common_pb2.CertificateValidationContext(
            trusted_ca=base_pb2.DataSource(filename=ca_file),
            match_typed_subject_alt_names=[san],
        )
    )
    return tls


def decision_cluster(
    endpoints: tuple[tuple[str, int], ...], max_in_flight: int
) -> cluster_pb2.Cluster:
    """The decision processes, HTTP/2, one stream per request spread round robin.

    Envoy keeps one HTTP/2 connection per endpoint, so each process needs an endpoint of its own.
    The circuit breaker is sized on purpose (Envoy's default is 1024 streams): far above the
    decision service's per-project cap, so only many busy projects at once can trip it.
    An advertised host may be a name (a container's): Envoy resolves it (STRICT_DNS), as it
    does for the control plane in its bootstrap.
    """
    assignment = endpoint_pb2.ClusterLoadAssignment(
        cluster_name=DECISION_CLUSTER,
        endpoints=[
            endpoint_components_pb2.LocalityLbEndpoints(
                lb_endpoints=[
                    endpoint_components_pb2.LbEndpoint(
                        endpoint=endpoint_components_pb2.Endpoint(
                            address=_socket_address(host, port)
                        )
                    )
                    for host, port in endpoints
                ]
            )
        ],
    )
    protocol = upstream_http.HttpProtocolOptions(
        explicit_http_config=upstream_http.HttpProtocolOptions.ExplicitHttpConfig(
            http2_protocol_options=protocol_pb2.Http2ProtocolOptions()
        ),
    )
    cluster = cluster_pb2.Cluster(
        name=DECISION_CLUSTER,
        type=cluster_pb2.Cluster.STATIC,
        connect_timeout=_duration(1.0),
        load_assignment=assignment,
    )
    if not all(_is_ip(host) for host, _ in endpoints):
        cluster.type = cluster_pb2.Cluster.STRICT_DNS
        cluster.dns_lookup_family = cluster_pb2.Cluster.V4_PREFERRED
    cluster.typed_extension_protocol_options[_UPSTREAM_HTTP].CopyFrom(_any(protocol))
    limit = wrappers_pb2.UInt32Value(value=max_in_flight)
    cluster.circuit_breakers.thresholds.add(max_requests=limit, max_pending_requests=limit)
    return cluster


def watch_health(
    cluster: cluster_pb2.Cluster, upstream: Upstream, path: str, inputs: XdsInputs
) -> None:
    """Active checks of the pod's version document and ejection after repeated failures.

    A pod has one endpoint, so ejection may take all of it (max_ejection_percent 100): its
    requests then fail at once with 503 instead of waiting on a dead pod.
    """
    interval = _duration(inputs.health_interval_s)
    check = health_check_pb2.HealthCheck(
        timeout=_duration(inputs.health_timeout_s),
        interval=interval,
        no_traffic_interval=interval,
        unhealthy_threshold=wrappers_pb2.UInt32Value(value=inputs.unhealthy_threshold),
        healthy_threshold=wrappers_pb2.UInt32Value(value=inputs.healthy_threshold),
        http_health_check=health_check_pb2.HealthCheck.HttpHealthCheck(
            host=upstream.authority,
            path=path,
            # Cinder's root answers 300 Multiple Choices; a pod that answers at all is up.
            expected_statuses=[range_pb2.Int64Range(start=200, end=400)],
        ),
    )
    cluster.health_checks.append(check)
    cluster.outlier_detection.CopyFrom(
        outlier_detection_pb2.OutlierDetection(
            consecutive_5xx=wrappers_pb2.UInt32Value(value=5),
            consecutive_gateway_failure=wrappers_pb2.UInt32Value(value=3),
            enforcing_consecutive_gateway_failure=wrappers_pb2.UInt32Value(value=100),
            interval=interval,
            base_ejection_time=_duration(10 * inputs.health_interval_s),
            max_ejection_percent=wrappers_pb2.UInt32Value(value=100),
        )
    )
