"""The fast path: its table is keyed on whole path segments, never on a bare `:path` prefix."""

from envoy.config.route.v3 import route_components_pb2 as route_components
from envoy.type.matcher.v3 import http_inputs_pb2

from control_plane.model import ResourceType, Routing, Service
from control_plane.xds.fast_path import PATH_HEADER, fast_path_routes

_ID = "6f1b0c3e-0000-4000-8000-000000000001"


def _table(
    *routings: Routing, endpoint: str = "http://10.0.0.1:8774/v2.1"
) -> route_components.VirtualHost:
    host = route_components.VirtualHost(name="compute")
    fast_path_routes(
        host,
        Service.COMPUTE,
        routings,
        {"pod1": endpoint},
        fallback=route_components.Route(match=route_components.RouteMatch(prefix="/")),
        action=route_components.RouteAction(),
        zones={},
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


def _pod_action(host: route_components.VirtualHost) -> route_components.RouteAction:
    by_path = host.matcher.matcher_tree.exact_match_map.map["GET"].matcher
    (on_match,) = by_path.matcher_tree.prefix_match_map.map.values()
    route = route_components.Route()
    on_match.action.typed_config.Unpack(route)
    return route.route


def test_a_pod_under_the_gateways_paths_is_told_the_gateways_host() -> None:
    action = _pod_action(_table(Routing(_ID, ResourceType.SERVER, "p1", "pod1")))
    assert action.append_x_forwarded_host
    assert not action.prefix_rewrite


def test_a_pod_under_a_path_prefix_keeps_its_own_host_in_its_links() -> None:
    routing = Routing(_ID, ResourceType.SERVER, "p1", "pod1")
    action = _pod_action(_table(routing, endpoint="http://10.0.0.1/compute/v2.1"))
    assert not action.append_x_forwarded_host  # its links would name /compute/ on the gateway
    assert action.prefix_rewrite == "/compute/v2.1/"
