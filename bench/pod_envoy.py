"""The simulated pods: one Envoy, one listener per pod, Nova-shaped answers from config alone.

Pods must never be the bottleneck, so nothing here runs Python per request: GET by id and lists
are `direct_response`s (lists delayed by the fault filter, like a real pod's database time), and
creates are answered by a few lines of Lua that mint a UUID and echo the availability zone.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["PodListener", "direct_bootstrap", "pod_bootstrap", "server_list", "version_document"]

_T = "type.googleapis.com/envoy.extensions.filters"
_JSON = [{"header": {"key": "content-type", "value": "application/json"}}]
_PREFIX = "/compute/v2\\.1/[^/]+/servers"

# Mints a random UUID (four random 16-bit groups at a time: LuaJIT's %x is 32-bit safe only).
_CREATE_LUA = """
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
local r = math.random
local function uuid()
  return string.format("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x", r(0, 65535), r(0, 65535),
    r(0, 65535), r(0, 4095), r(32768, 49151), r(0, 65535), r(0, 65535), r(0, 65535))
end
function envoy_on_request(handle)
  local body = handle:body()
  local text = body and body:getBytes(0, body:length()) or ""
  local az = string.match(text, '"availability_zone"%s*:%s*"([^"]*)"') or "nova"
  handle:respond({[":status"] = "202", ["content-type"] = "application/json"},
    string.format('{"server": {"id": "%s", "OS-EXT-AZ:availability_zone": "%s", ' ..
      '"OS-DCF:diskConfig": "MANUAL", "adminPass": "bench", ' ..
      '"security_groups": [{"name": "default"}], "links": []}}', uuid(), az))
end
"""


@dataclass(frozen=True, slots=True)
class PodListener:
    """One simulated pod: its name, port, the AZ it reports and how many servers it lists."""

    name: str
    port: int
    pod_az: str
    listed: int = 20


def version_document(origin: str) -> dict[str, Any]:
    """Nova's `GET /compute/v2.1/` document, which the gateway reads for the microversion window."""
    return {
        "version": {
            "id": "v2.1",
            "status": "CURRENT",
            "version": "2.96",
            "min_version": "2.1",
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{origin}/compute/v2.1/"}],
            "media-types": [
                {
                    "base": "application/json",
                    "type": "application/vnd.openstack.compute+json;version=2.1",
                }
            ],
        }
    }


