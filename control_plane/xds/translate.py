"""Translate pods and listener settings into one xDS Snapshot (pure: no I/O, no clock)."""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from envoy.config.accesslog.v3 import accesslog_pb2 as accesslog
from envoy.config.cluster.v3 import cluster_pb2, outlier_detection_pb2
from envoy.config.common.mutation_rules.v3 import mutation_rules_pb2 as mutation_rules
from envoy.config.core.v3 import (
    address_pb2,
    base_pb2,
    config_source_pb2,
    grpc_service_pb2,
    health_check_pb2,
    protocol_pb2,
)
from envoy.config.core.v3 import substitution_format_string_pb2 as substitution
from envoy.config.endpoint.v3 import endpoint_components_pb2, endpoint_pb2
from envoy.config.listener.v3 import listener_components_pb2, listener_pb2
from envoy.config.route.v3 import route_components_pb2, route_pb2
from envoy.extensions.access_loggers.filters.cel.v3 import cel_pb2
from envoy.extensions.filters.http.ext_proc.v3 import ext_proc_pb2, processing_mode_pb2
from envoy.extensions.filters.http.header_mutation.v3 import header_mutation_pb2
from envoy.extensions.filters.http.router.v3 import router_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)
from envoy.extensions.transport_sockets.tls.v3 import tls_pb2
from envoy.extensions.upstreams.http.v3 import http_protocol_options_pb2 as upstream_http
from envoy.type.matcher.v3 import regex_pb2, string_pb2
from envoy.type.v3 import range_pb2
from google.protobuf import any_pb2, duration_pb2, struct_pb2, wrappers_pb2
from google.protobuf.message import Message

from control_plane.decision.version_docs import root_url
from control_plane.errors import fault_name
from control_plane.fastpath import known_routes
from control_plane.model import (
    INTERNAL_HEADER_PREFIX,
    POD_HEADER,
    SERVICE_METADATA,
    Pod,
    PodState,
    Routing,
    Service,
    cluster_name,
)
from control_plane.xds.admin_rest import admin_rest
from control_plane.xds.resources import (
    COMPUTE_LISTENER,
    CONTROL_PLANE_CLUSTER,
    DECISION_CLUSTER,
    VOLUME_LISTENER,
)
from control_plane.xds.snapshot import Snapshot

