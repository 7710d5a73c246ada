"""Snapshot: the xDS resources for one config state, versioned by content hash (pure data).

Content-hash versions make a restarted control plane agree with what Envoy already holds,
and `check_consistent` catches what Envoy would NACK (one bad cluster rejects a whole SotW push).
"""

import hashlib
import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.endpoint.v3 import endpoint_pb2
from envoy.config.listener.v3 import listener_pb2
from envoy.config.route.v3 import route_pb2
from envoy.extensions.filters.http.ext_proc.v3 import ext_proc_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)
from envoy.extensions.transport_sockets.tls.v3 import secret_pb2, tls_pb2
from google.protobuf import duration_pb2
from google.protobuf.message import Message

from control_plane.errors import PodgateError
from control_plane.xds.resources import (
    CLUSTER_TYPE,
    ENDPOINT_TYPE,
    LISTENER_TYPE,
    ROUTE_TYPE,
    SECRET_TYPE,
)

__all__ = ["InconsistentSnapshot", "Snapshot"]

_Problem = tuple[str, str, str]


class InconsistentSnapshot(PodgateError):
    """A snapshot Envoy would reject or serve wrongly; the cache keeps the last good one."""

    def __init__(self, type_url: str, name: str, problem: str) -> None:
        super().__init__(f"{type_url.rpartition('.')[2]} {name!r}: {problem}")
        self.type_url = type_url
        self.name = name


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Resources per type URL (name -> message) and one content-hash version per type.

    Treat the messages as frozen: the versions are computed once, in `build`.
    """

    resources: Mapping[str, Mapping[str, Message]]
    versions: Mapping[str, str]
    # Each resource's deterministic serialization, made once (hashing and every send use it).
    payloads: Mapping[str, Mapping[str, bytes]]

    @classmethod
    def build(
        cls,
        *,
        clusters: Iterable[cluster_pb2.Cluster] = (),
        endpoints: Iterable[endpoint_pb2.ClusterLoadAssignment] = (),
        listeners: Iterable[listener_pb2.Listener] = (),
        routes: Iterable[route_pb2.RouteConfiguration] = (),
        secrets: Iterable[secret_pb2.Secret] = (),
    ) -> "Snapshot":
        """Index the resources by name and hash each type; duplicate names are refused."""
        resources = {
            CLUSTER_TYPE: _by_name(CLUSTER_TYPE, ((c.name, c) for c in clusters)),
            ENDPOINT_TYPE: _by_name(ENDPOINT_TYPE, ((e.cluster_name, e) for e in endpoints)),
            LISTENER_TYPE: _by_name(LISTENER_TYPE, ((x.name, x) for x in listeners)),
            ROUTE_TYPE: _by_name(ROUTE_TYPE, ((r.name, r) for r in routes)),
            SECRET_TYPE: _by_name(SECRET_TYPE, ((s.name, s) for s in secrets)),
        }
        payloads = {
            type_url: MappingProxyType(
                {
                    name: message.SerializeToString(deterministic=True)
                    for name, message in named.items()
                }
            )
            for type_url, named in resources.items()
        }
        versions = {type_url: _content_hash(named) for type_url, named in payloads.items()}
        return cls(
            MappingProxyType(resources), MappingProxyType(versions), MappingProxyType(payloads)
        )

    def version(self, type_url: str) -> str:
        """The content hash of one type's resources (the SotW version_info)."""
        return self.versions[type_url]

    def check_consistent(self) -> None:
        """Raise InconsistentSnapshot naming the first resource Envoy would reject or miss."""
        for type_url, name, problem in self._problems():
            raise InconsistentSnapshot(type_url, name, problem)

    def _problems(self) -> Iterator[_Problem]:
        clusters = self.resources[CLUSTER_TYPE]
        assignments = self.resources[ENDPOINT_TYPE]
        routes = self.resources[ROUTE_TYPE]
        for name, cluster in clusters.items():
            yield from _cluster_problems(name, cluster, assignments)
        for name in assignments:
            if name not in clusters:
                yield ENDPOINT_TYPE, name, "names no cluster in the snapshot"
        for name, listener in self.resources[LISTENER_TYPE].items():
            yield from _listener_problems(name, listener, routes)
            yield from _tls_problems(name, listener, self.resources[SECRET_TYPE])
        for name, route in routes.items():
            yield from _route_problems(name, route, clusters)


def _by_name(type_url: str, named: Iterable[tuple[str, Message]]) -> Mapping[str, Message]:
    out: dict[str, Message] = {}
    for name, message in named:
        if name in out:
            raise InconsistentSnapshot(type_url, name, "appears twice")
        out[name] = message
    return MappingProxyType(out)


