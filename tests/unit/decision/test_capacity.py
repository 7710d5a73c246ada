"""Pod capacity: measuring os-hypervisors/detail, and the reader over scripted pods."""

import asyncio
import json
import logging
from collections.abc import Mapping

import pytest

from control_plane.decision.create.capacity import Capacity, measure
from control_plane.decision.pods.capacity import PodCapacity
from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.decision.pods.service_token import ServiceAuth
from control_plane.identity import IdentityUnavailable
from control_plane.metrics import Metrics
from control_plane.model import Pod, PodState
from control_plane.settings import DecisionSettings


def _hypervisor(vcpus: int, used: int, ram: int, ram_used: int, /, **more: object) -> dict:
    return {
        "id": 1,
        "status": "enabled",
        "state": "up",
        "vcpus": vcpus,
        "vcpus_used": used,
        "memory_mb": ram,
        "memory_mb_used": ram_used,
        **more,
    }


def test_free_room_is_summed_over_the_hypervisors() -> None:
    document = {"hypervisors": [_hypervisor(8, 2, 16384, 4096), _hypervisor(4, 5, 8192, 8192)]}
    assert measure(document, full_free_ram_mib=0) == Capacity(12288, 5, full=False)


def test_disabled_or_down_hypervisors_add_no_room() -> None:
    document = {
        "hypervisors": [
            _hypervisor(8, 0, 16384, 0, status="disabled"),
            _hypervisor(8, 0, 16384, 0, state="down"),
            _hypervisor(2, 1, 2048, 1024),
        ]
    }
    assert measure(document, full_free_ram_mib=0) == Capacity(1024, 1, full=False)


@pytest.mark.parametrize(
    ("ram_used", "threshold", "full"),
    [(16384, 0, True), (16383, 0, False), (12288, 4096, True), (12287, 4096, False)],
)
def test_a_pod_is_full_at_or_below_the_free_ram_threshold(
    ram_used: int, threshold: int, full: bool
) -> None:
    document = {"hypervisors": [_hypervisor(8, 0, 16384, ram_used)]}
    capacity = measure(document, full_free_ram_mib=threshold)
    assert capacity is not None and capacity.full is full


def test_overcommitted_vcpus_do_not_make_a_pod_full() -> None:
    document = {"hypervisors": [_hypervisor(8, 32, 16384, 2048)]}
    assert measure(document, full_free_ram_mib=0) == Capacity(14336, -24, full=False)


def test_a_pod_without_hypervisors_is_full() -> None:
    assert measure({"hypervisors": []}, full_free_ram_mib=0) == Capacity(0, 0, full=True)


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        {"hypervisors": {}},
        {"hypervisors": ["h1"]},
        # Microversion 2.88 and later: no resource numbers at all.
        {"hypervisors": [{"id": "u", "status": "enabled", "state": "up"}]},
        {"hypervisors": [_hypervisor(8, 0, 16384, 0, memory_mb_used=None)]},
        {"hypervisors": [_hypervisor(8, 0, 16384, 0, vcpus=True)]},
        {"hypervisors": [_hypervisor(8, 0, 16384, 0, memory_mb="16384")]},
    ],
)
def test_an_answer_without_the_numbers_measures_nothing(document: object) -> None:
    assert measure(document, full_free_ram_mib=0) is None


def _pod(name: str, *, state: PodState = PodState.ENABLED, compute: bool = True) -> Pod:
    endpoints = {"volumev3": f"http://{name}.cinder:8776/v3/$(project_id)s"}
    if compute:
        endpoints["compute"] = f"http://{name}.nova:8774/compute/v2.1"
    return Pod(name=name, az_name="az", state=state, endpoints=endpoints)


class Hypervisors:
    """A PodFetch answering each host's os-hypervisors/detail as scripted."""

    def __init__(self) -> None:
        self.free_ram: dict[str, int] = {}
        self.behaviour: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        self.calls.append((url, dict(headers)))
        host = url.split("/")[2].split(":")[0]
        behaviour = self.behaviour.get(host, "ok")
        if behaviour == "down":
            raise PodCallError("connection refused")
        if behaviour == "hang":
            await asyncio.sleep(60)
        if behaviour.isdigit():
            return PodResponse(int(behaviour), b'{"forbidden": {}}')
        if behaviour == "garbage":
            return PodResponse(200, b"<html>")
        free = self.free_ram.get(host, 4096)
        document = {"hypervisors": [_hypervisor(8, 2, 16384, 16384 - free)]}
        return PodResponse(200, json.dumps(document).encode())


class Token:
    """A ServiceToken stand-in: hands out `token`, counts invalidations, or fails."""

    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.invalidated = 0

    async def current(self) -> ServiceAuth:
        if self.fails:
            raise IdentityUnavailable("No service token: ConnectFailure")
        return ServiceAuth("service-token", "svc-project")

    def invalidate(self) -> None:
        self.invalidated += 1


