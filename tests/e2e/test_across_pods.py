"""What the gateway answers from every pod, through real Envoy and two simulated pods.

Shared objects (flavors, key pairs, volume types): reads merge both pods (each object once, links
through the gateway); writes reach both pods so a later create in either AZ can name the object;
a pod refusing a create undoes the other's copy. (Limits and quota sets: test_quotas.py;
services and hypervisors: test_admin_views.py.)
"""

from collections.abc import Iterator

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, SimPod, wait_for

pytestmark = pytest.mark.e2e

LAYOUT = TWO_PODS


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("shared"), LAYOUT) as running:
        yield running


def _compute(cloud: tuple[Gateway, dict[str, SimPod]], project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/compute/v2.1/{project}" if pod else f"{gateway.compute_url}/{project}"


def _volume(cloud: tuple[Gateway, dict[str, SimPod]], project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/volume/v3/{project}" if pod else f"{gateway.volume_url}/{project}"


def test_flavor_lists_show_each_flavor_once_with_gateway_links(cloud, project) -> None:
    status, _, body = call("GET", f"{_compute(cloud, project)}/flavors/detail")
    assert status == 200
    names = [flavor["name"] for flavor in body["flavors"]]
    assert names == ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]
    hrefs = {link["href"] for link in body["flavors"][0]["links"]}
    assert hrefs == {f"{_compute(cloud, project)}/flavors/1"}
    status, _, shown = call("GET", f"{_compute(cloud, project)}/flavors/1")
    assert (status, shown["flavor"]["name"]) == (200, "m1.tiny")


def test_an_admin_flavor_reaches_every_pod_and_servers_in_any_az_can_use_it(cloud, project) -> None:
    flavor = {"name": f"f-{project}", "ram": 64, "vcpus": 1, "disk": 1, "id": project}
    status, _, created = call("POST", f"{_compute(cloud, project)}/flavors", {"flavor": flavor})
    assert (status, created["flavor"]["id"]) == (200, project)
    specs = {"extra_specs": {"hw:cpu_policy": "dedicated"}}
    status, _, _ = call(
        "POST", f"{_compute(cloud, project)}/flavors/{project}/os-extra_specs", specs
    )
    assert status == 200
    for pod in LAYOUT:
        _, _, direct = call(
            "GET", f"{_compute(cloud, project, pod)}/flavors/{project}/os-extra_specs"
        )
        assert direct == specs
    for az in ("az-east", "az-west"):
        server = {"server": {"name": "vm", "flavorRef": project, "availability_zone": az}}
        status, _, answer = call("POST", f"{_compute(cloud, project)}/servers", server)
        assert status == 202, answer
    status, _, _ = call("DELETE", f"{_compute(cloud, project)}/flavors/{project}")
    assert status == 202
    for pod in LAYOUT:
        assert call("GET", f"{_compute(cloud, project, pod)}/flavors/{project}")[0] == 404


def test_a_create_one_pod_refuses_is_undone_and_names_its_zone(cloud, project) -> None:
    taken = {"flavor": {"name": f"f-{project}", "ram": 64, "vcpus": 1, "disk": 1}}
    assert call("POST", f"{_compute(cloud, project, 'pod2')}/flavors", taken)[0] == 200
    retry = {"flavor": {**taken["flavor"], "id": project}}
    status, _, body = call("POST", f"{_compute(cloud, project)}/flavors", retry)
    message = f"Availability zone az-west: Flavor with name f-{project} already exists."
    assert (status, body) == (409, {"conflictingRequest": {"message": message, "code": 409}})
    # The undo runs after the answer.
    in_pod1 = f"{_compute(cloud, project, 'pod1')}/flavors/{project}"
    wait_for(lambda: call("GET", in_pod1)[0] == 404, timeout=WAIT_S, what="the undone flavor")


def test_a_generated_key_pair_is_the_same_in_every_pod(cloud, project) -> None:
    name = f"k-{project}"
    status, _, made = call(
        "POST", f"{_compute(cloud, project)}/os-keypairs", {"keypair": {"name": name}}
    )
    assert status == 200 and made["keypair"]["private_key"].startswith("-----BEGIN")
    keys = {
        call("GET", f"{_compute(cloud, project, pod)}/os-keypairs/{name}")[2]["keypair"][
            "public_key"
        ]
        for pod in LAYOUT
    }
    assert keys == {made["keypair"]["public_key"]}
    _, _, listed = call("GET", f"{_compute(cloud, project)}/os-keypairs")
    assert [k["keypair"]["name"] for k in listed["keypairs"]].count(name) == 1
    for az in ("az-east", "az-west"):
        server = {"server": {"name": "vm", "key_name": name, "availability_zone": az}}
        assert call("POST", f"{_compute(cloud, project)}/servers", server)[0] == 202
    status, _, _ = call("DELETE", f"{_compute(cloud, project)}/os-keypairs/{name}")
    assert status == 202
    server = {"server": {"name": "vm", "key_name": name, "availability_zone": "az-east"}}
    status, _, body = call("POST", f"{_compute(cloud, project)}/servers", server)
    assert (status, body) == (
        400,
        {"badRequest": {"message": "Invalid key_name provided.", "code": 400}},
    )


def test_volume_types_reach_every_pod_and_volumes_in_any_az_can_use_them(cloud, project) -> None:
    name = f"t-{project}"
    status, _, made = call(
        "POST", f"{_volume(cloud, project)}/types", {"volume_type": {"name": name}}
    )
    assert status == 200
    _, _, listed = call("GET", f"{_volume(cloud, project)}/types")
    names = [t["name"] for t in listed["volume_types"]]
    assert names.count("__DEFAULT__") == 1 and names.count(name) == 1
    for az in ("az-east", "az-west"):
        volume = {"volume": {"size": 1, "volume_type": name, "availability_zone": az}}
        status, _, answer = call("POST", f"{_volume(cloud, project)}/volumes", volume)
        assert status == 202, answer
    # Each pod made its own id for the type: the gateway finds every pod's copy by its name.
    type_id = made["volume_type"]["id"]
    status, _, body = call(
        "PUT", f"{_volume(cloud, project)}/types/{type_id}", {"volume_type": {"description": "d"}}
    )
    assert status == 200, body
    for pod in LAYOUT:
        _, _, direct = call("GET", f"{_volume(cloud, project, pod)}/types")
        assert [t["description"] for t in direct["volume_types"] if t["name"] == name] == ["d"]
    status, _, body = call("DELETE", f"{_volume(cloud, project)}/types/{type_id}")
    assert status == 202, body
    for pod in LAYOUT:
        _, _, direct = call("GET", f"{_volume(cloud, project, pod)}/types")
        assert name not in [t["name"] for t in direct["volume_types"]]
    volume = {"volume": {"size": 1, "volume_type": "nope", "availability_zone": "az-west"}}
    status, _, body = call("POST", f"{_volume(cloud, project)}/volumes", volume)
    message = "Volume type with name nope could not be found."
    assert (status, body) == (404, {"itemNotFound": {"message": message, "code": 404}})
