"""Config rendering: each pod wired to its own region, vhost and databases; Podgate in RegionOne."""

import base64
import configparser
import hashlib
import json
import re
from pathlib import Path

import pytest

from realcloud import configs, seed, tempest
from realcloud.layout import PODS, RABBIT_USER, Layout
from realcloud.results import Run

LAYOUT = Layout(Path("/state"))


def ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_render_ini_writes_booleans_lowercase_and_leaves_out_none() -> None:
    text = configs.render_ini({"a": {"on": True, "off": False, "n": 3, "gone": None}})
    assert text == "[a]\non = true\noff = false\nn = 3\n"


@pytest.mark.parametrize("pod", PODS, ids=lambda p: p.name)
def test_each_pods_nova_talks_to_its_own_region_vhost_and_databases(pod) -> None:
    nova = ini(configs.nova_conf(LAYOUT, pod))
    assert nova["DEFAULT"]["transport_url"].endswith(f":15672/{pod.key}")
    assert nova["DEFAULT"]["default_availability_zone"] == pod.az
    assert nova["DEFAULT"]["host"] == pod.host
    assert nova["cinder"]["os_region_name"] == pod.name
    for section in ("placement", "neutron", "keystone_authtoken"):
        assert nova[section]["region_name"] == pod.name
    assert nova["database"]["connection"].endswith(f"/{pod.key}_nova_cell1")
    assert nova["api_database"]["connection"].endswith(f"/{pod.key}_nova_api")
    assert nova["service_user"]["send_service_user_token"] == "true"
    # No agent sends network-vif-plugged: a boot must not wait for it.
    assert nova["DEFAULT"]["vif_plugging_is_fatal"] == "false"
    assert nova["DEFAULT"]["vif_plugging_timeout"] == "0"


@pytest.mark.parametrize("pod", PODS, ids=lambda p: p.name)
def test_each_pods_neutron_binds_ports_with_openvswitch_and_serves_routers(pod) -> None:
    neutron = ini(configs.neutron_conf(LAYOUT, pod))
    assert neutron["DEFAULT"]["bind_port"] == str(pod.neutron_port)
    assert neutron["DEFAULT"]["service_plugins"] == "router"
    assert neutron["database"]["connection"].endswith(f"/{pod.key}_neutron")
    assert neutron["keystone_authtoken"]["region_name"] == pod.name
    assert neutron["ml2"]["mechanism_drivers"] == "openvswitch"
    assert neutron["ml2"]["project_network_types"] == "vxlan"
    assert neutron["ml2_type_flat"]["flat_networks"] == configs.PUBLIC_PHYSNET


@pytest.mark.parametrize("pod", PODS, ids=lambda p: p.name)
def test_each_pods_cinder_is_in_its_az_with_the_fake_backend(pod) -> None:
    cinder = ini(configs.cinder_conf(LAYOUT, pod))
    assert cinder["DEFAULT"]["storage_availability_zone"] == pod.az
    assert cinder["DEFAULT"]["osapi_volume_listen_port"] == str(pod.cinder_port)
    assert cinder["DEFAULT"]["resource_query_filters_file"].endswith("resource_filters.json")
    assert cinder["fake"]["volume_driver"].endswith("FakeLoggingVolumeDriver")
    assert cinder["nova"]["region_name"] == pod.name


@pytest.mark.parametrize("pod", PODS, ids=lambda p: p.name)
def test_each_pods_nova_and_cinder_build_links_from_podgates_proxy_headers(pod) -> None:
    for conf in (configs.nova_conf(LAYOUT, pod), configs.cinder_conf(LAYOUT, pod)):
        assert ini(conf)["oslo_middleware"]["enable_proxy_headers_parsing"] == "true"
    # Their paths are Podgate's: X-Forwarded-Host is all they need (README: "Links in answers").
    endpoints = seed.pod_endpoints(LAYOUT, pod)
    for service in ("compute", "volumev3"):
        assert re.match(r"http://[^/]+/v(2\.1|3)(/|$)", endpoints[service]), endpoints[service]


def test_rabbit_definitions_hash_the_password_as_rabbitmq_does() -> None:
    salt = b"\x01\x02\x03\x04"
    definitions = json.loads(configs.rabbit_definitions(salt))
    user, password = RABBIT_USER
    (entry,) = definitions["users"]
    raw = base64.b64decode(entry["password_hash"])
    assert entry["name"] == user
    assert raw == salt + hashlib.sha256(salt + password.encode()).digest()
    assert {v["name"] for v in definitions["vhosts"]} == {pod.key for pod in PODS}
    assert {p["vhost"] for p in definitions["permissions"]} == {pod.key for pod in PODS}


