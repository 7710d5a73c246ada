"""The keystone-mode bench pod: every path but the version documents behind the token check."""

import re

from bench.keystone_mode import pod_bootstrap
from bench.pod_envoy import PodListener


def test_only_version_documents_skip_the_token_check() -> None:
    config = pod_bootstrap(PodListener("kpod", 1234, "az1"), 1235, 5000, "service-token")
    (listener,) = config["static_resources"]["listeners"]
    manager = listener["filter_chains"][0]["filters"][0]["typed_config"]
    lua = manager["http_filters"][0]["typed_config"]["default_source_code"]["inline_string"]
    assert 'SERVICE_TOKEN = "service-token"' in lua and "keystone" in lua
    routes = manager["route_config"]["virtual_hosts"][0]["routes"]
    open_paths = [
        r["match"]["safe_regex"]["regex"] for r in routes if "typed_per_filter_config" in r
    ]
    assert open_paths == ["/compute(/v2\\.1)?/?"]
    assert all(re.fullmatch(open_paths[0], p) for p in ("/compute/", "/compute/v2.1", "/compute"))
    (keystone,) = config["static_resources"]["clusters"]
    endpoint = keystone["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"]["port_value"] == 5000
