"""The `openstack` commands that need Keystone, against the gateway listed in its catalog.

`quota show` takes the project from the token, `versions show` and `catalog list` read the
catalog: with the demo's `auth_type: none` none of them can run (test_osc_commands.py has the
rest). Keystone's region `Gateway` names the gateway's compute, volume and network listeners;
two podsim pods (az-east, az-west) sit behind it.
"""

from dataclasses import dataclass

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import ADMIN, DEMO, Keystone
from harness.procs import SimPod
from tests.fixtures.keystone import KEYSTONE_MARKS
from tests.fixtures.keystone_cloud import GATEWAY_REGION as REGION
from tests.fixtures.keystone_cloud import region_cloud  # noqa: F401 (fixture)
from tests.fixtures.osc import Osc, keystone_clouds_yaml

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

EAST, WEST = "az-east", "az-west"
_TIMEOUT_S = 120


@dataclass(frozen=True)
class Cloud:
    """The gateway, its pods, the demo project's id and `openstack` as its user and the admin."""

    gateway: Gateway
    pods: dict[str, SimPod]
    project: str
    demo: Osc
    admin: Osc


@pytest.fixture(scope="module")
def cloud(
    region_cloud: tuple[Gateway, dict[str, SimPod]],  # noqa: F811 (the fixture imported above)
    keystone: Keystone,
    tmp_path_factory: pytest.TempPathFactory,
) -> Cloud:
    directory = tmp_path_factory.mktemp("osc-keystone")
    users = []
    for credentials in (DEMO, ADMIN):
        clouds = directory / f"{credentials[0]}.yaml"
        clouds.write_text(keystone_clouds_yaml(keystone.auth_url, REGION, *credentials))
        users.append(Osc(clouds, timeout_s=_TIMEOUT_S))
    return Cloud(*region_cloud, keystone.project_ids["demo"], *users)


def test_catalog_list_shows_the_gateway_as_the_region_services(cloud: Cloud) -> None:
    gateway, pods, project = cloud.gateway, cloud.pods, cloud.project
    catalog = cloud.demo.json("catalog", "list")
    urls = {
        (service["Type"], endpoint["interface"]): endpoint["url"]
        for service in catalog
        for endpoint in service["Endpoints"]
        if endpoint["region"] == REGION
    }
    network = f"http://127.0.0.1:{gateway.network_port}"
    for interface in ("public", "internal"):
        assert urls[("compute", interface)] == f"{gateway.compute_url}/{project}"
        assert urls[("volumev3", interface)] == f"{gateway.volume_url}/{project}"
        assert urls[("network", interface)] == network
    assert not [url for url in urls.values() for sim in pods.values() if sim.url in url]


def test_versions_show_lists_what_every_pod_supports(cloud: Cloud) -> None:
    gateway = cloud.gateway
    shown = cloud.demo.json("versions", "show", "--region-name", REGION)
    current = {
        row["Service Type"]: (row["Version"], row["Endpoint"], row["Min Microversion"],
                              row["Max Microversion"])
        for row in shown
        if row["Region Name"] == REGION and row["Status"] == "CURRENT"
    }  # fmt: skip
    # podsim's windows: Nova 2.1-2.96, Cinder 3.0-3.71; Neutron has no microversions.
    assert current == {
        "compute": ("2.1", f"{gateway.compute_url}/", "2.1", "2.96"),
        "block-storage": ("3.0", f"{gateway.volume_url}/", "3.0", "3.71"),
        "network": ("2.0", f"{gateway.network_url}/", None, None),
    }


def test_quota_show_gives_the_limits_over_all_pods(cloud: Cloud) -> None:
    pods, project, demo, admin = cloud.pods, cloud.project, cloud.demo, cloud.admin
    *made, limited = [
        *demo.run_all(
            [["volume", "create", "--size", "1", "--availability-zone", az, f"v-{az}"]
             for az in (EAST, WEST)]
        ),
        admin.run("quota", "set", "--instances", "7", "--volumes", "5", project),
    ]  # fmt: skip
    for done in (*made, limited):
        assert done.returncode == 0, (done.args, done.stderr)

    limits, usage = demo.json_all([["quota", "show"], ["quota", "show", "--usage"]])
    limit = {row["Resource"]: row["Limit"] for row in limits}
    used = {row["Resource"]: row["In Use"] for row in usage}
    # Set through the gateway: over all pods; the rest as the pods show them (their defaults).
    assert (limit["instances"], limit["volumes"]) == (7, 5)
    nova = [_quota(sim.compute_url, project) for sim in pods.values()]
    cinder = [_quota(f"{sim.url}/volume/v3", project) for sim in pods.values()]
    assert sum(quota["instances"] for quota in nova) == 7
    assert sum(quota["volumes"] for quota in cinder) == 5
    assert (limit["cores"], limit["gigabytes"]) == (nova[0]["cores"], cinder[0]["gigabytes"])
    _, _, neutron = call(
        "GET", f"{pods['pod1'].network_url}/v2.0/quotas/{project}", None,
        {"x-project-id": project},
    )  # fmt: skip
    assert limit["networks"] == neutron["quota"]["network"]
    # Usage summed over the pods: one volume in each.
    assert (used["volumes"], used["gigabytes"], used["instances"]) == (2, 2, 0)


def _quota(endpoint: str, project: str) -> dict[str, int]:
    """The project's quota set in one pod, asked directly."""
    status, _, body = call("GET", f"{endpoint}/{project}/os-quota-sets/{project}")
    assert status == 200, body
    return body["quota_set"]
