"""`podgate status` pieces: Envoy cluster health parsing and the status view."""

from control_plane.admin.envoy_health import ClusterHealth, parse_health
from control_plane.admin.render import _config_state, print_status
from control_plane.admin.status import build_status
from control_plane.model import Pod
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.resources import CLUSTER_TYPE, TYPE_ORDER
from control_plane.xds.translate import XdsInputs, translate
from podgate_api.admin.v1 import admin_pb2

CLUSTERS = {
    "cluster_statuses": [
        {"name": "podgate_control_plane", "host_statuses": [{}]},
        {
            "name": "pod.pod1.compute",
            "host_statuses": [
                {"health_status": {"eds_health_status": "HEALTHY"}},
                {"health_status": {"failed_outlier_check": True}},
            ],
        },
        {"name": "pod.pod1.volumev3", "host_statuses": [{"health_status": {}}]},
        {"name": "pod.pod2.compute"},
    ]
}


def test_only_pod_clusters_are_read_and_failed_hosts_are_not_healthy() -> None:
    assert parse_health(CLUSTERS) == {
        "pod.pod1.compute": ClusterHealth(1, 2),
        "pod.pod1.volumev3": ClusterHealth(1, 1),
        "pod.pod2.compute": ClusterHealth(0, 0),
    }


def _cache() -> SnapshotCache:
    cache = SnapshotCache()
    pods = (Pod("pod1", "az1", endpoints={"compute": "http://10.0.0.1:8774/v2.1"}),)
    cache.set(translate(XdsInputs(pods, "127.0.0.1", 19998, 19997, 19995, 1.0, 60.0, 2000)))
    return cache


def test_status_reports_routing_counts_and_each_envoys_acks() -> None:
    cache = _cache()
    current = cache.current
    for type_url in TYPE_ORDER:
        cache.record_ack("envoy-a", type_url, current.version(type_url))
    cache.record_ack("envoy-b", CLUSTER_TYPE, "old")
    cache.record_nack("envoy-b", CLUSTER_TYPE, "new", "Invalid duration")
    pods = [admin_pb2.Pod(name="pod1"), admin_pb2.Pod(name="pod2")]

    status = build_status(pods, {"pod1": 7}, cache)

    assert [(p.pod.name, p.routings) for p in status.pods] == [("pod1", 7), ("pod2", 0)]
    a, b = status.proxies
    assert _config_state(a).startswith("current config ACKed")
    assert _config_state(b) == "CDS NACK: Invalid duration"


def test_an_envoy_behind_the_current_config_is_named_so() -> None:
    cache = _cache()
    cache.record_ack("envoy-c", CLUSTER_TYPE, cache.current.version(CLUSTER_TYPE))
    (proxy,) = build_status([], {}, cache).proxies
    assert _config_state(proxy) == "config not yet ACKed (EDS, LDS, RDS)"


def test_the_pods_lacking_shared_objects_are_named_with_what_they_lack(capsys) -> None:
    pods = [admin_pb2.Pod(name="pod1"), admin_pb2.Pod(name="pod2")]
    drift = {"pod2": ("flavors: big", "qos_specs: fast")}

    status = build_status(pods, {}, None, drift=drift)

    assert [list(p.shared_drift) for p in status.pods] == [[], ["flavors: big", "qos_specs: fast"]]
    print_status(False, status, {}, "127.0.0.1:19901")
    lines = capsys.readouterr().out.splitlines()
    assert "Pod pod2 lacks shared objects: flavors: big; qos_specs: fast" in lines
    assert not any(line.startswith("Pod pod1") for line in lines)
