"""What the Envoy config is built from (plain data, shared by the translator's parts)."""

from dataclasses import dataclass, field

from control_plane.model import Pod, Routing
from control_plane.settings import DecisionSettings, EnvoySettings
from control_plane.xds.tls import ServerCert, UpstreamTls

__all__ = ["XdsInputs"]


@dataclass(frozen=True, slots=True)
class XdsInputs:
    """Everything the Envoy config depends on: the pods plus listener and timeout settings.

    The admin REST listener exists when `admin_rest_port` is set; it needs the descriptor set.
    `known`: the routings Envoy routes by itself (the fast path); the rest ask the processor.
    """

    pods: tuple[Pod, ...]
    listen_host: str
    compute_port: int
    volume_port: int
    network_port: int
    connect_timeout_s: float
    upstream_timeout_s: float
    ext_proc_message_timeout_ms: int
    # Below the pods' keep-alive (gunicorn 2 s, Apache 5 s), so Envoy closes idle connections
    # before a pod does and never sends a request into one the pod is closing.
    upstream_idle_timeout_s: float = 1.0
    # Where the decision service listens when it runs in several processes (host, port each);
    # empty: the control plane's own gRPC port, through the bootstrap cluster.
    decision_endpoints: tuple[tuple[str, int], ...] = ()
    admin_rest_port: int = 0
    admin_rest_host: str = "127.0.0.1"
    admin_rest_descriptors: bytes = b""
    fast_path: tuple[Routing, ...] = ()
    # (pod cluster, endpoint URL) of the pod services proven to check tokens: only their known
    # resources are on the fast path; None: every pod's are (noauth, or pods trusted unproven).
    pod_auth_passed: frozenset[tuple[str, str]] | None = None
    # The largest request body the decision service reads (Envoy buffers it first).
    max_body_bytes: int = 1_048_576
    # Active health checks of every pod cluster (the pod's version document, no token).
    health_interval_s: float = 2.0
    health_timeout_s: float = 1.0
    unhealthy_threshold: int = 2
    healthy_threshold: int = 1
    # TLS: the compute/volume listeners' and the admin REST listener's certificates (None:
    # plaintext), and how Envoy checks the decision workers' gRPC ports (None: plaintext).
    listener_tls: ServerCert | None = None
    admin_rest_tls: ServerCert | None = None
    control_plane_tls: UpstreamTls | None = None
    # The CA bundle (a path Envoy reads) that https pods' certificates must chain to; required
    # as soon as one https pod is not marked tls_insecure.
    pod_ca_file: str = ""
    # What Envoy shows the decision service on each ext_proc stream ("": nothing).
    envoy_token: str = field(default="", repr=False)
    # Client bounds on the API listeners (EnvoySettings says why).
    request_headers_timeout_s: float = EnvoySettings().request_headers_timeout_s
    request_timeout_s: float = EnvoySettings().request_timeout_s
    stream_idle_timeout_s: float = EnvoySettings().stream_idle_timeout_s
    max_concurrent_streams: int = EnvoySettings().max_concurrent_streams
    project_rate_per_s: int = EnvoySettings().project_rate_per_s
    project_burst: int = EnvoySettings().project_burst
    rate_limited_projects: int = EnvoySettings().rate_limited_projects
    # The decision cluster's circuit breaker (streams open at once).
    max_in_flight: int = DecisionSettings().max_in_flight
