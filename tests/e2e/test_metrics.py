"""/metrics after real traffic through Envoy: every counter moved by exactly what was sent."""

import urllib.request

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.gateway import Gateway
from harness.procs import SimPod
from tests.e2e.test_skeleton import PROJECT, call, register

pytestmark = pytest.mark.e2e


def scrape(gateway: Gateway) -> dict[tuple[str, frozenset], float]:
    url = f"http://127.0.0.1:{gateway.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_counters_move_by_the_traffic_sent(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    register(gateway, sim_pods)
    gateway.wait_for_clusters(
        {f"pod.{pod}.{s}" for pod in sim_pods for s in ("compute", "volumev3")}
    )
    before = scrape(gateway)
    compute = f"{gateway.compute_url}/{PROJECT}"
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(
            http,
            "POST",
            f"{compute}/servers",
            {"server": {"name": "m", "availability_zone": "az-east"}},
        )
        assert status == 202
        for _ in range(2):
            assert (await call(http, "GET", f"{compute}/servers/{body['server']['id']}"))[0] == 200
        for n in range(3):
            assert (await call(http, "GET", f"{compute}/servers/missing-{n}"))[0] == 404
        assert (await call(http, "GET", f"{compute}/servers/detail"))[0] == 200
    after = scrape(gateway)

    decisions = "podgate_decisions_total"
    assert delta(before, after, decisions, kind="create", outcome="pod.pod1.compute") == 1
    assert delta(before, after, decisions, kind="routed", outcome="pod.pod1.compute") == 2
    assert delta(before, after, decisions, kind="routed", outcome="404") == 3
    assert delta(before, after, decisions, kind="list", outcome="200") == 1
    assert delta(before, after, "podgate_routing_cache_hits_total") == 2  # recorded on create
    assert delta(before, after, "podgate_routing_cache_misses_total") == 3
    assert delta(before, after, "podgate_fanout_seconds_count", resource="server") == 1
    for pod in ("pod1", "pod2"):
        assert delta(before, after, "podgate_pod_requests_total", pod=pod, outcome="ok") == 1
        assert delta(before, after, "podgate_pod_request_seconds_count", pod=pod) == 1
    assert delta(before, after, "podgate_decision_seconds_count", kind="request_headers") == 7
    assert after[("podgate_xds_acks_total", frozenset({("type", "CDS")}))] >= 1
    assert after[("podgate_xds_pushes_total", frozenset({("type", "CDS")}))] >= 1
