"""The compute and volume listeners and their routes: strip, ask the processor, route."""

from envoy.config.common.mutation_rules.v3 import mutation_rules_pb2 as mutation_rules
from envoy.config.core.v3 import (
    base_pb2,
    grpc_service_pb2,
    protocol_pb2,
)
from envoy.config.listener.v3 import listener_components_pb2, listener_pb2
from envoy.config.route.v3 import route_components_pb2, route_pb2
from envoy.extensions.filters.http.ext_proc.v3 import ext_proc_pb2, processing_mode_pb2
from envoy.extensions.filters.http.header_mutation.v3 import header_mutation_pb2
from envoy.extensions.filters.http.router.v3 import router_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)
from envoy.type.matcher.v3 import regex_pb2, string_pb2
from google.protobuf import duration_pb2, wrappers_pb2
from google.protobuf.message import Message

from control_plane.model import (
    ENVOY_TOKEN_METADATA,
    INTERNAL_HEADER_PREFIX,
    POD_HEADER,
    SERVICE_METADATA,
    Service,
)
from control_plane.xds.fast_path import PROXY_HEADERS, fast_path_routes, path_header
from control_plane.xds.inputs import XdsInputs
from control_plane.xds.local_reply import local_reply_config
from control_plane.xds.pb import ADS as _ADS
from control_plane.xds.pb import any_of as _any
from control_plane.xds.pb import duration as _duration
from control_plane.xds.pb import socket_address as _socket_address
from control_plane.xds.rate_limit import (
    PROJECT_OF_PATH_FILTER,
    RATE_LIMIT_FILTER,
    project_of_path,
    project_rate_limit,
)
from control_plane.xds.resources import (
    CONTROL_PLANE_CLUSTER,
    DECISION_CLUSTER,
)
from control_plane.xds.tls import downstream_tls
from control_plane.xds.zones import zone_contexts, zone_filter

__all__ = ["api_listener", "route_configuration"]

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
_EXT_PROC = "envoy.filters.http.ext_proc"
_DEFAULT_BUFFER = 1_048_576  # Envoy's own default
_HEADER_ROOM = 65_536


def api_listener(
    name: str, port: int, service: Service, inputs: XdsInputs
) -> listener_pb2.Listener:
    """One API's listener: strip internal headers, ask the processor, route by its header."""
    manager = hcm.HttpConnectionManager(
        stat_prefix=name,
        codec_type=hcm.HttpConnectionManager.AUTO,
        rds=hcm.Rds(config_source=_ADS, route_config_name=name),
        generate_request_id=wrappers_pb2.BoolValue(value=True),
        use_remote_address=wrappers_pb2.BoolValue(value=True),
        # The fast path matches path prefixes: `..` and `//` must not change what a path names,
        # nor may `%2F`/`%5C` hide a slash from it (rejected with 400).
        normalize_path=wrappers_pb2.BoolValue(value=True),
        merge_slashes=True,
        # `%2F` (or `%5C`) would make one path segment two once a pod decodes it.
        path_with_escaped_slashes_action=hcm.HttpConnectionManager.REJECT_REQUEST,
        # What the fast path's table is keyed on (set before a route is picked).
        early_header_mutation_extensions=[path_header()],
        # Slow or stalled clients must not hold connections and decision streams: headers,
        # the whole request and any silence are bounded.
        request_headers_timeout=_duration(inputs.request_headers_timeout_s),
        request_timeout=_duration(inputs.request_timeout_s),
        stream_idle_timeout=_duration(inputs.stream_idle_timeout_s),
        http2_protocol_options=protocol_pb2.Http2ProtocolOptions(
            max_concurrent_streams=wrappers_pb2.UInt32Value(value=inputs.max_concurrent_streams)
        ),
        http_filters=_http_filters(service, inputs),
        local_reply_config=local_reply_config(),
    )
    chain = listener_components_pb2.FilterChain(
        filters=[
            listener_components_pb2.Filter(
                name="envoy.filters.network.http_connection_manager", typed_config=_any(manager)
            )
        ],
        transport_socket=downstream_tls(inputs.listener_tls),
    )
    return listener_pb2.Listener(
        name=name,
        address=_socket_address(inputs.listen_host, port),
        filter_chains=[chain],
        # A second gateway on the same port must fail to bind, not silently take half the
        # connections (SO_REUSEPORT, Envoy's default on Linux).
        enable_reuse_port=wrappers_pb2.BoolValue(value=False),
        # Room for the largest body the decision service accepts, plus headers.
        per_connection_buffer_limit_bytes=wrappers_pb2.UInt32Value(
            value=max(inputs.max_body_bytes + _HEADER_ROOM, _DEFAULT_BUFFER)
        ),
    )


