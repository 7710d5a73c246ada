"""End-to-end fixtures: simulated pods, and a gateway with real Envoy in front of them."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.procs import SimPod, start_podsim


@pytest.fixture(scope="module")
def sim_pods(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SimPod]]:
    """pod1 (inside AZ nova-east) and pod2 (inside AZ nova-west)."""
    logs = tmp_path_factory.mktemp("podsim")
    pods = {
        "pod1": start_podsim("pod1", "nova-east", logs),
        "pod2": start_podsim("pod2", "nova-west", logs),
    }
    yield pods
    for pod in pods.values():
        pod.proc.stop()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    """Control plane and Envoy, started; logs stay in tmp_path for failures."""
    gw = Gateway(state_dir=tmp_path / "state")
    gw.state_dir.mkdir()
    try:
        gw.start_control_plane()
        gw.start_envoy()
        yield gw
    finally:
        gw.stop()


@pytest.fixture
def project() -> str:
    """A fresh project id, so tests sharing a cloud never see each other's resources."""
    return uuid.uuid4().hex
