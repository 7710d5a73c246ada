"""Snapshot invariants (one rule per test) and content-hash versions."""

import dataclasses

import pytest
from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.route.v3 import route_components_pb2
from envoy.extensions.filters.http.ext_proc.v3 import ext_proc_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)

from control_plane.model import PodState
from control_plane.xds.resources import CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE
from control_plane.xds.snapshot import InconsistentSnapshot, Snapshot
from control_plane.xds.translate import XdsInputs, translate
from tests.unit.xds.cases import TESTDATA, load_case


def _inputs() -> XdsInputs:
    return load_case(TESTDATA / "two_ip_pods.in.yaml")


def _parts(snapshot: Snapshot) -> dict[str, list]:
    """Fresh copies of every resource, ready to break and rebuild."""
    keys = {CLUSTER_TYPE: "clusters", ENDPOINT_TYPE: "endpoints"}
    keys |= {LISTENER_TYPE: "listeners", ROUTE_TYPE: "routes"}
    parts = {}
    for type_url, key in keys.items():
        copies = []
        for message in snapshot.resources[type_url].values():
            copy = type(message)()
            copy.CopyFrom(message)
            copies.append(copy)
        parts[key] = copies
    return parts


def _assert_inconsistent(parts: dict[str, list], type_url: str, name: str, words: str) -> None:
    snapshot = Snapshot.build(**parts)
    with pytest.raises(InconsistentSnapshot, match=words) as caught:
        snapshot.check_consistent()
    assert (caught.value.type_url, caught.value.name) == (type_url, name)


def _manager(listener) -> hcm.HttpConnectionManager:
    manager = hcm.HttpConnectionManager()
    assert listener.filter_chains[0].filters[0].typed_config.Unpack(manager)
    return manager


def test_translated_snapshot_is_consistent() -> None:
    translate(_inputs()).check_consistent()


def test_eds_cluster_without_endpoints_is_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    dropped = parts["endpoints"].pop(0)
    _assert_inconsistent(parts, CLUSTER_TYPE, dropped.cluster_name, "no ClusterLoadAssignment")


def test_endpoints_naming_no_cluster_are_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    parts["endpoints"][0].cluster_name = "pod.ghost.compute"
    parts["clusters"] = [c for c in parts["clusters"] if c.name != "pod.RegionOne.compute"]
    _assert_inconsistent(parts, ENDPOINT_TYPE, "pod.ghost.compute", "names no cluster")


def test_listener_referencing_a_missing_route_configuration_is_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    parts["routes"] = [r for r in parts["routes"] if r.name != "volume"]
    _assert_inconsistent(parts, LISTENER_TYPE, "volume", "route configuration 'volume'")


def test_cluster_without_a_name_is_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    parts["clusters"].append(cluster_pb2.Cluster(type=cluster_pb2.Cluster.STATIC))
    _assert_inconsistent(parts, CLUSTER_TYPE, "", "has no name")


@pytest.mark.parametrize("seconds", [0, -1])
def test_non_positive_connect_timeout_is_inconsistent(seconds: int) -> None:
    parts = _parts(translate(_inputs()))
    parts["clusters"][1].connect_timeout.FromSeconds(seconds)
    _assert_inconsistent(parts, CLUSTER_TYPE, parts["clusters"][1].name, "connect_timeout")


def test_eds_endpoint_without_an_address_is_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    assignment = parts["endpoints"][0]
    assignment.endpoints[0].lb_endpoints[0].endpoint.ClearField("address")
    _assert_inconsistent(parts, ENDPOINT_TYPE, assignment.cluster_name, "without an address")


def test_static_endpoint_without_an_address_is_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    cluster, assignment = parts["clusters"][0], parts["endpoints"][0]
    cluster.ClearField("eds_cluster_config")
    cluster.type = cluster_pb2.Cluster.STATIC
    cluster.load_assignment.CopyFrom(assignment)
    endpoint = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint
    endpoint.address.socket_address.address = ""
    parts["endpoints"].remove(assignment)
    _assert_inconsistent(parts, CLUSTER_TYPE, cluster.name, "without an address")


def test_static_endpoint_with_a_hostname_is_inconsistent() -> None:
    parts = _parts(translate(load_case(TESTDATA / "hostname_endpoint.in.yaml")))
    cluster = parts["clusters"][0]
    cluster.type = cluster_pb2.Cluster.STATIC
    _assert_inconsistent(parts, CLUSTER_TYPE, cluster.name, "must be an IP address")


@pytest.mark.parametrize("port", [0, 65536])
def test_endpoint_port_out_of_range_is_inconsistent(port: int) -> None:
    parts = _parts(translate(_inputs()))
    assignment = parts["endpoints"][2]
    assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = port
    _assert_inconsistent(parts, ENDPOINT_TYPE, assignment.cluster_name, "out of range")


