"""The fast path: Envoy routes a GET of a resource whose pod is known straight to that pod.

The virtual host's matcher looks at the method, then at the longest known path prefix
(`/v2.1/{project}/servers/{id}/`, so everything below a resource follows it); anything else falls
back to the route that asks the decision service. Entries share one route per pod, so an entry
costs only its key (~200 bytes on the wire; Envoy still builds a route per entry, ~2.2 KiB).

The id must be a whole path segment: `{id}0`, `{id};a=b` or `{id}%2F..` name other things, which
only the decision service may route. So the table is not keyed on `:path` (a prefix match there
cannot tell `{id}` from `{id}0`, and `{id}?query` from `{id}0?query`) but on `PATH_HEADER`, which
the listener sets before routing to the normalised path without its query, plus a `/`: every key
then ends where a segment ends, and one key per id serves `{id}`, `{id}/...` and `{id}?...`.
Pure: no I/O.
"""

from collections.abc import Iterable, Mapping

from envoy.config.common.mutation_rules.v3 import mutation_rules_pb2
from envoy.config.core.v3 import base_pb2
from envoy.config.core.v3 import extension_pb2 as core_extension_pb2
from envoy.config.route.v3 import route_components_pb2 as route_components
from envoy.extensions.http.early_header_mutation.header_mutation.v3 import (
    header_mutation_pb2 as early_header_mutation_pb2,
)
from envoy.type.matcher.v3 import http_inputs_pb2
from google.protobuf import any_pb2
from xds.core.v3 import extension_pb2
from xds.type.matcher.v3 import matcher_pb2

from control_plane.decision.family_index import owner_prefix
from control_plane.decision.resources import API_PREFIX
from control_plane.endpoints import pod_path
from control_plane.model import (
    INTERNAL_HEADER_PREFIX,
    RESOURCE_SERVICE,
    ResourceType,
    Routing,
    Service,
    cluster_name,
)
from control_plane.xds.pb import any_of as _any
from control_plane.xds.zones import ZONE_FILTER

__all__ = ["FAST_METHODS", "PATH_HEADER", "PROXY_HEADERS", "fast_path_routes", "path_header"]

# Only reads: writes and deletes may need checks or bookkeeping the decision service owns.
# (One method: a second would repeat the whole path table.)
FAST_METHODS = ("GET",)
_PROBE = "PODGATEPROJECT"
# What the fast path matches: the request's path, normalised, without its query, plus `/`. Set
# (overwriting whatever a client sent) before Envoy picks a route; the listener's header_mutation
# filter strips it with every x-podgate-* header afterwards, so no pod ever sees it.
PATH_HEADER = f"{INTERNAL_HEADER_PREFIX}path"
_EARLY_HEADER_MUTATION = "envoy.http.early_header_mutation.header_mutation"
# What a pod behind a proxy builds its links from (oslo.middleware's HTTPProxyToWSGI, on in
# Nova and Cinder with `[oslo_middleware] enable_proxy_headers_parsing`): RFC 7239's header
# first, else X-Forwarded-Host/-Proto, and a prefix. The listener drops the clients' (they would
# choose the links a pod writes); the pod gets Envoy's X-Forwarded-Proto (the listener's scheme)
# and, where a pod's paths are the gateway's, X-Forwarded-Host: the Host the client used, sent
# on when auto_host_rewrite replaces it (`append_x_forwarded_host`).
PROXY_HEADERS = ("forwarded", "x-forwarded-host", "x-forwarded-prefix")