def test_the_gateway_region_points_at_podgate_with_the_project_in_the_compute_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(seed.COMPUTE_PATH_ENV, raising=False)
    assert seed.gateway_endpoints(LAYOUT) == {
        "compute": "http://127.0.0.1:19998/v2.1/$(project_id)s",
        "volumev3": "http://127.0.0.1:19997/v3/$(project_id)s",
        "network": "http://127.0.0.1:19995",
    }
    monkeypatch.setenv(seed.COMPUTE_PATH_ENV, "/v2.1")
    assert seed.gateway_endpoints(LAYOUT)["compute"] == "http://127.0.0.1:19998/v2.1"


def test_pods_publish_their_own_services_and_identity_in_their_region() -> None:
    pod1, pod2 = (seed.pod_endpoints(LAYOUT, pod) for pod in PODS)
    assert pod1["compute"] == "http://127.0.0.1:18774/v2.1"
    assert pod2["volumev3"] == "http://127.0.0.1:28776/v3/$(project_id)s"
    assert pod1["identity"] == pod2["identity"] == "http://127.0.0.1:15000/v3/"
    assert pod1["image"] == pod2["image"]  # one shared Glance


SEEDED = tempest.Seeded("image-1", "public-1", ("dvr", "external-net", "router"))


def test_tempest_targets_the_region_and_switches_off_absent_services() -> None:
    conf = ini(tempest.tempest_conf(LAYOUT, Path("/ws"), "RegionOne", SEEDED))
    assert conf["identity"]["region"] == "RegionOne"
    assert conf["identity"]["uri_v3"] == "http://127.0.0.1:15000/v3"
    assert conf["compute"]["image_ref"] == "image-1"
    assert conf["service_available"]["neutron"] == "true"
    assert conf["volume-feature-enabled"]["backup"] == "false"
    assert tempest.TARGETS == {"podgate": "RegionOne", "direct": "Pod1"}


def test_tempest_gives_each_project_a_network_routed_to_the_seeded_public_one() -> None:
    conf = ini(tempest.tempest_conf(LAYOUT, Path("/ws"), "Pod1", SEEDED))
    assert conf["auth"]["create_isolated_networks"] == "true"
    assert conf["network"]["public_network_id"] == "public-1"
    assert conf["network"]["project_networks_reachable"] == "false"
    assert conf["network-feature-enabled"]["api_extensions"] == "dvr,external-net,router"
    assert "fixed_network_name" not in conf["compute"]


@pytest.mark.parametrize(
    ("test", "selected"),
    [
        ("tempest.api.compute.servers.test_create_server.ServersTestJSON.test_list_servers", True),
        ("tempest.api.volume.test_volumes_get.VolumesGetTest.test_volume_create_get", True),
        ("tempest.api.network.test_ports.PortsTestJSON.test_create_port_in_allowed", True),
        ("tempest.api.network.admin.test_routers.RoutersAdminTest.test_create_router", True),
        ("tempest.api.network.test_ports.PortsIpV6TestJSON.test_create_port_in_allowed", False),
        ("tempest.api.network.admin.test_dhcp_agent_scheduler.DHCPAgentSchedulersTestJSON", False),
        ("tempest.api.network.test_tags.TagsTestJSON.test_create_list_show_update_delete", False),
        ("tempest.api.compute.admin.test_agents.AgentsAdminTestJSON.test_list_agents", True),
        ("tempest.api.image.v2.test_images.BasicOperationsImagesTest.test_delete_image", False),
    ],
)
def test_the_selection_takes_the_issues_network_tests_ipv4_only(test: str, selected: bool) -> None:
    assert bool(re.search(tempest.SELECTION, test)) is selected


def test_a_kept_final_run_comes_back_only_for_the_same_selection(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    layout.results.mkdir()
    run = Run({"t.a": "pass", "t.b": "fail"}, ("t.C",))
    outcome = tempest.Outcome("direct", "Pod1", 12.5, 1, run, {"t.b": "Boom"}, ("t.a[x]", "t.b"))
    tempest.save_final(layout, outcome, run, ["t.a"], "^t\\.")
    assert tempest.load_final(layout, "direct", "^other") is None
    kept, final, flaky = tempest.load_final(layout, "direct", "^t\\.")
    assert (final, flaky, kept.listed, kept.reasons) == (
        run,
        ["t.a"],
        outcome.listed,
        outcome.reasons,
    )
    assert tempest.load_final(layout, "podgate", "^t\\.") is None