__all__ = ["XdsInputs", "translate"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ADS = config_source_pb2.ConfigSource(
    ads=config_source_pb2.AggregatedConfigSource(),
    resource_api_version=config_source_pb2.ApiVersion.V3,
)
_UPSTREAM_HTTP = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
# A pod that drops a connection under a request (a keep-alive race, a worker restart): one more
# try on a fresh connection, only where repeating is harmless (RFC 9110 §9.2.2).
_RETRY_IDEMPOTENT = route_components_pb2.RetryPolicy(
    retry_on="connect-failure,reset",
    num_retries=wrappers_pb2.UInt32Value(value=1),
    retriable_request_headers=[
        route_components_pb2.HeaderMatcher(
            name=":method",
            string_match=string_pb2.StringMatcher(
                safe_regex=regex_pb2.RegexMatcher(regex="GET|HEAD|PUT|DELETE|OPTIONS")
            ),
        )
    ],
)
# Statuses with a specific OpenStack fault name; any other error status becomes computeFault.
_MAPPED_STATUSES = (400, 404, 413, 503)
_EXT_PROC = "envoy.filters.http.ext_proc"
# A pod that is ejected, failing health checks, refusing or dropping connections.
_POD_DOWN_FLAGS = ("UH", "UF", "UC", "URX", "UO")
_POD_DOWN_MESSAGE = "The pod behind %UPSTREAM_CLUSTER% is not available: %LOCAL_REPLY_BODY%."
_NO_DECISION_MESSAGE = "The gateway cannot place this request right now; try again later."
_BAD_PATH_MESSAGE = "The request path is not valid."
_DEFAULT_BUFFER = 1_048_576  # Envoy's own default
_HEADER_ROOM = 65_536


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
    admin_rest_descriptors: bytes = b""
    known: tuple[Routing, ...] = ()
    # The largest request body the decision service reads (Envoy buffers it first).
    max_body_bytes: int = 1_048_576
    # Active health checks of every pod cluster (the pod's version document, no token).
    health_interval_s: float = 2.0
    health_timeout_s: float = 1.0
    unhealthy_threshold: int = 2
    healthy_threshold: int = 1


@dataclass(frozen=True, slots=True)
class _Upstream:
    """Where a catalog-style endpoint URL points, and the Host header the pod expects."""

    host: str
    port: int
    authority: str
    tls: bool
    is_ip: bool


def translate(inputs: XdsInputs) -> Snapshot:
    """Build clusters (+EDS) per routable pod service and the fixed listeners and routes."""
    clusters: list[cluster_pb2.Cluster] = []
    assignments: list[endpoint_pb2.ClusterLoadAssignment] = []
    # Pods whose known resources Envoy routes by itself: not those whose answers need rewriting.
    fast: dict[Service, dict[str, str]] = {service: {} for service in Service}
    for pod in inputs.pods:
        if pod.state == PodState.DISABLED:
            continue
        for service in Service:
            url = pod.endpoints.get(service.value, "")
            upstream = _upstream(url)
            if upstream is None:
                continue
            if not pod.renames_az:
                fast[service][pod.name] = url
            assignment = _load_assignment(cluster_name(pod.name, service), upstream)
            cluster = _cluster(assignment, upstream, inputs)
            _watch_health(cluster, upstream, urlsplit(root_url(url)).path, inputs)
            clusters.append(cluster)
            if upstream.is_ip:
                assignments.append(assignment)
    apis = (
        (COMPUTE_LISTENER, inputs.compute_port, Service.COMPUTE),
        (VOLUME_LISTENER, inputs.volume_port, Service.VOLUME),
    )
    listeners = [_listener(name, port, service, inputs) for name, port, service in apis]
    if inputs.decision_endpoints:
        clusters.append(_decision_cluster(inputs.decision_endpoints))
    if inputs.admin_rest_port:
        listeners.append(
            admin_rest(
                listen_host=inputs.listen_host,
                port=inputs.admin_rest_port,
                descriptor_set=inputs.admin_rest_descriptors,
            )
        )
    return Snapshot.build(
        clusters=clusters,
        endpoints=assignments,
        listeners=listeners,
        routes=[
            _route_configuration(name, service, inputs, fast[service]) for name, _, service in apis
        ],
    )


def _upstream(url: str) -> _Upstream | None:
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
    try:
        ipaddress.ip_address(parts.hostname)
        is_ip = True
    except ValueError:
        is_ip = False
    authority = parts.netloc.rpartition("@")[2]
    return _Upstream(parts.hostname, port, authority, parts.scheme == "https", is_ip)


def _load_assignment(name: str, upstream: _Upstream) -> endpoint_pb2.ClusterLoadAssignment:
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


def _cluster(
    assignment: endpoint_pb2.ClusterLoadAssignment, upstream: _Upstream, inputs: XdsInputs
) -> cluster_pb2.Cluster:
    """EDS for IP literals (endpoint moves update in place), STRICT_DNS with inline hosts else."""
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
        # NOTE: SNI must not be an IP literal (RFC 6066), so IP upstreams get TLS without it.
        tls = tls_pb2.UpstreamTlsContext(sni="" if upstream.is_ip else upstream.host)
        cluster.transport_socket.name = "envoy.transport_sockets.tls"
        cluster.transport_socket.typed_config.CopyFrom(_any(tls))
    return cluster


def _decision_cluster(endpoints: tuple[tuple[str, int], ...]) -> cluster_pb2.Cluster:
    """The decision processes, HTTP/2, one stream per request spread round robin.

    Envoy keeps one HTTP/2 connection per endpoint, so each process needs an endpoint of its own.
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
    cluster.typed_extension_protocol_options[_UPSTREAM_HTTP].CopyFrom(_any(protocol))
    return cluster


def _watch_health(
    cluster: cluster_pb2.Cluster, upstream: _Upstream, path: str, inputs: XdsInputs
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


def _listener(name: str, port: int, service: Service, inputs: XdsInputs) -> listener_pb2.Listener:
    """One API's listener: strip internal headers, ask the processor, route by its header."""
    manager = hcm.HttpConnectionManager(
        stat_prefix=name,
        codec_type=hcm.HttpConnectionManager.AUTO,
        rds=hcm.Rds(config_source=_ADS, route_config_name=name),
        generate_request_id=wrappers_pb2.BoolValue(value=True),
        use_remote_address=wrappers_pb2.BoolValue(value=True),
        # The fast path matches path prefixes: `..` and `//` must not change what a path names.
        normalize_path=wrappers_pb2.BoolValue(value=True),
        merge_slashes=True,
        # Any method reaches the decision service, which answers 405 as the APIs do; Envoy's
        # parser would answer a plain-text 400.
        http_protocol_options=protocol_pb2.Http1ProtocolOptions(allow_custom_methods=True),
        http_filters=[
            _http_filter("envoy.filters.http.header_mutation", _strip_internal_headers()),
            # Off unless a route turns it on: known resources never open a processor stream.
            hcm.HttpFilter(
                name=_EXT_PROC, typed_config=_any(_ext_proc(service, inputs)), disabled=True
            ),
            _http_filter("envoy.filters.http.router", router_pb2.Router()),
        ],
        local_reply_config=_local_reply_config(),
    )
    chain = listener_components_pb2.FilterChain(
        filters=[
            listener_components_pb2.Filter(
                name="envoy.filters.network.http_connection_manager", typed_config=_any(manager)
            )
        ]
    )
    return listener_pb2.Listener(
        name=name,
        address=_socket_address(inputs.listen_host, port),
        filter_chains=[chain],
        # Room for the largest body the decision service accepts, plus headers.
        per_connection_buffer_limit_bytes=wrappers_pb2.UInt32Value(
            value=max(inputs.max_body_bytes + _HEADER_ROOM, _DEFAULT_BUFFER)
        ),
    )


def _strip_internal_headers() -> header_mutation_pb2.HeaderMutation:
    """Remove every client-sent x-podgate-* header before anything reads it."""
    remove = mutation_rules.HeaderMutation.RemoveOnMatch(
        key_matcher=string_pb2.StringMatcher(prefix=INTERNAL_HEADER_PREFIX)
    )
    return header_mutation_pb2.HeaderMutation(
        mutations=header_mutation_pb2.Mutations(
            request_mutations=[mutation_rules.HeaderMutation(remove_on_match=remove)]
        )
    )


def _ext_proc(service: Service, inputs: XdsInputs) -> ext_proc_pb2.ExternalProcessor:
    """Request headers only; the processor asks for bodies per request via mode_override."""
    mode = processing_mode_pb2.ProcessingMode
    grpc_service = grpc_service_pb2.GrpcService(
        envoy_grpc=grpc_service_pb2.GrpcService.EnvoyGrpc(
            cluster_name=DECISION_CLUSTER if inputs.decision_endpoints else CONTROL_PLANE_CLUSTER
        ),
        initial_metadata=[base_pb2.HeaderValue(key=SERVICE_METADATA, value=service.value)],
    )
    timeout = duration_pb2.Duration()
    timeout.FromMilliseconds(inputs.ext_proc_message_timeout_ms)
    return ext_proc_pb2.ExternalProcessor(
        grpc_service=grpc_service,
        processing_mode=mode(
            request_header_mode=mode.SEND,
            response_header_mode=mode.SKIP,
            request_body_mode=mode.NONE,
            response_body_mode=mode.NONE,
            request_trailer_mode=mode.SKIP,
            response_trailer_mode=mode.SKIP,
        ),
        allow_mode_override=True,
        message_timeout=timeout,
        failure_mode_allow=False,
    )


def _local_reply_config() -> hcm.LocalReplyConfig:
    """Envoy's own error replies as OpenStack faults; the first matching mapper wins.

    Only replies Envoy made itself are mapped: those with a response flag (no healthy upstream,
    no cluster, connect failure, timeout) and ext_proc failures. The processor's immediate
    responses carry neither and already hold a complete fault body, so they pass untouched.
    """
    eq, ge = accesslog.ComparisonFilter.EQ, accesslog.ComparisonFilter.GE
    # Envoy's own words here name no pod or none at all, so the message is ours.
    mappers = [
        _fault_mapper(_details_are("path_normalization_failed"), 400, _BAD_PATH_MESSAGE),
        _fault_mapper(_flagged(eq, 503, "NC"), 503, "The pod for this request is not available."),
        _fault_mapper(_flagged(eq, 503, *_POD_DOWN_FLAGS), 503, _POD_DOWN_MESSAGE),
        # The processor is down or slow: a bounded 503, so clients retry as for any outage.
        _fault_mapper(_ext_proc_failed(), 503, _NO_DECISION_MESSAGE, override=True),
    ]
    mappers += [_fault_mapper(_flagged(eq, status), status) for status in _MAPPED_STATUSES]
    mappers.append(_fault_mapper(_flagged(ge, 400), 500))
    return hcm.LocalReplyConfig(mappers=mappers)


def _flagged(op: int, status: int, *flags: str) -> accesslog.AccessLogFilter:
    """Replies whose status compares `op` to `status` and that carry a flag (any, or `flags`)."""
    key = f"podgate.local_reply.{accesslog.ComparisonFilter.Op.Name(op).lower()}_{status}"
    value = base_pb2.RuntimeUInt32(default_value=status, runtime_key=key)
    comparison = accesslog.ComparisonFilter(op=op, value=value)
    by_status = accesslog.StatusCodeFilter(comparison=comparison)
    return accesslog.AccessLogFilter(
        and_filter=accesslog.AndFilter(
            filters=[
                accesslog.AccessLogFilter(status_code_filter=by_status),
                accesslog.AccessLogFilter(
                    response_flag_filter=accesslog.ResponseFlagFilter(flags=flags)
                ),
            ]
        )
    )


def _ext_proc_failed() -> accesslog.AccessLogFilter:
    """The processor errored or timed out: Envoy answers 500/504 with no flag and no body."""
    return _cel("response.code_details.startsWith('ext_proc_error')")


def _details_are(details: str) -> accesslog.AccessLogFilter:
    """Envoy's replies for one reason (`%RESPONSE_CODE_DETAILS%`), e.g. a path it cannot
    normalise (`%00`, encoded slashes), which it answers with an empty 400."""
    return _cel(f"response.code_details == '{details}'")


def _cel(source: str) -> accesslog.AccessLogFilter:
    expression = cel_pb2.ExpressionFilter(expression=source)
    return accesslog.AccessLogFilter(
        extension_filter=accesslog.ExtensionFilter(
            name="envoy.access_loggers.extension_filters.cel", typed_config=_any(expression)
        )
    )


def _fault_mapper(
    matching: accesslog.AccessLogFilter,
    status: int,
    message: str = "%LOCAL_REPLY_BODY%",
    *,
    override: bool = False,
) -> hcm.ResponseMapper:
    """Replace the body of matching replies with the fault for `status`; the code stays
    Envoy's unless `override`."""
    fault = fault_name(status)
    body = struct_pb2.Struct()
    body.update({fault: {"message": message, "code": "%RESPONSE_CODE%"}})
    mapper = hcm.ResponseMapper(
        filter=matching,
        body_format_override=substitution.SubstitutionFormatString(
            json_format=body, content_type="application/json"
        ),
    )
    if override:
        mapper.status_code.value = status
    return mapper


def _route_configuration(
    name: str, service: Service, inputs: XdsInputs, endpoints: dict[str, str]
) -> route_pb2.RouteConfiguration:
    """Known resources go straight to their pod; everything else to the cluster the processor
    names (its route turns the processor on)."""
    timeout = _duration(inputs.upstream_timeout_s)
    decided = route_components_pb2.RouteAction(
        cluster_header=POD_HEADER,
        auto_host_rewrite=wrappers_pb2.BoolValue(value=True),
        timeout=timeout,
        cluster_not_found_response_code=route_components_pb2.RouteAction.SERVICE_UNAVAILABLE,
    )
    enable = route_components_pb2.FilterConfig(
        config=_any(ext_proc_pb2.ExtProcPerRoute(overrides=ext_proc_pb2.ExtProcOverrides()))
    )
    fallback = route_components_pb2.Route(
        match=route_components_pb2.RouteMatch(prefix="/"),
        route=decided,
        request_headers_to_remove=[POD_HEADER],  # chosen by then; pods need not see it
        typed_per_filter_config={_EXT_PROC: _any(enable)},
    )
    config = route_pb2.RouteConfiguration(name=name)
    known_routes(
        config.virtual_hosts.add(name=name, domains=["*"], retry_policy=_RETRY_IDEMPOTENT),
        service,
        inputs.known,
        endpoints,
        fallback=fallback,
        action=route_components_pb2.RouteAction(
            auto_host_rewrite=wrappers_pb2.BoolValue(value=True), timeout=timeout
        ),
    )
    return config


def _http_filter(name: str, config: Message) -> hcm.HttpFilter:
    return hcm.HttpFilter(name=name, typed_config=_any(config))


def _socket_address(host: str, port: int) -> address_pb2.Address:
    return address_pb2.Address(
        socket_address=address_pb2.SocketAddress(address=host, port_value=port)
    )


def _duration(seconds: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(seconds * 1_000_000_000))
    return duration


def _any(message: Message) -> any_pb2.Any:
    """Pack deterministically so equal configs hash to equal versions in every process."""
    packed = any_pb2.Any()
    packed.Pack(message, deterministic=True)
    return packed
