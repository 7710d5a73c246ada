"""Translate pods and listener settings into one xDS Snapshot (pure: no I/O, no clock)."""

from urllib.parse import urlsplit

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.endpoint.v3 import endpoint_pb2

from control_plane.endpoints import root_url
from control_plane.model import (
    PodState,
    Service,
    cluster_name,
)
from control_plane.xds.admin_rest import admin_rest
from control_plane.xds.clusters import (
    decision_cluster,
    load_assignment,
    parse_upstream,
    pod_cluster,
    watch_health,
)
from control_plane.xds.inputs import XdsInputs
from control_plane.xds.listeners import api_listener, route_configuration
from control_plane.xds.resources import (
    COMPUTE_LISTENER,
    NETWORK_LISTENER,
    VOLUME_LISTENER,
)
from control_plane.xds.snapshot import Snapshot
from control_plane.xds.tls import tls_secrets, upstream_tls

__all__ = ["XdsInputs", "translate"]


def translate(inputs: XdsInputs) -> Snapshot:
    """Build clusters (+EDS) per routable pod service and the fixed listeners and routes."""
    clusters: list[cluster_pb2.Cluster] = []
    assignments: list[endpoint_pb2.ClusterLoadAssignment] = []
    # Pods whose known resources Envoy routes by itself (renamed zones too: zones.py), but not,
    # in keystone mode, those not proven to check tokens.
    fast: dict[Service, dict[str, str]] = {service: {} for service in Service}
    for pod in inputs.pods:
        if pod.state == PodState.DISABLED:
            continue
        for service in Service:
            url = pod.endpoint(service)
            upstream = parse_upstream(url)
            if upstream is None:
                continue
            proven = inputs.pod_auth_passed
            if proven is None or (cluster_name(pod.name, service), url) in proven:
                fast[service][pod.name] = url
            assignment = load_assignment(cluster_name(pod.name, service), upstream)
            cluster = pod_cluster(assignment, upstream, inputs, tls_insecure=pod.tls_insecure)
            watch_health(cluster, upstream, urlsplit(root_url(url)).path, inputs)
            clusters.append(cluster)
            if upstream.is_ip:
                assignments.append(assignment)
    apis = (
        (COMPUTE_LISTENER, inputs.compute_port, Service.COMPUTE),
        (VOLUME_LISTENER, inputs.volume_port, Service.VOLUME),
        (NETWORK_LISTENER, inputs.network_port, Service.NETWORK),
    )
    listeners = [api_listener(name, port, service, inputs) for name, port, service in apis]
    if inputs.decision_endpoints:
        clusters.append(decision_cluster(inputs.decision_endpoints, inputs.max_in_flight))
        if inputs.control_plane_tls is not None:
            clusters[-1].transport_socket.CopyFrom(upstream_tls(inputs.control_plane_tls))
    if inputs.admin_rest_port:
        listeners.append(
            admin_rest(
                listen_host=inputs.admin_rest_host,
                port=inputs.admin_rest_port,
                descriptor_set=inputs.admin_rest_descriptors,
                tls=inputs.admin_rest_tls,
            )
        )
    return Snapshot.build(
        clusters=clusters,
        endpoints=assignments,
        listeners=listeners,
        routes=[
            route_configuration(name, service, inputs, fast[service]) for name, _, service in apis
        ],
        secrets=tls_secrets(inputs.listener_tls, inputs.admin_rest_tls),
    )