@pytest.mark.parametrize("port", [0, 70000])
def test_listener_port_out_of_range_is_inconsistent(port: int) -> None:
    parts = _parts(translate(_inputs()))
    parts["listeners"][0].address.socket_address.port_value = port
    _assert_inconsistent(parts, LISTENER_TYPE, parts["listeners"][0].name, "out of range")


def test_non_positive_ext_proc_message_timeout_is_inconsistent() -> None:
    inputs = dataclasses.replace(_inputs(), ext_proc_message_timeout_ms=0)
    with pytest.raises(InconsistentSnapshot, match="message_timeout"):
        translate(inputs).check_consistent()


def test_non_positive_route_timeout_is_inconsistent() -> None:
    inputs = dataclasses.replace(_inputs(), upstream_timeout_s=-5)
    with pytest.raises(InconsistentSnapshot, match="route timeout"):
        translate(inputs).check_consistent()


def test_route_to_a_missing_cluster_is_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    action = parts["routes"][0].virtual_hosts[0].routes[0].route
    action.cluster = "pod.ghost.compute"
    _assert_inconsistent(parts, ROUTE_TYPE, parts["routes"][0].name, "pod.ghost.compute")


def test_connection_manager_without_stat_prefix_is_inconsistent() -> None:
    parts = _parts(translate(_inputs()))
    listener = parts["listeners"][0]
    manager = _manager(listener)
    manager.stat_prefix = ""
    listener.filter_chains[0].filters[0].typed_config.Pack(manager)
    _assert_inconsistent(parts, LISTENER_TYPE, listener.name, "stat_prefix")


def test_duplicate_names_are_refused() -> None:
    parts = _parts(translate(_inputs()))
    parts["clusters"].append(parts["clusters"][0])
    with pytest.raises(InconsistentSnapshot, match="appears twice"):
        Snapshot.build(**parts)


def test_error_message_names_the_type_and_resource() -> None:
    parts = _parts(translate(_inputs()))
    parts["endpoints"].pop(0)
    with pytest.raises(InconsistentSnapshot) as caught:
        Snapshot.build(**parts).check_consistent()
    assert str(caught.value).startswith("Cluster 'pod.RegionOne.compute': ")


def test_listeners_carry_the_service_in_ext_proc_metadata() -> None:
    snapshot = translate(_inputs())
    for name, service in (("compute", "compute"), ("volume", "volumev3")):
        manager = _manager(snapshot.resources[LISTENER_TYPE][name])
        assert [f.name for f in manager.http_filters] == [
            "envoy.filters.http.header_mutation",
            "envoy.filters.http.header_to_metadata",
            "envoy.filters.http.local_ratelimit",
            "envoy.filters.http.ext_proc",
            "podgate.zones",
            "envoy.filters.http.router",
        ]
        processor = ext_proc_pb2.ExternalProcessor()
        (ext_proc,) = (f for f in manager.http_filters if f.name == "envoy.filters.http.ext_proc")
        assert ext_proc.typed_config.Unpack(processor)
        metadata = {h.key: h.value for h in processor.grpc_service.initial_metadata}
        assert metadata == {"x-podgate-service": service}


def test_routes_pick_the_cluster_from_the_pod_header() -> None:
    route = translate(_inputs()).resources[ROUTE_TYPE]["compute"].virtual_hosts[0].routes[0]
    assert route.route.cluster_header == "x-podgate-pod"
    assert route.route.auto_host_rewrite.value
    unavailable = route_components_pb2.RouteAction.SERVICE_UNAVAILABLE
    assert route.route.cluster_not_found_response_code == unavailable


def test_version_is_stable_across_calls() -> None:
    assert translate(_inputs()).versions == translate(_inputs()).versions


def test_version_changes_only_for_clusters_and_endpoints_when_a_pod_changes() -> None:
    inputs = _inputs()
    before = translate(inputs)
    moved = dataclasses.replace(inputs.pods[0], endpoints={"compute": "http://10.0.0.9:8774/v2.1"})
    after = translate(dataclasses.replace(inputs, pods=(moved, inputs.pods[1])))
    changed = {t for t in before.versions if before.version(t) != after.version(t)}
    assert changed == {CLUSTER_TYPE, ENDPOINT_TYPE}


def test_version_changes_when_a_pod_is_disabled() -> None:
    inputs = _inputs()
    disabled = dataclasses.replace(inputs.pods[1], state=PodState.DISABLED)
    after = translate(dataclasses.replace(inputs, pods=(inputs.pods[0], disabled)))
    assert after.version(CLUSTER_TYPE) != translate(inputs).version(CLUSTER_TYPE)
