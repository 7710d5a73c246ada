"""Quotas over all pods, through real Envoy and two simulated pods that enforce their limits.

A limit set through the gateway is the project's limit over both pods together: it reads back
as set, with usage summed; each pod is given its usage plus a share of the headroom, so creates
across both zones stop at the limit, refused with the pod's own quota fault; the rebalancer
(every 0.5 s here) moves room to the pod the project uses. A DELETE puts every pod back to its
defaults.
"""

from collections.abc import Iterator

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, SimPod, wait_for

pytestmark = pytest.mark.e2e

POD_HEADER = "x-podsim-pod"
(EAST, _), (WEST, _) = TWO_PODS.values()
Cloud = tuple[Gateway, dict[str, SimPod]]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    env = {"PODGATE_QUOTAS_REBALANCE_S": "0.5"}
    with running_cloud(tmp_path_factory.mktemp("quotas"), extra_env=env) as running:
        yield running


def compute(cloud: Cloud, project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/compute/v2.1/{project}" if pod else f"{gateway.compute_url}/{project}"


def volume(cloud: Cloud, project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/volume/v3/{project}" if pod else f"{gateway.volume_url}/{project}"


def pod_limits(cloud: Cloud, project: str, quota: str) -> dict[str, int]:
    """Each pod's own limit, read from the pod directly."""
    return {
        pod: call("GET", f"{compute(cloud, project, pod)}/os-quota-sets/{project}")[2]["quota_set"][
            quota
        ]
        for pod in TWO_PODS
    }


def boot(cloud: Cloud, project: str, az: str) -> tuple[int, str, dict]:
    """Create a server in `az`: the status, the pod that answered and the body."""
    server = {"server": {"name": "vm", "flavorRef": "1", "availability_zone": az}}
    status, headers, body = call("POST", f"{compute(cloud, project)}/servers", server)
    return status, headers.get(POD_HEADER, ""), body


def test_three_instances_over_two_zones_then_the_fourth_is_refused(cloud, project) -> None:
    quotas = f"{compute(cloud, project)}/os-quota-sets/{project}"
    status, _, body = call("PUT", quotas, {"quota_set": {"instances": 3}})
    assert (status, body["quota_set"]["instances"]) == (200, 3)
    assert pod_limits(cloud, project, "instances") == {"pod1": 2, "pod2": 1}
    for az, pod in ((EAST, "pod1"), (WEST, "pod2"), (EAST, "pod1")):
        assert boot(cloud, project, az)[:2] == (202, pod)
    for az, pod in ((WEST, "pod2"), (EAST, "pod1")):
        status, answered, body = boot(cloud, project, az)
        assert (status, answered) == (403, pod)
        assert body["forbidden"]["code"] == 403
        assert body["forbidden"]["message"].startswith("Quota exceeded for instances: Requested 1")
    assert call("GET", quotas)[2]["quota_set"]["instances"] == 3
    detail = call("GET", f"{quotas}/detail")[2]["quota_set"]
    assert detail["instances"] == {"limit": 3, "in_use": 3, "reserved": 0}
    assert detail["cores"] == {"limit": 20, "in_use": 3, "reserved": 0}
    absolute = call("GET", f"{compute(cloud, project)}/limits")[2]["limits"]["absolute"]
    assert (absolute["maxTotalInstances"], absolute["totalInstancesUsed"]) == (3, 3)


def test_room_moves_to_the_pod_the_project_uses(cloud, project) -> None:
    quotas = f"{compute(cloud, project)}/os-quota-sets/{project}"
    assert call("PUT", quotas, {"quota_set": {"instances": 4}})[0] == 200
    assert pod_limits(cloud, project, "instances") == {"pod1": 2, "pod2": 2}
    for _ in range(2):
        assert boot(cloud, project, EAST)[:2] == (202, "pod1")
    # usage 2 and 0, headroom 2: one unit each, so pod1 may grow to 3
    wait_for(
        lambda: pod_limits(cloud, project, "instances") == {"pod1": 3, "pod2": 1},
        timeout=WAIT_S,
        what="the rebalanced shares",
    )
    assert boot(cloud, project, EAST)[:2] == (202, "pod1")
    assert boot(cloud, project, EAST)[0] == 403
    assert boot(cloud, project, WEST)[:2] == (202, "pod2")
    assert boot(cloud, project, WEST)[0] == 403
    detail = call("GET", f"{quotas}/detail")[2]["quota_set"]
    assert detail["instances"] == {"limit": 4, "in_use": 4, "reserved": 0}


def test_a_limit_below_the_usage_of_both_pods_is_refused_unless_forced(cloud, project) -> None:
    quotas = f"{compute(cloud, project)}/os-quota-sets/{project}"
    for az in (EAST, WEST):
        assert boot(cloud, project, az)[0] == 202
    status, _, body = call("PUT", quotas, {"quota_set": {"instances": 1}})
    message = (
        "Quota limit 1 for instances must be greater than or equal to already used and reserved 2."
    )
    assert (status, body) == (400, {"badRequest": {"message": message, "code": 400}})
    assert pod_limits(cloud, project, "instances") == {"pod1": 10, "pod2": 10}
    status, _, body = call("PUT", quotas, {"quota_set": {"instances": 1, "force": True}})
    assert (status, body["quota_set"]["instances"]) == (200, 1)
    assert pod_limits(cloud, project, "instances") == {"pod1": 1, "pod2": 1}
    assert boot(cloud, project, EAST)[0] == 403


def test_unlimited_and_delete_reach_every_pod(cloud, project) -> None:
    quotas = f"{compute(cloud, project)}/os-quota-sets/{project}"
    body = {"quota_set": {"cores": -1, "metadata_items": 64, "instances": 5}}
    status, _, shown = call("PUT", quotas, body)
    assert status == 200
    assert (shown["quota_set"]["cores"], shown["quota_set"]["metadata_items"]) == (-1, 64)
    assert pod_limits(cloud, project, "cores") == {"pod1": -1, "pod2": -1}
    assert pod_limits(cloud, project, "metadata_items") == {"pod1": 64, "pod2": 64}
    status, _, body = call("PUT", quotas, {"quota_set": {"cores": -5}})
    message = f"Availability zone {EAST}: Invalid input for field/attribute cores. Value: -5."
    assert (status, body) == (400, {"badRequest": {"message": message, "code": 400}})
    assert call("DELETE", quotas)[0] == 202
    assert pod_limits(cloud, project, "instances") == {"pod1": 10, "pod2": 10}
    assert call("GET", quotas)[2]["quota_set"]["instances"] == 10
    defaults = call("GET", f"{quotas}/defaults")[2]["quota_set"]
    assert (defaults["id"], defaults["instances"], defaults["cores"]) == (project, 10, 20)


def test_cinder_volumes_over_both_pods_stop_at_the_limit_with_its_413(cloud, project) -> None:
    quotas = f"{volume(cloud, project)}/os-quota-sets/{project}"
    status, _, body = call("PUT", quotas, {"quota_set": {"volumes": 2, "gigabytes": 10}})
    assert (status, body["quota_set"]["volumes"], body["quota_set"]["gigabytes"]) == (200, 2, 10)
    for az in (EAST, WEST):
        made = call(
            "POST",
            f"{volume(cloud, project)}/volumes",
            {"volume": {"size": 1, "availability_zone": az}},
        )
        assert made[0] == 202
    status, _, body = call(
        "POST",
        f"{volume(cloud, project)}/volumes",
        {"volume": {"size": 1, "availability_zone": EAST}},
    )
    assert (status, body["overLimit"]["code"]) == (413, 413)
    usage = call("GET", f"{quotas}?usage=True")[2]["quota_set"]
    assert usage["volumes"] == {"limit": 2, "in_use": 2, "reserved": 0}
    assert usage["gigabytes"] == {"limit": 10, "in_use": 2, "reserved": 0}
    absolute = call("GET", f"{volume(cloud, project)}/limits")[2]["limits"]["absolute"]
    assert (absolute["maxTotalVolumes"], absolute["totalVolumesUsed"]) == (2, 2)
    status, _, body = call("PUT", quotas, {"quota_set": {"volumes": 1}})
    message = (
        "Quota volumes limit must be equal or greater than existing resources. "
        "Current usage is 2 and the requested limit is 1."
    )
    assert (status, body) == (400, {"badRequest": {"message": message, "code": 400}})


def test_neutron_quotas_hold_over_both_pods_and_security_groups_whole(cloud, project) -> None:
    gateway, pods = cloud
    admin = {"x-project-id": project, "x-roles": "admin"}
    quotas = f"{gateway.network_url}/quotas/{project}"
    body = {"quota": {"network": 3, "security_group": 5}}
    status, _, shown = call("PUT", quotas, body, admin)
    assert (status, shown["quota"]["network"], shown["quota"]["security_group"]) == (200, 3, 5)
    direct = {
        name: call("GET", f"{pod.network_url}/v2.0/quotas/{project}", headers=admin)[2]["quota"]
        for name, pod in pods.items()
    }
    assert {name: (q["network"], q["security_group"]) for name, q in direct.items()} == {
        "pod1": (2, 5),
        "pod2": (1, 5),
    }
    network = {"network": {"name": "n"}}
    made = call("POST", f"{pods['pod2'].network_url}/v2.0/networks", network, admin)
    assert made[0] == 201
    details = call("GET", f"{quotas}/details", headers=admin)[2]["quota"]
    assert details["network"] == {"limit": 3, "used": 1, "reserved": 0}


def test_quota_classes_are_read_from_one_pod_and_written_to_both(cloud, project) -> None:
    classes = f"{compute(cloud, project)}/os-quota-class-sets/default"
    status, _, shown = call("GET", classes)
    assert (status, shown["quota_class_set"]["id"], shown["quota_class_set"]["instances"]) == (
        200,
        "default",
        10,
    )
    try:
        status, _, body = call("PUT", classes, {"quota_class_set": {"instances": 12}})
        assert (status, body["quota_class_set"]["instances"]) == (200, 12)
        assert pod_limits(cloud, project, "instances") == {"pod1": 12, "pod2": 12}
        defaults = call("GET", f"{compute(cloud, project)}/os-quota-sets/{project}/defaults")[2]
        assert defaults["quota_set"]["instances"] == 12
    finally:
        call("PUT", classes, {"quota_class_set": {"instances": 10}})
