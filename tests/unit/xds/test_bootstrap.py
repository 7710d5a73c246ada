"""render_bootstrap fills the template safely; Envoy validity is in test_envoy_validate."""

import pytest
import yaml

from control_plane.model import ENVOY_TOKEN_METADATA
from control_plane.xds.bootstrap import render_bootstrap
from control_plane.xds.resources import CONTROL_PLANE_CLUSTER


def _render(node_id: str = "podgate-envoy", host: str = "127.0.0.1") -> dict:
    text = render_bootstrap(
        node_id=node_id,
        admin_host="127.0.0.1",
        admin_port=19901,
        control_plane_host=host,
        control_plane_port=19990,
        envoy_token="test-envoy-token",
    )
    return yaml.safe_load(text)


@pytest.mark.parametrize("node_id", ["n", "yes", "a: b", "#1", "${x}"])
def test_node_id_survives_yaml_quoting(node_id: str) -> None:
    assert _render(node_id)["node"] == {"id": node_id, "cluster": "podgate"}


def test_admin_listens_where_asked() -> None:
    assert _render()["admin"]["address"]["socket_address"] == {
        "address": "127.0.0.1",
        "port_value": 19901,
    }


def test_control_plane_cluster_speaks_http2_to_the_grpc_port() -> None:
    (cluster,) = _render()["static_resources"]["clusters"]
    assert cluster["name"] == CONTROL_PLANE_CLUSTER
    assert cluster["type"] == "STATIC"
    options = cluster["typed_extension_protocol_options"]
    http = options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
    assert "http2_protocol_options" in http["explicit_http_config"]
    endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 19990}


def test_a_hostname_control_plane_is_resolved_by_dns() -> None:
    (cluster,) = _render(host="control-plane.local")["static_resources"]["clusters"]
    assert cluster["type"] == "STRICT_DNS"


def test_ads_carries_clusters_and_listeners() -> None:
    dynamic = _render()["dynamic_resources"]
    ads = dynamic["ads_config"]
    assert ads["api_type"] == "GRPC"
    assert ads["grpc_services"] == [
        {
            "envoy_grpc": {"cluster_name": CONTROL_PLANE_CLUSTER},
            "initial_metadata": [{"key": ENVOY_TOKEN_METADATA, "value": "test-envoy-token"}],
        }
    ]
    assert (
        dynamic["cds_config"]
        == dynamic["lds_config"]
        == {
            "ads": {},
            "resource_api_version": "V3",
        }
    )


@pytest.mark.parametrize("token", ["a: b", "#x", "${y}", "'q\""])
def test_envoy_token_survives_yaml_quoting(token: str) -> None:
    text = render_bootstrap(
        node_id="n",
        admin_host="127.0.0.1",
        admin_port=1,
        control_plane_host="127.0.0.1",
        control_plane_port=2,
        envoy_token=token,
    )
    ads = yaml.safe_load(text)["dynamic_resources"]["ads_config"]
    assert ads["grpc_services"][0]["initial_metadata"][0]["value"] == token


def test_decision_streams_are_bounded_on_purpose() -> None:
    text = render_bootstrap(
        node_id="n",
        admin_host="127.0.0.1",
        admin_port=19901,
        control_plane_host="127.0.0.1",
        control_plane_port=19990,
        envoy_token="t",
        max_in_flight=5000,
    )
    (cluster,) = yaml.safe_load(text)["static_resources"]["clusters"]
    assert cluster["circuit_breakers"]["thresholds"] == [
        {"max_requests": 5000, "max_pending_requests": 5000}
    ]


def test_the_overload_manager_keeps_envoy_under_its_heap_limit() -> None:
    text = render_bootstrap(
        node_id="n",
        admin_host="127.0.0.1",
        admin_port=19901,
        control_plane_host="127.0.0.1",
        control_plane_port=19990,
        envoy_token="t",
        max_heap_bytes=256 << 20,
    )
    overload = yaml.safe_load(text)["overload_manager"]
    monitors = {m["name"]: m["typed_config"] for m in overload["resource_monitors"]}
    assert monitors["envoy.resource_monitors.fixed_heap"]["max_heap_size_bytes"] == 256 << 20
    heap_actions = {
        action["name"]: action["triggers"][0]["threshold"]["value"]
        for action in overload["actions"]
        if action["triggers"][0]["name"] == "envoy.resource_monitors.fixed_heap"
    }
    assert heap_actions["envoy.overload_actions.stop_accepting_requests"] == 0.95
    assert heap_actions["envoy.overload_actions.disable_http_keepalive"] < 0.95