def _http_filters(service: Service, inputs: XdsInputs) -> list[hcm.HttpFilter]:
    """Strip, limit each project's rate (before any work is done for it), decide, route."""
    filters = [_http_filter("envoy.filters.http.header_mutation", _strip_internal_headers())]
    if inputs.project_rate_per_s:
        filters.append(_http_filter(PROJECT_OF_PATH_FILTER, project_of_path()))
        filters.append(_http_filter(RATE_LIMIT_FILTER, project_rate_limit(inputs)))
    # Off unless a route turns it on: known resources never open a processor stream.
    filters.append(
        hcm.HttpFilter(name=_EXT_PROC, typed_config=_any(_ext_proc(service, inputs)), disabled=True)
    )
    filters.append(zone_filter())  # off too: renamed pods' fast-path routes turn it on
    filters.append(_http_filter("envoy.filters.http.router", router_pb2.Router()))
    return filters


def _strip_internal_headers() -> header_mutation_pb2.HeaderMutation:
    """Remove every client-sent x-podgate-* header before anything reads it, and the proxy
    headers a pod builds its links from (only Envoy's own may reach a pod: see PROXY_HEADERS)."""
    remove = mutation_rules.HeaderMutation.RemoveOnMatch(
        key_matcher=string_pb2.StringMatcher(prefix=INTERNAL_HEADER_PREFIX)
    )
    mutations = [mutation_rules.HeaderMutation(remove_on_match=remove)]
    mutations += [mutation_rules.HeaderMutation(remove=name) for name in PROXY_HEADERS]
    return header_mutation_pb2.HeaderMutation(
        mutations=header_mutation_pb2.Mutations(request_mutations=mutations)
    )


def _ext_proc(service: Service, inputs: XdsInputs) -> ext_proc_pb2.ExternalProcessor:
    """Request headers only; the processor asks for bodies per request via mode_override."""
    mode = processing_mode_pb2.ProcessingMode
    metadata = [base_pb2.HeaderValue(key=SERVICE_METADATA, value=service.value)]
    if inputs.envoy_token:  # the decision service refuses streams without it
        metadata.append(base_pb2.HeaderValue(key=ENVOY_TOKEN_METADATA, value=inputs.envoy_token))
    grpc_service = grpc_service_pb2.GrpcService(
        envoy_grpc=grpc_service_pb2.GrpcService.EnvoyGrpc(
            cluster_name=DECISION_CLUSTER if inputs.decision_endpoints else CONTROL_PLANE_CLUSTER
        ),
        initial_metadata=metadata,
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


def route_configuration(
    name: str, service: Service, inputs: XdsInputs, endpoints: dict[str, str]
) -> route_pb2.RouteConfiguration:
    """Known resources go straight to their pod; everything else to the cluster the processor
    names (its route turns the processor on)."""
    timeout = _duration(inputs.upstream_timeout_s)
    decided = route_components_pb2.RouteAction(
        cluster_header=POD_HEADER,
        auto_host_rewrite=wrappers_pb2.BoolValue(value=True),
        append_x_forwarded_host=True,
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
    fast_path_routes(
        config.virtual_hosts.add(name=name, domains=["*"], retry_policy=_RETRY_IDEMPOTENT),
        service,
        inputs.fast_path,
        endpoints,
        fallback=fallback,
        action=route_components_pb2.RouteAction(
            auto_host_rewrite=wrappers_pb2.BoolValue(value=True), timeout=timeout
        ),
        zones=zone_contexts(inputs.pods),
    )
    return config


def _http_filter(name: str, config: Message) -> hcm.HttpFilter:
    return hcm.HttpFilter(name=name, typed_config=_any(config))
