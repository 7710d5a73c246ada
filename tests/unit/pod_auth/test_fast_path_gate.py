"""Translation: with a pod-auth verdict set, only proven pod services' known ids are routed by
Envoy; the rest of the pod (clusters, the decision route) is untouched."""

from control_plane.model import Pod, ResourceType, Routing
from control_plane.xds.resources import CLUSTER_TYPE, ROUTE_TYPE
from control_plane.xds.translate import XdsInputs, translate

_ID = "6f1b0c3e-0000-4000-8000-000000000001"
_VOLUME = "6f1b0c3e-0000-4000-8000-000000000002"
POD = Pod(
    name="pod1",
    az_name="az1",
    pod_az_name="az1",
    endpoints={
        "compute": "http://10.0.0.1:8774/v2.1",
        "volumev3": "http://10.0.0.1:8776/v3/$(project_id)s",
    },
)
KNOWN = (
    Routing(_ID, ResourceType.SERVER, "p1", "pod1"),
    Routing(_VOLUME, ResourceType.VOLUME, "p1", "pod1"),
)


def _known_keys(passed: frozenset[tuple[str, str]] | None) -> dict[str, list[str]]:
    inputs = XdsInputs(
        pods=(POD,),
        listen_host="127.0.0.1",
        compute_port=1,
        volume_port=2,
        network_port=3,
        connect_timeout_s=1,
        upstream_timeout_s=1,
        ext_proc_message_timeout_ms=100,
        fast_path=KNOWN,
        pod_auth_passed=passed,
    )
    snapshot = translate(inputs)
    assert {"pod.pod1.compute", "pod.pod1.volumev3"} <= set(snapshot.resources[CLUSTER_TYPE])
    keys = {}
    for name, config in snapshot.resources[ROUTE_TYPE].items():
        (host,) = config.virtual_hosts
        by_method = host.matcher.matcher_tree.exact_match_map.map
        by_path = by_method["GET"].matcher if "GET" in by_method else None
        keys[name] = list(by_path.matcher_tree.prefix_match_map.map) if by_path else []
    return keys


def test_unproven_pods_get_no_fast_path_and_proven_ones_do() -> None:
    assert not any(_known_keys(frozenset()).values())
    compute_only = _known_keys(frozenset({("pod.pod1.compute", POD.endpoints["compute"])}))
    assert sorted(k for keys in compute_only.values() for k in keys) == [f"/v2.1/p1/servers/{_ID}/"]
    everything = _known_keys(None)  # noauth, or pods trusted unproven
    assert sorted(k for keys in everything.values() for k in keys) == [
        f"/v2.1/p1/servers/{_ID}/",
        f"/v3/p1/volumes/{_VOLUME}/",
    ]


def test_a_verdict_for_another_url_proves_nothing() -> None:
    moved = frozenset({("pod.pod1.compute", "http://10.0.0.9:8774/v2.1")})
    assert not any(_known_keys(moved).values())
