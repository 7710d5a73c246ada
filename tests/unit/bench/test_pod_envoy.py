"""The simulated pods' Envoy config: what the gateway will read from each pod."""

import itertools

from bench.pod_envoy import PodListener, direct_bootstrap, pod_bootstrap, server_list
from control_plane.decision.lists.query import parse_query
from control_plane.model import Service


def test_each_pod_lists_distinct_servers_in_novas_default_order() -> None:
    pods = [PodListener(f"pod{i}", 1000 + i, f"nova-{i}", listed=20) for i in range(3)]
    pages = [server_list(pod, i)["servers"] for i, pod in enumerate(pods)]
    order = parse_query(Service.COMPUTE, "", max_limit=1000).order

    ids = [server["id"] for page in pages for server in page]
    assert len(ids) == len(set(ids)) == 60
    for pod, page in zip(pods, pages, strict=True):
        keys = [order.key(server) for server in page]
        assert all(not later < earlier for earlier, later in itertools.pairwise(keys))
        assert {server["OS-EXT-AZ:availability_zone"] for server in page} == {pod.pod_az}


def test_pod_bootstrap_has_a_listener_per_pod_with_delayed_lists() -> None:
    pods = [PodListener("a", 1001, "nova-a"), PodListener("b", 1002, "nova-b")]

    bootstrap = pod_bootstrap(pods, admin_port=1000, list_delay_ms=50)

    listeners = bootstrap["static_resources"]["listeners"]
    assert [lst["address"]["socket_address"]["port_value"] for lst in listeners] == [1001, 1002]
    manager = listeners[0]["filter_chains"][0]["filters"][0]["typed_config"]
    routes = manager["route_config"]["virtual_hosts"][0]["routes"]
    delayed = [
        r for r in routes if "envoy.filters.http.fault" in r.get("typed_per_filter_config", {})
    ]
    assert len(delayed) == 1
    fault = delayed[0]["typed_per_filter_config"]["envoy.filters.http.fault"]
    assert fault["delay"]["fixed_delay"] == "0.050s"
    assert "servers(/detail)?" in delayed[0]["match"]["safe_regex"]["regex"]


def test_direct_bootstrap_rewrites_the_api_prefix_to_the_pods_path() -> None:
    bootstrap = direct_bootstrap(port=2000, admin_port=2001, pod_port=1001)

    manager = bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    route = manager["typed_config"]["route_config"]["virtual_hosts"][0]["routes"][0]
    assert route["match"] == {"prefix": "/v2.1/"}
    assert route["route"]["prefix_rewrite"] == "/compute/v2.1/"
    cluster = bootstrap["static_resources"]["clusters"][0]
    endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"]["port_value"] == 1001