def fast_path_routes(
    host: route_components.VirtualHost,
    service: Service,
    routings: Iterable[Routing],
    endpoints: Mapping[str, str],
    *,
    fallback: route_components.Route,
    action: route_components.RouteAction,
    zones: Mapping[str, Mapping[ResourceType, any_pb2.Any]],
) -> int:
    """Fill `host` (a fresh virtual host of `service`) with its routes; returns how many known
    resources it routes by itself.

    `endpoints`: pod name -> the catalog-style endpoint URL of each pod whose known resources
    Envoy may route; routings of other pods are left to the decision service. `action` is the
    template of a pod route (timeouts, host rewrite); cluster and path rewrite are per pod.
    `zones`: pod name -> type -> the per-route config renaming the pod's zone in that type's
    shows (zones.py), for renamed pods: their resources of those types take a route carrying it.
    Built in place: a table of 20 000 entries costs ~50 ms here, a copy of it as much again.
    """
    routes: dict[tuple[str, ResourceType], matcher_pb2.Matcher.OnMatch] = {}
    for name, endpoint in endpoints.items():
        rewrite = _prefix_rewrite(service, endpoint)
        if rewrite is not None:
            plain = _pod_route(service, name, rewrite, action)
            zoned = zones.get(name, {})
            for kind in ResourceType:
                zone = zoned.get(kind)
                routes[name, kind] = (
                    plain if zone is None else _pod_route(service, name, rewrite, action, zone)
                )
    entries = [
        (key, on_match)
        for routing in routings
        if (on_match := routes.get((routing.pod_name, routing.resource_type))) is not None
        and (key := _path_key(service, routing)) is not None
    ]
    if not entries:
        # Envoy refuses an empty match map; the fallback alone will do.
        host.routes.append(fallback)
        return 0
    on_no_match = _on_match(fallback)
    by_method = host.matcher
    by_method.matcher_tree.input.CopyFrom(_header_input(":method"))
    by_method.on_no_match.CopyFrom(on_no_match)
    by_path = by_method.matcher_tree.exact_match_map.map[FAST_METHODS[0]].matcher
    by_path.matcher_tree.input.CopyFrom(_header_input(PATH_HEADER))
    by_path.on_no_match.CopyFrom(on_no_match)
    paths = by_path.matcher_tree.prefix_match_map.map
    for key, on_match in entries:
        paths[key].CopyFrom(on_match)
    return len(paths)


def path_header() -> core_extension_pb2.TypedExtensionConfig:
    """The listener's early header mutation that sets `PATH_HEADER` (see the module doc)."""
    value = base_pb2.HeaderValueOption(
        header=base_pb2.HeaderValue(key=PATH_HEADER, value="%PATH(NQ)%/"),
        append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD,
    )
    mutation = early_header_mutation_pb2.HeaderMutation(
        mutations=[mutation_rules_pb2.HeaderMutation(append=value)]
    )
    return core_extension_pb2.TypedExtensionConfig(
        name=_EARLY_HEADER_MUTATION, typed_config=_any(mutation)
    )


def _path_key(service: Service, routing: Routing) -> str | None:
    """The gateway path of one resource and a `/`, or None when it is not the listener's.

    The route-family table says which path that is: every GET below it routes by owner, and ids
    classify would refuse stay with the decision service.
    """
    if RESOURCE_SERVICE[routing.resource_type] is not service:
        return None
    return owner_prefix(routing.resource_type, routing.project_id, routing.resource_id)


def _prefix_rewrite(service: Service, endpoint: str) -> str | None:
    """What replaces `/{version}/` for this pod ('' for none); None if no prefix swap does it.

    A swap works when the pod's path is some prefix followed by the project, as it is for
    `http://h/compute/v2.1` and `http://h/volume/v3/$(project_id)s`.
    """
    gateway = f"/{API_PREFIX[service]}/"
    on_pod = pod_path(endpoint, _PROBE, "")
    if not on_pod.endswith(f"/{_PROBE}"):
        return None
    prefix = on_pod.removesuffix(_PROBE)
    return "" if prefix == gateway else prefix


def _pod_route(
    service: Service,
    pod_name: str,
    rewrite: str,
    action: route_components.RouteAction,
    zone: any_pb2.Any | None = None,
) -> matcher_pb2.Matcher.OnMatch:
    pod_action = route_components.RouteAction()
    pod_action.CopyFrom(action)
    pod_action.cluster = cluster_name(pod_name, service)
    if rewrite:
        pod_action.prefix_rewrite = rewrite
    else:
        # The pod's paths are the gateway's: told the gateway's host, it links to the gateway.
        # (A pod under another path would link to that path on the gateway, which is no URL.)
        pod_action.append_x_forwarded_host = True
    route = route_components.Route(
        match=route_components.RouteMatch(prefix=f"/{API_PREFIX[service]}/"), route=pod_action
    )
    if zone is not None:
        route.typed_per_filter_config[ZONE_FILTER].CopyFrom(zone)
    return _on_match(route)


def _on_match(route: route_components.Route) -> matcher_pb2.Matcher.OnMatch:
    return matcher_pb2.Matcher.OnMatch(
        action=extension_pb2.TypedExtensionConfig(name="route", typed_config=_any(route))
    )


def _header_input(name: str) -> extension_pb2.TypedExtensionConfig:
    return extension_pb2.TypedExtensionConfig(
        name=f"request-header{name}",
        typed_config=_any(http_inputs_pb2.HttpRequestHeaderMatchInput(header_name=name)),
    )
