"""The decision service in three processes ([decision] workers = 2) behind one Envoy."""

import os
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc

from control_plane.model import ENVOY_TOKEN_METADATA, SERVICE_METADATA
from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import UNLIMITED_QUOTAS, WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from tests.e2e.test_metrics import scrape
from tests.fixtures.postgres import fresh_database_for, postgres_url  # noqa: F401 (fixture)
from tests.unit.decision.extproc_harness import request_headers

pytestmark = pytest.mark.e2e

LAYOUT = {"pod1": ("az-east", "az-east"), "pod2": ("az-west", "az-west")}
_WORKERS = 2


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    root = tmp_path_factory.mktemp("workers")
    env = {"PODGATE_DECISION_WORKERS": str(_WORKERS)}
    unlimited = {name: UNLIMITED_QUOTAS for name in LAYOUT}
    with running_cloud(root, LAYOUT, extra_env=env, podsim_args=unlimited) as (gateway, pods):
        wait_for(
            lambda: len(gateway.decision_endpoints()) == 1 + _WORKERS,
            timeout=WAIT_S,
            what="workers",
        )
        yield gateway, pods


def _worker_pids(gateway: Gateway) -> list[int]:
    assert gateway.control_plane is not None
    found = subprocess.run(
        ["pgrep", "-P", str(gateway.control_plane.pid)], capture_output=True, text=True
    )
    return [int(pid) for pid in found.stdout.split()]


def _create(gateway: Gateway, project: str, az: str, name: str) -> tuple[int, dict]:
    body = {"server": {"name": name, "flavorRef": "1", "imageRef": "img", "availability_zone": az}}
    status, _, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
    return status, answer


def test_every_process_decides_and_creates_land_in_their_az(cloud, project) -> None:
    gateway, _ = cloud
    before = gateway.decision_endpoints()
    placed: Counter[str] = Counter()
    for n in range(24):
        az = ("az-east", "az-west")[n % 2]
        status, answer = _create(gateway, project, az, f"vm-{n}")
        assert status == 202, answer
        placed[az] += 1
        status, _, listed = call("GET", f"{gateway.compute_url}/{project}/servers/detail")
        assert status == 200 and len(listed["servers"]) == n + 1
    after = gateway.decision_endpoints()
    assert all(after[host] > before.get(host, 0) for host in after), (before, after)
    zones = Counter(s["OS-EXT-AZ:availability_zone"] for s in listed["servers"])
    assert zones == placed


def test_decisions_of_every_process_show_in_the_main_processs_metrics(cloud, project) -> None:
    """Each create is counted once in /metrics, whichever process decided it; a worker's
    decisions are there (its ext_proc streams moved, and the sum covers them all)."""
    gateway, _ = cloud
    key = (
        "podgate_decisions_total",
        frozenset({"kind": "create", "outcome": "pod.pod1.compute"}.items()),
    )
    hosts_before, counted_before = gateway.decision_endpoints(), scrape(gateway).get(key, 0.0)
    for n in range(9):  # round robin over three processes
        status, answer = _create(gateway, project, "az-east", f"counted-{n}")
        assert status == 202, answer
    moved = {
        host for host, count in gateway.decision_endpoints().items() if count > hosts_before[host]
    }
    assert len(moved) == 1 + _WORKERS
    assert scrape(gateway)[key] - counted_before == 9


def test_known_resources_reach_the_fast_path_and_leave_it_on_delete(cloud, project) -> None:
    gateway, _ = cloud
    ids = [_create(gateway, project, "az-east", f"fast-{n}")[1]["server"]["id"] for n in range(6)]
    for server_id in ids:
        url = f"{gateway.compute_url}/{project}/servers/{server_id}"
        # Whichever process created it, the main process pushes it to Envoy.
        status, _, shown = gateway.fast_path_get(url)
        assert status == 200 and shown["server"]["id"] == server_id
    for server_id in ids:
        url = f"{gateway.compute_url}/{project}/servers/{server_id}"
        assert call("DELETE", url)[0] == 204
        # Within one push the id goes through a decision service again (which knows it is gone).
        wait_for(
            lambda url=url: _goes_to_decision(gateway, url),
            timeout=WAIT_S,
            what="off the fast path",
        )


def _goes_to_decision(gateway: Gateway, url: str) -> bool:
    before = gateway.ext_proc_streams()
    status, _, _ = call("GET", url)
    return status == 404 and gateway.ext_proc_streams() > before


def test_a_pod_registered_on_the_main_process_is_known_to_every_worker(
    cloud, project, tmp_path
) -> None:
    gateway, _ = cloud
    with _north_pod(gateway, tmp_path):
        before = gateway.decision_endpoints()
        for n in range(9):  # round robin: each process places three
            status, answer = _create(gateway, project, "az-north", f"north-{n}")
            assert status == 202, answer
        after = gateway.decision_endpoints()
        assert all(after[host] > before[host] for host in after), (before, after)