def server_list(pod: PodListener, index: int) -> dict[str, Any]:
    """A detail page of `pod.listed` distinct servers, newest first as Nova sorts by default."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    servers = []
    for n in range(pod.listed):
        created = (start - timedelta(minutes=n * 17 + index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        servers.append(
            {
                "id": f"{index:08x}-0000-4000-8000-{n:012x}",
                "name": f"{pod.name}-vm{n}",
                "status": "ACTIVE",
                "created": created,
                "created_at": created,
                "updated": created,
                "tenant_id": "bench",
                "OS-EXT-AZ:availability_zone": pod.pod_az,
                "flavor": {"original_name": "m1.tiny"},
                "links": [],
            }
        )
    return {"servers": servers}


def _direct(status: int, body: object) -> dict[str, Any]:
    return {
        "direct_response": {"status": status, "body": {"inline_string": json.dumps(body)}},
        "response_headers_to_add": _JSON,
    }


def _lua_off() -> dict[str, Any]:
    return {
        "envoy.filters.http.lua": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute",
            "disabled": True,
        }
    }


def _method(name: str) -> list[dict[str, Any]]:
    return [{"name": ":method", "string_match": {"exact": name}}]


def _pod_routes(pod: PodListener, index: int, list_delay_ms: int) -> list[dict[str, Any]]:
    origin = f"http://127.0.0.1:{pod.port}"
    delay = {
        "@type": f"{_T}.http.fault.v3.HTTPFault",
        "delay": {
            "fixed_delay": f"{list_delay_ms / 1000:.3f}s",
            "percentage": {"numerator": 100, "denominator": "HUNDRED"},
        },
    }
    server = {
        "server": {
            "id": "bench",
            "status": "ACTIVE",
            "name": "vm",
            "OS-EXT-AZ:availability_zone": pod.pod_az,
            "links": [],
        }
    }
    return [
        {
            "match": {"safe_regex": {"regex": "/compute/v2\\.1/?"}},
            **_direct(200, version_document(origin)),
            "typed_per_filter_config": _lua_off(),
        },
        {
            "match": {"safe_regex": {"regex": f"{_PREFIX}(/detail)?"}, "headers": _method("GET")},
            **_direct(200, server_list(pod, index)),
            "typed_per_filter_config": {**_lua_off(), "envoy.filters.http.fault": delay},
        },
        {
            "match": {"safe_regex": {"regex": _PREFIX}, "headers": _method("POST")},
            **_direct(500, {"computeFault": {"message": "Lua did not answer", "code": 500}}),
        },
        {
            "match": {"safe_regex": {"regex": f"{_PREFIX}/[^/]+"}, "headers": _method("GET")},
            **_direct(200, server),
            "typed_per_filter_config": _lua_off(),
        },
        {
            "match": {"prefix": "/"},
            **_direct(404, {"itemNotFound": {"message": "not simulated", "code": 404}}),
            "typed_per_filter_config": _lua_off(),
        },
    ]


def _http_manager(name: str, route_config: dict[str, Any], filters: list[dict[str, Any]]) -> dict:
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": (
                "type.googleapis.com/envoy.extensions.filters.network."
                "http_connection_manager.v3.HttpConnectionManager"
            ),
            "stat_prefix": name,
            "route_config": route_config,
            "http_filters": [
                *filters,
                {
                    "name": "envoy.filters.http.router",
                    "typed_config": {"@type": f"{_T}.http.router.v3.Router"},
                },
            ],
        },
    }


def _listener(name: str, port: int, manager: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
        "filter_chains": [{"filters": [manager]}],
    }


def _admin(port: int) -> dict[str, Any]:
    return {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}


def pod_bootstrap(pods: list[PodListener], admin_port: int, list_delay_ms: int) -> dict[str, Any]:
    """The pod Envoy's static bootstrap: a listener per pod answering Nova-style paths."""
    filters = [
        {
            "name": "envoy.filters.http.fault",
            "typed_config": {"@type": f"{_T}.http.fault.v3.HTTPFault"},
        },
        {
            "name": "envoy.filters.http.lua",
            "typed_config": {
                "@type": f"{_T}.http.lua.v3.Lua",
                "default_source_code": {"inline_string": _CREATE_LUA},
            },
        },
    ]
    listeners = []
    for index, pod in enumerate(pods):
        routes = _pod_routes(pod, index, list_delay_ms)
        vhost = {"name": pod.name, "domains": ["*"], "routes": routes}
        route_config = {"virtual_hosts": [vhost], "max_direct_response_body_size_bytes": 1 << 20}
        manager = _http_manager(pod.name, route_config, filters)
        listeners.append(_listener(pod.name, pod.port, manager))
    return {"admin": _admin(admin_port), "static_resources": {"listeners": listeners}}


def direct_bootstrap(port: int, admin_port: int, pod_port: int) -> dict[str, Any]:
    """Envoy-direct: the gateway's paths forwarded to one pod with no decision (the limit).

    Like Podgate's own pod routes, the API prefix is rewritten to the pod endpoint's path.
    """
    route = {
        "match": {"prefix": "/v2.1/"},
        "route": {"cluster": "pod", "prefix_rewrite": "/compute/v2.1/", "timeout": "60s"},
    }
    vhost = {"name": "direct", "domains": ["*"], "routes": [route]}
    manager = _http_manager("direct", {"virtual_hosts": [vhost]}, [])
    cluster = {
        "name": "pod",
        "type": "STATIC",
        "connect_timeout": "2s",
        "load_assignment": {
            "cluster_name": "pod",
            "endpoints": [
                {
                    "lb_endpoints": [
                        {
                            "endpoint": {
                                "address": {
                                    "socket_address": {
                                        "address": "127.0.0.1",
                                        "port_value": pod_port,
                                    }
                                }
                            }
                        }
                    ]
                }
            ],
        },
    }
    return {
        "admin": _admin(admin_port),
        "static_resources": {
            "listeners": [_listener("direct", port, manager)],
            "clusters": [cluster],
        },
    }
