"""The admin REST listener: Envoy's gRPC-JSON transcoder in front of the Trio2oAdmin service (pure).

Trio2o's /v1.0 routes come from the google.api.http annotations in the descriptor set, so there
is no hand-written HTTP server. Errors are google.rpc.Status JSON (`{"code": 5, "message": ...}`,
`code` being the gRPC code) whether the control plane or Envoy itself answered.
"""

from envoy.config.accesslog.v3 import accesslog_pb2 as accesslog
from envoy.config.common.mutation_rules.v3 import mutation_rules_pb2 as mutation_rules
from envoy.config.core.v3 import address_pb2, base_pb2
from envoy.config.core.v3 import substitution_format_string_pb2 as substitution
from envoy.config.listener.v3 import listener_components_pb2, listener_pb2
from envoy.config.route.v3 import route_components_pb2, route_pb2
from envoy.extensions.filters.http.grpc_json_transcoder.v3 import transcoder_pb2
from envoy.extensions.filters.http.header_mutation.v3 import header_mutation_pb2
from envoy.extensions.filters.http.router.v3 import router_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)
from envoy.type.matcher.v3 import string_pb2
from google.protobuf import struct_pb2, wrappers_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2

from control_plane.xds.pb import any_of
from control_plane.xds.resources import CONTROL_PLANE_CLUSTER
from control_plane.xds.tls import ServerCert, downstream_tls
from podgate_api.admin.v1 import trio2o_pb2

__all__ = ["ADMIN_REST_LISTENER", "admin_rest"]

# The listener's name, also its route configuration's and virtual host's.
ADMIN_REST_LISTENER = "admin_rest"
_SERVICE = trio2o_pb2.DESCRIPTOR.services_by_name["Trio2oAdmin"].full_name
# The gRPC code an Envoy-made reply reports, by HTTP status (the inverse of the transcoder's map).
_LOCAL_REPLY_CODES = (
    (400, code_pb2.INVALID_ARGUMENT),
    (404, code_pb2.NOT_FOUND),
    (413, code_pb2.RESOURCE_EXHAUSTED),
    (503, code_pb2.UNAVAILABLE),
    (504, code_pb2.DEADLINE_EXCEEDED),
)


def admin_rest(
    *, listen_host: str, port: int, descriptor_set: bytes, tls: ServerCert | None = None
) -> listener_pb2.Listener:
    """The listener that transcodes /v1.0 JSON into Trio2oAdmin calls to the control plane.

    Its route is inline (it never changes): RDS would only add a resource whose one cluster,
    the bootstrap's, the snapshot does not hold.
    """
    if not descriptor_set:
        raise ValueError("the admin REST listener needs the podgate descriptor set")
    manager = hcm.HttpConnectionManager(
        stat_prefix=ADMIN_REST_LISTENER,
        codec_type=hcm.HttpConnectionManager.AUTO,
        route_config=_route_configuration(),
        generate_request_id=wrappers_pb2.BoolValue(value=True),
        use_remote_address=wrappers_pb2.BoolValue(value=True),
        http_filters=[
            _http_filter("envoy.filters.http.header_mutation", _strip_grpc_headers()),
            _http_filter("envoy.filters.http.grpc_json_transcoder", _transcoder(descriptor_set)),
            _http_filter("envoy.filters.http.router", router_pb2.Router()),
        ],
        local_reply_config=hcm.LocalReplyConfig(mappers=_status_mappers()),
    )
    chain = listener_components_pb2.FilterChain(
        filters=[
            listener_components_pb2.Filter(
                name="envoy.filters.network.http_connection_manager", typed_config=any_of(manager)
            )
        ],
        transport_socket=downstream_tls(tls),
    )
    return listener_pb2.Listener(
        name=ADMIN_REST_LISTENER,
        address=address_pb2.Address(
            socket_address=address_pb2.SocketAddress(address=listen_host, port_value=port)
        ),
        filter_chains=[chain],
        enable_reuse_port=wrappers_pb2.BoolValue(value=False),  # see api_listener
    )


def _transcoder(descriptor_set: bytes) -> transcoder_pb2.GrpcJsonTranscoder:
    """Trio2o's JSON keys as written in the proto; unknown paths are refused, not forwarded."""
    config = transcoder_pb2.GrpcJsonTranscoder
    return config(
        proto_descriptor_bin=descriptor_set,
        services=[_SERVICE],
        print_options=config.PrintOptions(
            always_print_primitive_fields=True, preserve_proto_field_names=True
        ),
        convert_grpc_status=True,
        ignore_unknown_query_parameters=True,  # Trio2o has no filters and ignores them too
        request_validation_options=config.RequestValidationOptions(reject_unknown_method=True),
    )


def _strip_grpc_headers() -> header_mutation_pb2.HeaderMutation:
    """Drop grpc-* headers from REST answers (runs after the transcoder, which reads them)."""
    remove = mutation_rules.HeaderMutation.RemoveOnMatch(
        key_matcher=string_pb2.StringMatcher(prefix="grpc-")
    )
    return header_mutation_pb2.HeaderMutation(
        mutations=header_mutation_pb2.Mutations(
            response_mutations=[mutation_rules.HeaderMutation(remove_on_match=remove)]
        )
    )


def _route_configuration() -> route_pb2.RouteConfiguration:
    """Only Trio2oAdmin calls reach the control plane: not ADS, ext_proc or PodAdmin."""
    route = route_components_pb2.Route(
        match=route_components_pb2.RouteMatch(prefix=f"/{_SERVICE}/"),
        route=route_components_pb2.RouteAction(cluster=CONTROL_PLANE_CLUSTER),
    )
    host = route_components_pb2.VirtualHost(name=ADMIN_REST_LISTENER, domains=["*"], routes=[route])
    return route_pb2.RouteConfiguration(name=ADMIN_REST_LISTENER, virtual_hosts=[host])


def _status_mappers() -> list[hcm.ResponseMapper]:
    """Envoy's own error replies (bad JSON, unknown path, control plane down) as Status JSON."""
    eq, ge = accesslog.ComparisonFilter.EQ, accesslog.ComparisonFilter.GE
    mappers = [_status_mapper(eq, status, code) for status, code in _LOCAL_REPLY_CODES]
    mappers.append(_status_mapper(ge, 400, code_pb2.UNKNOWN))
    return mappers


def _status_mapper(op: int, status: int, code: int) -> hcm.ResponseMapper:
    """Replies whose status compares `op` to `status` get a Status body with `code`."""
    key = f"podgate.admin_rest.{accesslog.ComparisonFilter.Op.Name(op).lower()}_{status}"
    comparison = accesslog.ComparisonFilter(
        op=op, value=base_pb2.RuntimeUInt32(default_value=status, runtime_key=key)
    )
    body = struct_pb2.Struct()
    body.update({"code": code, "message": "%LOCAL_REPLY_BODY%", "details": []})
    return hcm.ResponseMapper(
        filter=accesslog.AccessLogFilter(
            status_code_filter=accesslog.StatusCodeFilter(comparison=comparison)
        ),
        body_format_override=substitution.SubstitutionFormatString(
            json_format=body, content_type="application/json"
        ),
    )


def _http_filter(name: str, config: Message) -> hcm.HttpFilter:
    return hcm.HttpFilter(name=name, typed_config=any_of(config))
