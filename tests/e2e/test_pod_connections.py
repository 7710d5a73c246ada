"""Pods that close keep-alive connections: Envoy retires idle ones first, and a request whose
connection drops under it is tried again only when repeating it is harmless."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.fixtures.dropping_relay import DroppingRelay

pytestmark = pytest.mark.e2e


@contextmanager
def _relayed(tmp_path: Path, idle_timeout_s: float = 60) -> Iterator[tuple[Gateway, DroppingRelay]]:
    """One pod whose compute API sits behind a DroppingRelay (a long idle timeout by default,
    so Envoy keeps its connections for the relay to drop)."""
    sim = start_podsim("pod1", "az1", tmp_path)
    upstream = urlsplit(sim.url)
    relay = DroppingRelay(upstream.hostname or "127.0.0.1", upstream.port or 80).start()
    gateway = Gateway(
        state_dir=tmp_path / "state",
        extra_env={"PODGATE_ENVOY_UPSTREAM_IDLE_TIMEOUT_S": str(idle_timeout_s)},
    )
    gateway.state_dir.mkdir()
    try:
        gateway.start_control_plane()
        gateway.start_envoy()
        endpoints = {
            "compute": f"http://127.0.0.1:{relay.port}/compute/v2.1",
            "volumev3": sim.volume_url,
        }
        pod = admin_pb2.Pod(name="pod1", az_name="az1", pod_az_name="az1", endpoints=endpoints)
        gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=pod))
        wanted = {"pod.pod1.compute", "pod.pod1.volumev3"}
        gateway.wait_for_clusters(wanted)
        yield gateway, relay
    finally:
        gateway.stop()
        relay.stop()
        sim.proc.stop()


def _create(gateway: Gateway, project: str) -> tuple[int, dict]:
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "img"}}
    status, _, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
    return status, answer


def test_idempotent_requests_survive_a_dropped_connection(tmp_path, project) -> None:
    with _relayed(tmp_path) as (gateway, relay):
        _idempotent_requests_survive(gateway, relay, project)


def _idempotent_requests_survive(gateway: Gateway, relay: DroppingRelay, project: str) -> None:
    status, answer = _create(gateway, project)
    assert status == 202, answer
    url = f"{gateway.compute_url}/{project}/servers/{answer['server']['id']}"
    status, _, shown = call("GET", url)
    assert status == 200 and shown["server"]["name"] == "vm"
    status, _, answer = call("DELETE", url)
    assert status == 204, answer
    # Each of them met a dropped connection and was tried once more on a fresh one.
    assert relay.dropped >= 2
    assert gateway.envoy_stat("cluster.pod.pod1.compute.upstream_rq_retry") >= 2


def test_a_create_is_never_sent_twice(tmp_path, project) -> None:
    with _relayed(tmp_path) as (gateway, relay):
        _create_not_repeated(gateway, relay, project)


def _create_not_repeated(gateway: Gateway, relay: DroppingRelay, project: str) -> None:
    status, answer = _create(gateway, project)
    assert status == 202, answer
    status, answer = _create(gateway, project)  # on the connection the relay now drops
    assert relay.dropped == 1
    message = answer["serviceUnavailable"]["message"]
    assert status == 503 and "availability zone" in message and "pod" not in message, message
    listed = call("GET", f"{gateway.compute_url}/{project}/servers")[2]["servers"]
    assert len(listed) == 1


def test_idle_pod_connections_are_closed_by_envoy_first(tmp_path, project) -> None:
    with _relayed(tmp_path, idle_timeout_s=0.3) as (gateway, relay):
        _idle_connections_closed(gateway, relay, project)


def _idle_connections_closed(gateway: Gateway, relay: DroppingRelay, project: str) -> None:
    status, answer = _create(gateway, project)
    assert status == 202, answer
    url = f"{gateway.compute_url}/{project}/servers/{answer['server']['id']}"
    stats = "cluster.pod.pod1.compute.upstream_cx"

    def closed_when_idle() -> bool:
        # Envoy counts the idle timeout a moment before the connection is gone.
        timed_out = gateway.envoy_stat(f"{stats}_idle_timeout") >= 1
        return timed_out and gateway.envoy_stat(f"{stats}_active") == 0

    wait_for(closed_when_idle, timeout=WAIT_S, what="the idle pod connection closed")
    status, _, shown = call("GET", url)
    assert status == 200 and shown["server"]["name"] == "vm"
    assert relay.dropped == 0