def _content_hash(named: Mapping[str, bytes]) -> str:
    """sha256 over name-sorted, length-prefixed deterministic serializations."""
    digest = hashlib.sha256()
    for name in sorted(named):
        for part in (name.encode(), named[name]):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()[:16]


def _cluster_problems(
    name: str, cluster: cluster_pb2.Cluster, assignments: Mapping[str, Message]
) -> Iterator[_Problem]:
    if not name:
        yield CLUSTER_TYPE, name, "has no name"
    if cluster.HasField("connect_timeout") and not _positive(cluster.connect_timeout):
        yield CLUSTER_TYPE, name, "connect_timeout must be positive"
    if cluster.type == cluster_pb2.Cluster.EDS:
        eds_name = cluster.eds_cluster_config.service_name or name
        assignment = assignments.get(eds_name)
        if assignment is None:
            yield CLUSTER_TYPE, name, f"is EDS but no ClusterLoadAssignment {eds_name!r} exists"
        else:
            yield from _endpoint_problems(ENDPOINT_TYPE, eds_name, assignment, need_ip=True)
    else:
        need_ip = cluster.type == cluster_pb2.Cluster.STATIC
        yield from _endpoint_problems(CLUSTER_TYPE, name, cluster.load_assignment, need_ip)


def _endpoint_problems(
    type_url: str, name: str, assignment: endpoint_pb2.ClusterLoadAssignment, need_ip: bool
) -> Iterator[_Problem]:
    for locality in assignment.endpoints:
        for lb_endpoint in locality.lb_endpoints:
            socket = lb_endpoint.endpoint.address.socket_address
            if not socket.address:
                yield type_url, name, "has an endpoint without an address"
            elif not 0 < socket.port_value < 65536:
                yield type_url, name, f"endpoint port {socket.port_value} is out of range"
            elif need_ip and not _is_ip(socket.address):
                yield type_url, name, f"endpoint {socket.address!r} must be an IP address"


def _listener_problems(
    name: str, listener: listener_pb2.Listener, routes: Mapping[str, Message]
) -> Iterator[_Problem]:
    if not name:
        yield LISTENER_TYPE, name, "has no name"
    port = listener.address.socket_address.port_value
    if not 0 < port < 65536:
        yield LISTENER_TYPE, name, f"port {port} is out of range"
    for chain in listener.filter_chains:
        for network_filter in chain.filters:
            manager = hcm.HttpConnectionManager()
            if network_filter.typed_config.Unpack(manager):
                yield from _manager_problems(name, manager, routes)


def _tls_problems(
    name: str, listener: listener_pb2.Listener, secrets: Mapping[str, Message]
) -> Iterator[_Problem]:
    """A listener waiting for a secret that never comes stays warming: it never serves."""
    for chain in listener.filter_chains:
        context = tls_pb2.DownstreamTlsContext()
        if not chain.transport_socket.typed_config.Unpack(context):
            continue
        for sds in context.common_tls_context.tls_certificate_sds_secret_configs:
            if sds.name not in secrets:
                yield LISTENER_TYPE, name, f"references secret {sds.name!r}, which is missing"


def _manager_problems(
    name: str, manager: hcm.HttpConnectionManager, routes: Mapping[str, Message]
) -> Iterator[_Problem]:
    if not manager.stat_prefix:
        yield LISTENER_TYPE, name, "has an HTTP connection manager without stat_prefix"
    if manager.HasField("rds") and manager.rds.route_config_name not in routes:
        missing = manager.rds.route_config_name
        yield LISTENER_TYPE, name, f"references route configuration {missing!r}, which is missing"
    for http_filter in manager.http_filters:
        processor = ext_proc_pb2.ExternalProcessor()
        if http_filter.typed_config.Unpack(processor) and not _positive(processor.message_timeout):
            yield LISTENER_TYPE, name, "ext_proc message_timeout must be positive"


def _route_problems(
    name: str, config: route_pb2.RouteConfiguration, clusters: Mapping[str, Message]
) -> Iterator[_Problem]:
    if not name:
        yield ROUTE_TYPE, name, "has no name"
    for host in config.virtual_hosts:
        for route in host.routes:
            action = route.route
            if action.HasField("timeout") and not _positive(action.timeout):
                yield ROUTE_TYPE, name, "route timeout must be positive"
            if action.cluster and action.cluster not in clusters:
                yield ROUTE_TYPE, name, f"routes to cluster {action.cluster!r}, which is missing"


def _positive(duration: duration_pb2.Duration) -> bool:
    return duration.seconds > 0 or (duration.seconds == 0 and duration.nanos > 0)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
