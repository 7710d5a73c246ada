"""The one podsim process each HTTP test module talks to, and a project of each test's own."""

import uuid
from collections.abc import Iterator

import pytest

from harness.procs import SimPod, start_podsim


@pytest.fixture(scope="module")
def pod(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SimPod]:
    """A podsim started as the module's `POD` says: (name, zone, *command-line options)."""
    name, az, *options = request.module.POD
    sim = start_podsim(name, az, tmp_path_factory.mktemp("podsim"), *options)
    yield sim
    sim.proc.stop()


@pytest.fixture
def project() -> str:
    """A fresh project, so tests sharing a module's pod never see each other's resources."""
    return uuid.uuid4().hex