@contextmanager
def _north_pod(gateway: Gateway, tmp_path: Path) -> Iterator[None]:
    """pod3 in az-north, registered through the main process's admin API while inside."""
    sim = start_podsim("pod3", "az-north", tmp_path)
    try:
        pod = admin_pb2.Pod(
            name="pod3",
            az_name="az-north",
            pod_az_name="az-north",
            endpoints={"compute": sim.compute_url, "volumev3": sim.volume_url},
        )
        gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=pod))
        _wait_until_every_process_knows(gateway, "az-north")
        yield
    finally:
        gateway.admin().DeletePod(admin_pb2.DeletePodRequest(name="pod3", force=True))
        sim.proc.stop()


def _wait_until_every_process_knows(gateway: Gateway, zone: str) -> None:
    """Wait until each decision process lists `zone`: workers learn the main process's store
    changes over their link a moment after the admin API has answered."""
    url = f"{gateway.compute_url}/{uuid.uuid4().hex}/os-availability-zone"
    knowing: set[str] = set()

    def everyone() -> bool:
        before = gateway.decision_endpoints()
        status, _, body = call("GET", url)
        after = gateway.decision_endpoints()
        moved = [host for host, count in after.items() if count > before.get(host, 0)]
        zones = {info["zoneName"] for info in body["availabilityZoneInfo"]}
        if status == 200 and len(moved) == 1 and zone in zones:
            knowing.update(moved)
        return knowing == set(after)

    wait_for(everyone, timeout=WAIT_S, what=f"every decision process to know {zone}")


def test_a_killed_worker_leaves_envoy_and_comes_back(cloud, project) -> None:
    gateway, _ = cloud
    victim = _worker_pids(gateway)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(
        lambda: len(gateway.decision_endpoints()) == _WORKERS, timeout=WAIT_S, what="worker gone"
    )
    for n in range(6):
        status, answer = _create(gateway, project, "az-west", f"after-kill-{n}")
        assert status == 202, answer
    wait_for(
        lambda: len(gateway.decision_endpoints()) == 1 + _WORKERS,
        timeout=WAIT_S,
        what="worker back",
    )
    assert victim not in _worker_pids(gateway) and len(_worker_pids(gateway)) == _WORKERS


def test_stopping_the_control_plane_stops_its_workers(tmp_path) -> None:
    with running_cloud(tmp_path, LAYOUT, extra_env={"PODGATE_DECISION_WORKERS": "1"}) as (
        gateway,
        _,
    ):
        wait_for(lambda: len(_worker_pids(gateway)) == 1, timeout=WAIT_S, what="the worker")
        pids = _worker_pids(gateway)
        assert gateway.control_plane is not None
        gateway.control_plane.stop()
        wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=WAIT_S, what="worker exit")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.postgres
def test_workers_on_postgresql(postgres_url: str, tmp_path, project) -> None:  # noqa: F811
    """Workers on PostgreSQL: both processes decide, and a new pod reaches the worker."""

    with fresh_database_for(postgres_url) as url:
        env = {"PODGATE_DECISION_WORKERS": "1", "PODGATE_DB_URL": url}
        with running_cloud(tmp_path, LAYOUT, extra_env=env) as (gateway, _):
            wait_for(
                lambda: len(gateway.decision_endpoints()) == 2, timeout=WAIT_S, what="the worker"
            )
            before = gateway.decision_endpoints()
            for n in range(6):
                status, answer = _create(gateway, project, "az-east", f"pg-{n}")
                assert status == 202, answer
            after = gateway.decision_endpoints()
            assert all(after[host] > before[host] for host in after), (before, after)
            with _north_pod(gateway, tmp_path):
                for n in range(4):  # round robin: both processes place two
                    status, answer = _create(gateway, project, "az-north", f"pg-north-{n}")
                    assert status == 202, answer


def test_a_worker_refuses_ext_proc_streams_without_the_envoy_token(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    """Workers listen on ports of their own: they check Envoy's token as the main process does."""
    gateway, _ = cloud
    own = f"127.0.0.1:{gateway.grpc_port}"
    wait_for(
        lambda: len(gateway.decision_endpoints()) == 1 + _WORKERS, timeout=WAIT_S, what="workers"
    )
    workers = [host for host in gateway.decision_endpoints() if host != own]
    ask = request_headers("GET", "/v2.1/", end_of_stream=True)
    service = (SERVICE_METADATA, "compute")
    for worker in workers:
        stub = ep_grpc.ExternalProcessorStub(grpc.insecure_channel(worker))
        with pytest.raises(grpc.RpcError) as err:
            list(stub.Process(iter([ask]), metadata=(service,), timeout=5))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        token = (gateway.state_dir / "envoy-token").read_text().strip()
        trusted = (service, (ENVOY_TOKEN_METADATA, token))
        (answer,) = list(stub.Process(iter([ask]), metadata=trusted, timeout=5))
        assert answer.WhichOneof("response")
