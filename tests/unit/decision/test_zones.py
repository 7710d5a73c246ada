"""zones: the user-facing availability zones of the pods that take new resources."""

import json

from control_plane.decision.views.zones import zones_body
from control_plane.model import Pod, PodState, Service

BOTH = {"compute": "http://h/compute/v2.1", "volumev3": "http://h/volume/v3"}
PODS = [
    Pod(name="p1", az_name="az-west", pod_az_name="nova", endpoints=BOTH),
    Pod(name="p2", az_name="az-east", endpoints=BOTH),
    Pod(name="p3", az_name="az-east", endpoints=BOTH),
    Pod(name="p4", az_name="az-south", state=PodState.DRAINING, endpoints=BOTH),
    Pod(name="p5", az_name="az-north", state=PodState.DISABLED, endpoints=BOTH),
    Pod(name="p6", az_name="az-compute-only", endpoints={"compute": BOTH["compute"]}),
]


def test_nova_lists_each_enabled_zone_once_with_null_hosts() -> None:
    assert json.loads(zones_body(Service.COMPUTE, PODS)) == {
        "availabilityZoneInfo": [
            {"zoneName": name, "zoneState": {"available": True}, "hosts": None}
            for name in ("az-compute-only", "az-east", "az-west")
        ]
    }


def test_cinder_lists_zones_of_pods_with_a_volume_service_without_hosts() -> None:
    assert json.loads(zones_body(Service.VOLUME, PODS)) == {
        "availabilityZoneInfo": [
            {"zoneName": name, "zoneState": {"available": True}} for name in ("az-east", "az-west")
        ]
    }


def test_no_pods_no_zones() -> None:
    assert json.loads(zones_body(Service.VOLUME, [])) == {"availabilityZoneInfo": []}
