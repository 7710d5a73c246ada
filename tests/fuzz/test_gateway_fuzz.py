"""Generated hostile requests through real Envoy and the decision service to two podsim pods.

No answer may be a 5xx, every error is an OpenStack fault, no client-sent x-podgate-* header
reaches a pod, and every process is alive at the end.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod
from tests.fuzz.raw_http import RawRequest, send
from tests.fuzz.strategies import Known, gateway_requests
from tests.fuzz.tally import Tally
from tests.fuzz.verdict import problems, unparsed

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PROJECTS = ("fuzzproject1", "fuzzproject2")
EXAMPLES = 170
BATCH = (20, 30)
THREADS = 8
UNEXPECTED = "unexpected error"
# Envoy's wait for the decision service: a loaded machine must not turn a slow answer into a
# 504, while a decision that hangs still ends in one (within the raw client's 15 s).
SETTINGS = {"PODGATE_DECISION_MESSAGE_TIMEOUT_MS": "10000"}


@dataclass(frozen=True, slots=True)
class FuzzCloud:
    gateway: Gateway
    pods: dict[str, SimPod]
    known: Known


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzCloud]:
    """Two pods behind a real gateway, seeded with a server, volume and snapshot per project."""
    with running_cloud(tmp_path_factory.mktemp("fuzz"), extra_env=SETTINGS) as (gateway, pods):
        servers, volumes, snapshots = [], [], []
        for project, az in zip(PROJECTS, ("az-east", "az-west"), strict=True):
            compute = f"{gateway.compute_url}/{project}"
            volume = f"{gateway.volume_url}/{project}"
            server = {"name": "seed", "availability_zone": az, "flavorRef": "1", "imageRef": "x"}
            status, _, body = call("POST", f"{compute}/servers", {"server": server})
            assert status == 202, body
            servers.append(body["server"]["id"])
            status, _, body = call(
                "POST", f"{volume}/volumes", {"volume": {"size": 1, "availability_zone": az}}
            )
            assert status == 202, body
            volumes.append(body["volume"]["id"])
            status, _, body = call(
                "POST", f"{volume}/snapshots", {"snapshot": {"volume_id": volumes[-1]}}
            )
            assert status == 202, body
            snapshots.append(body["snapshot"]["id"])
        known = Known(PROJECTS, tuple(servers), tuple(volumes), tuple(snapshots))
        yield FuzzCloud(gateway, pods, known)


def test_generated_requests_get_proper_answers(cloud: FuzzCloud, tally: Tally) -> None:
    gateway = cloud.gateway
    ports = (gateway.compute_port, gateway.volume_port)
    requests = st.lists(
        st.tuples(st.sampled_from(ports), gateway_requests(cloud.known)),
        min_size=BATCH[0],
        max_size=BATCH[1],
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=requests)
    def fuzz(batch: list[tuple[int, RawRequest]]) -> None:
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(lambda item: send(*item), batch))
        tally.requests["gateway"] += len(batch)
        for (_, request), answer in zip(batch, answers, strict=True):
            if unparsed(request, answer):
                tally.notes["refused by Envoy's HTTP/1 parser"] += 1
        wrong = [
            f"{request!r} -> {answer.status}: {found}"
            for (_, request), answer in zip(batch, answers, strict=True)
            if (found := problems(request, answer))
        ]
        assert not wrong, "\n".join(wrong[:5])

    fuzz()
    assert gateway.control_plane is not None and gateway.control_plane.alive()
    assert gateway.envoy is not None and gateway.envoy.alive()
    assert all(pod.proc.alive() for pod in cloud.pods.values())
    assert UNEXPECTED not in gateway.control_plane.output().lower()
    assert not [pod.name for pod in cloud.pods.values() if UNEXPECTED in pod.proc.output()]