def _reader(
    fetch: Hypervisors, pods: dict[str, Pod], *, token: Token | None = None, **settings: float
) -> tuple[PodCapacity, Metrics]:
    metrics = Metrics()
    reader = PodCapacity(
        fetch=fetch,
        pods=lambda: pods,
        settings=DecisionSettings(**{"pod_timeout_s": 0.05, **settings}),
        token=token,  # type: ignore[arg-type]
        metrics=metrics,
    )
    return reader, metrics


def _gauge(metrics: Metrics, pod: str, resource: str) -> float | None:
    return metrics.registry.get_sample_value(
        "podgate_pod_free_capacity", {"pod": pod, "resource": resource}
    )


async def test_nothing_is_known_before_the_first_read() -> None:
    reader, _ = _reader(Hypervisors(), {"a": _pod("a")})
    assert reader.capacity() == {}


async def test_every_enabled_pod_with_compute_is_read_and_measured() -> None:
    fetch = Hypervisors()
    fetch.free_ram = {"a.nova": 8192, "b.nova": 0}
    pods = {
        "a": _pod("a"),
        "b": _pod("b"),
        "draining": _pod("draining", state=PodState.DRAINING),
        "off": _pod("off", state=PodState.DISABLED),
        "volumes-only": _pod("volumes-only", compute=False),
    }
    reader, metrics = _reader(fetch, pods, pod_full_free_ram_mib=1024)
    await reader.read_all()
    assert reader.capacity() == {
        "a": Capacity(8192, 6, full=False),
        "b": Capacity(0, 6, full=True),
    }
    assert sorted(url for url, _ in fetch.calls) == [
        "http://a.nova:8774/compute/v2.1/podgate/os-hypervisors/detail",
        "http://b.nova:8774/compute/v2.1/podgate/os-hypervisors/detail",
    ]
    assert all("x-auth-token" not in headers for _, headers in fetch.calls)
    assert (_gauge(metrics, "a", "ram_mib"), _gauge(metrics, "a", "vcpus")) == (8192, 6)


async def test_reads_carry_the_service_token_and_its_project() -> None:
    fetch = Hypervisors()
    reader, _ = _reader(fetch, {"a": _pod("a")}, token=Token())
    await reader.read_all()
    [(url, headers)] = fetch.calls
    assert url == "http://a.nova:8774/compute/v2.1/svc-project/os-hypervisors/detail"
    assert headers["x-auth-token"] == "service-token"


async def test_a_refused_token_is_renewed_for_the_next_round() -> None:
    fetch, token = Hypervisors(), Token()
    fetch.behaviour = {"a.nova": "401"}
    reader, _ = _reader(fetch, {"a": _pod("a")}, token=token)
    await reader.read_all()
    assert (reader.capacity(), token.invalidated) == ({}, 1)


async def test_without_a_service_token_every_pod_is_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fetch = Hypervisors()
    reader, _ = _reader(fetch, {"a": _pod("a")}, token=Token(fails=True))
    with caplog.at_level(logging.WARNING, "podgate.capacity"):
        await reader.read_all()
    assert (reader.capacity(), fetch.calls) == ({}, [])
    assert "pod a capacity unknown: No service token" in caplog.text


@pytest.mark.parametrize("behaviour", ["down", "hang", "403", "garbage"])
async def test_a_failed_read_makes_the_pod_unknown_again(behaviour: str) -> None:
    fetch = Hypervisors()
    reader, metrics = _reader(fetch, {"a": _pod("a"), "b": _pod("b")})
    await reader.read_all()
    fetch.behaviour = {"a.nova": behaviour}
    await reader.read_all()
    assert set(reader.capacity()) == {"b"}
    assert _gauge(metrics, "a", "ram_mib") is None and _gauge(metrics, "b", "ram_mib") == 4096


async def test_a_pod_no_longer_enabled_is_forgotten() -> None:
    pods = {"a": _pod("a")}
    reader, metrics = _reader(Hypervisors(), pods)
    await reader.read_all()
    pods["a"] = _pod("a", state=PodState.DRAINING)
    await reader.read_all()
    assert reader.capacity() == {} and _gauge(metrics, "a", "vcpus") is None


async def test_changes_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    fetch = Hypervisors()
    reader, _ = _reader(fetch, {"a": _pod("a")})
    with caplog.at_level(logging.INFO, "podgate.capacity"):
        for free, behaviour in ((4096, "ok"), (4096, "ok"), (0, "ok"), (0, "down"), (0, "down")):
            fetch.free_ram, fetch.behaviour = {"a.nova": free}, {"a.nova": behaviour}
            await reader.read_all()
    assert [record.getMessage() for record in caplog.records] == [
        "pod a has room: 4096 MiB RAM and 6 vCPUs free",
        "pod a is full: 0 MiB RAM and 6 vCPUs free",
        "pod a capacity unknown: connection refused",
    ]


async def test_run_reads_every_refresh_interval_until_cancelled() -> None:
    fetch = Hypervisors()
    reader, _ = _reader(fetch, {"a": _pod("a")}, capacity_refresh_s=0.01)
    task = asyncio.create_task(reader.run())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(fetch.calls) >= 3 and "a" in reader.capacity()
