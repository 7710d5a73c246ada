"""The fast path: its table is keyed on whole path segments, never on a bare `:path` prefix."""

from envoy.config.route.v3 import route_components_pb2 as route_components
from envoy.type.matcher.v3 import http_inputs_pb2

from control_plane.model import ResourceType, Routing, Service
from control_plane.xds.fast_path import PATH_HEADER, fast_path_routes

_ID = "6f1b0c3e-0000-4000-8000-000000000001"


def _table(*routings: Routing) -> route_components.VirtualHost:
    host = route_components.VirtualHost(name="compute")
    fast_path_routes(
        host,
        Service.COMPUTE,
        routings,
        {"pod1": "http://10.0.0.1:8774/v2.1"},
        fallback=route_components.Route(match=route_components.RouteMatch(prefix="/")),
        action=route_components.RouteAction(),
    )
    return host


def test_every_key_ends_where_the_id_segment_ends() -> None:
    host = _table(Routing(_ID, ResourceType.SERVER, "p1", "pod1"))
    by_path = host.matcher.matcher_tree.exact_match_map.map["GET"].matcher
    assert list(by_path.matcher_tree.prefix_match_map.map) == [f"/v2.1/p1/servers/{_ID}/"]


def test_the_table_reads_the_path_header_not_the_raw_path() -> None:
    host = _table(Routing(_ID, ResourceType.SERVER, "p1", "pod1"))
    by_path = host.matcher.matcher_tree.exact_match_map.map["GET"].matcher
    path_input = http_inputs_pb2.HttpRequestHeaderMatchInput()
    by_path.matcher_tree.input.typed_config.Unpack(path_input)
    assert path_input.header_name == PATH_HEADER
