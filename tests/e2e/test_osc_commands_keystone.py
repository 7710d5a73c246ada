"""The `openstack` commands that need Keystone, against the gateway listed in its catalog.

`quota show` takes the project from the token, `versions show` and `catalog list` read the
catalog: with the demo's `auth_type: none` none of them can run (test_osc_commands.py has the
rest). Keystone's region `Gateway` names the gateway's compute, volume and network listeners;
two podsim pods (az-east, az-west) sit behind it.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import ADMIN, DEMO, Keystone
from harness.procs import SimPod
from tests.fixtures.keystone import KEYSTONE_MARKS
from tests.fixtures.keystone_cloud import catalog_gateway, keystone_cloud
from tests.fixtures.osc import Osc, keystone_clouds_yaml

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

EAST, WEST = "az-east", "az-west"
REGION = "Gateway"
_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def cloud(
    keystone: Keystone, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with keystone_cloud(tmp_path_factory.mktemp("osc-keystone"), keystone) as (gateway, pods):
        catalog_gateway(keystone, gateway, REGION)
        yield gateway, pods


def _osc(keystone: Keystone, directory: Path, credentials: tuple[str, str, str]) -> Osc:
    clouds = directory / f"{credentials[0]}.yaml"
    clouds.write_text(keystone_clouds_yaml(keystone.auth_url, REGION, *credentials))
    return Osc(clouds, timeout_s=_TIMEOUT_S)


def test_catalog_list_shows_the_gateway_as_the_region_services(
    cloud: tuple[Gateway, dict[str, SimPod]], keystone: Keystone, tmp_path: Path
) -> None:
    gateway, pods = cloud
    project = keystone.project_ids["demo"]
    catalog = _osc(keystone, tmp_path, DEMO).json("catalog", "list")
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


def test_versions_show_lists_what_every_pod_supports(
    cloud: tuple[Gateway, dict[str, SimPod]], keystone: Keystone, tmp_path: Path
) -> None:
    gateway, _ = cloud
    shown = _osc(keystone, tmp_path, DEMO).json("versions", "show", "--region-name", REGION)
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


def test_quota_show_gives_the_limits_over_all_pods(
    cloud: tuple[Gateway, dict[str, SimPod]], keystone: Keystone, tmp_path: Path
) -> None:
    _, pods = cloud
    project = keystone.project_ids["demo"]
    demo, admin = _osc(keystone, tmp_path, DEMO), _osc(keystone, tmp_path, ADMIN)
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
