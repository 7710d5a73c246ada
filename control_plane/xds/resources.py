"""xDS type URLs and the fixed resource names the translator, snapshot and ADS server share."""

CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
ENDPOINT_TYPE = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener"
ROUTE_TYPE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"

# The types every Envoy asks for, in push order on change: make-before-break, clusters and their
# endpoints before what uses them.
TYPE_ORDER: tuple[str, ...] = (CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE)
# Every type in push order, with those only some configs use (SDS: listener TLS) first.
PUSH_ORDER: tuple[str, ...] = (SECRET_TYPE, *TYPE_ORDER)

# SotW types whose requests mean "everything" (names ignored); the others send only what is asked.
WILDCARD_TYPES = frozenset({CLUSTER_TYPE, LISTENER_TYPE})

# The static bootstrap cluster that reaches the control plane's gRPC port (ADS and ext_proc).
CONTROL_PLANE_CLUSTER = "podgate_control_plane"
# The decision service's processes when there are several ([decision] workers > 0).
DECISION_CLUSTER = "podgate_decision"

# Listener names; each listener's route configuration carries the same name.
COMPUTE_LISTENER = "compute"
VOLUME_LISTENER = "volume"
NETWORK_LISTENER = "network"

# Short names for log lines.
TYPE_NAMES = {
    CLUSTER_TYPE: "CDS",
    ENDPOINT_TYPE: "EDS",
    LISTENER_TYPE: "LDS",
    ROUTE_TYPE: "RDS",
    SECRET_TYPE: "SDS",
}
