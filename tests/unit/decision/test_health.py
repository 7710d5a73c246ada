"""Pod health: the probe judgement (observe) and the monitor over scripted pods."""

import asyncio
import logging
from collections.abc import Mapping

import pytest

from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.decision.pods.health import PodHealth, Standing, observe
from control_plane.model import Pod, PodState, Service
from control_plane.settings import HealthSettings

COMPUTE, VOLUME = Service.COMPUTE, Service.VOLUME


def _pod(name: str, *, state: PodState = PodState.ENABLED, volume: bool = True) -> Pod:
    endpoints = {"compute": f"http://{name}.nova:8774/v2.1"}
    if volume:
        endpoints["volumev3"] = f"http://{name}.cinder:8776/v3/$(project_id)s"
    return Pod(name=name, az_name="az", state=state, endpoints=endpoints)


class Roots:
    """A PodFetch over the pods' API roots; each host answers as scripted ("ok", "down", ...)."""

    def __init__(self) -> None:
        self.behaviour: dict[str, str] = {}
        self.urls: list[str] = []

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        self.urls.append(url)
        host = url.split("/")[2].split(":")[0]
        behaviour = self.behaviour.get(host, "ok")
        if behaviour == "down":
            raise PodCallError("connection refused")
        if behaviour == "hang":
            await asyncio.sleep(60)
        if behaviour == "error":
            return PodResponse(503, b"")
        return PodResponse(300 if "cinder" in host else 200, b"{}")


def _monitor(roots: Roots, pods: dict[str, Pod], **settings: float) -> PodHealth:
    return PodHealth(
        fetch=roots,
        pods=lambda: pods,
        settings=HealthSettings(**{"timeout_s": 0.05, **settings}),
    )


@pytest.mark.parametrize(
    ("standing", "ok", "after"),
    [
        (Standing(), True, Standing()),
        (Standing(), False, Standing(True, 1)),
        (Standing(True, 1), False, Standing(False)),
        (Standing(True, 1), True, Standing()),
        (Standing(False), False, Standing(False)),
        (Standing(False), True, Standing(False, 1)),
        (Standing(False, 1), True, Standing(True)),
        (Standing(False, 1), False, Standing(False)),
    ],
)
def test_observe_counts_contradicting_probes_in_a_row(
    standing: Standing, ok: bool, after: Standing
) -> None:
    assert observe(standing, ok, unhealthy_after=2, healthy_after=2) == after


def test_observe_with_threshold_one_flips_at_once() -> None:
    assert observe(Standing(), False, unhealthy_after=1, healthy_after=1) == Standing(False)
    assert observe(Standing(False), True, unhealthy_after=1, healthy_after=1) == Standing()


async def test_a_pod_is_unhealthy_after_the_threshold_and_healthy_after_one_success() -> None:
    roots, pods = Roots(), {"p1": _pod("p1"), "p2": _pod("p2")}
    health = _monitor(roots, pods)
    await health.probe_all()
    assert health.unhealthy(COMPUTE) == frozenset()
    roots.behaviour["p1.nova"] = "down"
    await health.probe_all()
    assert health.unhealthy(COMPUTE) == frozenset(), "one failure is not enough"
    await health.probe_all()
    assert health.unhealthy(COMPUTE) == {"p1"}
    assert health.unhealthy(VOLUME) == frozenset(), "Cinder of p1 still answers"
    del roots.behaviour["p1.nova"]
    await health.probe_all()
    assert health.unhealthy(COMPUTE) == frozenset()


@pytest.mark.parametrize("behaviour", ["down", "hang", "error"])
async def test_refusal_timeout_and_server_error_count_as_failures(behaviour: str) -> None:
    roots, pods = Roots(), {"p1": _pod("p1")}
    roots.behaviour["p1.cinder"] = behaviour
    health = _monitor(roots, pods, unhealthy_threshold=1)
    await asyncio.wait_for(health.probe_all(), timeout=5)
    assert health.unhealthy(VOLUME) == {"p1"}
    assert health.unhealthy(COMPUTE) == frozenset()


async def test_the_api_roots_are_probed_and_disabled_pods_are_not() -> None:
    roots = Roots()
    pods = {
        "p1": _pod("p1", volume=False),
        "p2": _pod("p2", state=PodState.DRAINING, volume=False),
        "p3": _pod("p3", state=PodState.DISABLED),
    }
    await _monitor(roots, pods).probe_all()
    assert sorted(roots.urls) == ["http://p1.nova:8774/", "http://p2.nova:8774/"]


async def test_a_root_shared_by_both_services_is_probed_once() -> None:
    roots = Roots()
    shared = Pod(
        name="p1",
        az_name="az",
        endpoints={"compute": "http://h:1/compute/v2.1", "volumev3": "http://h:1/volume/v3/x"},
    )
    same_host = Pod(
        name="p2",
        az_name="az",
        endpoints={"compute": "http://g:1/v2.1/%(tenant_id)s", "volumev3": "http://g:1/v3/"},
    )
    await _monitor(roots, {"p1": shared, "p2": same_host}).probe_all()
    assert sorted(roots.urls) == ["http://g:1/", "http://h:1/compute/", "http://h:1/volume/"]


async def test_a_removed_pod_is_forgotten_and_comes_back_healthy() -> None:
    roots, pods = Roots(), {"p1": _pod("p1")}
    roots.behaviour["p1.nova"] = "down"
    health = _monitor(roots, pods, unhealthy_threshold=1)
    await health.probe_all()
    assert health.unhealthy(COMPUTE) == {"p1"}
    del pods["p1"]
    await health.probe_all()
    assert health.unhealthy(COMPUTE) == frozenset()


async def test_one_log_line_per_transition(caplog: pytest.LogCaptureFixture) -> None:
    roots, pods = Roots(), {"p1": _pod("p1", volume=False)}
    health = _monitor(roots, pods, unhealthy_threshold=1)
    roots.behaviour["p1.nova"] = "down"
    with caplog.at_level(logging.INFO, logger="podgate.health"):
        for _ in range(3):
            await health.probe_all()
        del roots.behaviour["p1.nova"]
        for _ in range(3):
            await health.probe_all()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert "p1 compute is unhealthy" in lines[0] and "connection refused" in lines[0]
    assert "p1 compute is healthy again" in lines[1]


async def test_run_probes_every_interval_until_cancelled() -> None:
    third = asyncio.Event()
    calls: list[str] = []

    async def fetch(url: str, headers: Mapping[str, str]) -> PodResponse:
        calls.append(url)
        if len(calls) == 3:
            third.set()
        return PodResponse(200, b"{}")

    pods = {"p1": _pod("p1", volume=False)}
    health = PodHealth(fetch=fetch, pods=lambda: pods, settings=HealthSettings(interval_s=0.01))
    task = asyncio.create_task(health.run())
    await asyncio.wait_for(third.wait(), timeout=5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled() and set(calls) == {"http://p1.nova:8774/"}
