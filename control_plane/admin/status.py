"""The admin API's status view: pods with routing counts, and what each Envoy applied."""

from collections.abc import Mapping, Sequence

from control_plane.xds.cache import SnapshotCache
from control_plane.xds.resources import PUSH_ORDER, TYPE_NAMES
from podgate_api.admin.v1 import admin_pb2

__all__ = ["build_status"]


def build_status(
    pods: Sequence[admin_pb2.Pod],
    routings: Mapping[str, int],
    xds: SnapshotCache | None,
    *,
    drift: Mapping[str, Sequence[str]] | None = None,
    pod_auth: Mapping[str, Sequence[str]] | None = None,
) -> admin_pb2.Status:
    """Status from shown pods, routing counts by pod name, the xDS cache's ACK records, what
    shared objects each pod lacks (`drift`, from the last shared-object check) and whether its
    services check tokens (`pod_auth`, from the last pod-auth probe)."""
    drift, pod_auth = drift or {}, pod_auth or {}
    status = admin_pb2.Status(
        pods=[
            admin_pb2.PodStatus(
                pod=pod,
                routings=routings.get(pod.name, 0),
                shared_drift=drift.get(pod.name, ()),
                pod_auth=pod_auth.get(pod.name, ()),
            )
            for pod in pods
        ]
    )
    if xds is None:
        return status
    current = xds.current
    for node_id in xds.node_ids():
        acked, nacks = xds.acked(node_id), xds.nacks(node_id)
        status.proxies.append(
            admin_pb2.ProxyStatus(
                node_id=node_id,
                configs=[
                    admin_pb2.ConfigStatus(
                        type=TYPE_NAMES[type_url],
                        current_version=current.version(type_url) if current else "",
                        acked_version=acked.get(type_url, ""),
                        nack=nacks[type_url].message if type_url in nacks else "",
                    )
                    for type_url in PUSH_ORDER
                    # A type this Envoy never asked for and nothing holds (SDS without TLS).
                    if type_url in acked
                    or type_url in nacks
                    or (current and current.resources[type_url])
                ],
            )
        )
    return status
