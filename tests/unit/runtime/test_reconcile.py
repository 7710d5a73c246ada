"""The reconciler over scripted pods: what it forgets, and when it forgets nothing."""

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from control_plane.decision.pods.admin_reads import AdminReads
from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.metrics import Metrics
from control_plane.model import Pod, PodState, ResourceType, Routing
from control_plane.runtime.reconcile import PassCounts, Reconciler

START = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OLD = START - timedelta(minutes=5)
COMPUTE = "http://pod1/compute/v2.1"
LIST = f"{COMPUTE}/podgate/servers?all_tenants=1&limit=1000"


def _pod(name: str = "pod1", state: PodState = PodState.ENABLED) -> Pod:
    return Pod(name=name, az_name="az1", state=state, endpoints={"compute": COMPUTE})


def _servers(*ids: str, marker: str | None = None) -> PodResponse:
    document: dict[str, object] = {"servers": [{"id": i, "name": i, "links": []} for i in ids]}
    if marker is not None:
        document["servers_links"] = [{"rel": "next", "href": f"http://x/servers?marker={marker}"}]
    return PodResponse(200, json.dumps(document).encode())


def _gone(server_id: str) -> PodResponse:
    fault = {"itemNotFound": {"message": f"Instance {server_id} could not be found.", "code": 404}}
    return PodResponse(404, json.dumps(fault).encode())


def _routing(server_id: str, created: datetime = OLD, pod: str = "pod1") -> Routing:
    return Routing(server_id, ResourceType.SERVER, "proj", pod, created, created)


class Pods:
    """Scripted answers by URL (settable between passes)."""

    def __init__(self) -> None:
        self.answers: dict[str, PodResponse | Exception] = {}
        self.asked: list[str] = []

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        self.asked.append(url)
        answer = self.answers.get(url, PodResponse(500, b""))
        if isinstance(answer, Exception):
            raise answer
        return answer


class Routings:
    """The store's routings and the forgetter's deletions in one."""

    def __init__(self, *routings: Routing) -> None:
        self.routings = list(routings)
        self.bounds: list[datetime | None] = []

    async def list_routings(
        self,
        *,
        pod_name: str | None = None,
        resource_type: str | None = None,
        limit: int = 100,
        after: tuple[str, str] | None = None,
    ) -> list[Routing]:
        rows = sorted(
            (
                r
                for r in self.routings
                if r.pod_name == pod_name and r.resource_type == resource_type
            ),
            key=lambda r: r.resource_id,
        )
        if after is not None:
            rows = [r for r in rows if r.resource_id > after[1]]
        return rows[:limit]

    async def forget_gone(
        self, routings: Sequence[Routing], *, created_before: datetime | None = None
    ) -> list[Routing]:
        self.bounds.append(created_before)
        gone = [r for r in self.routings if r in routings]
        self.routings = [r for r in self.routings if r not in routings]
        return gone


def _reconciler(pods: Pods, routings: Routings, *pod_list: Pod) -> Reconciler:
    listed = pod_list or (_pod(),)
    return Reconciler(
        reads=AdminReads(fetch=pods, token=None, timeout_s=1.0),
        store=routings,
        forgetter=routings,
        pods=lambda: {pod.name: pod for pod in listed},
        interval_s=60,
        metrics=Metrics(),
        clock=lambda: START,
    )


async def test_a_resource_missing_twice_and_gone_is_forgotten() -> None:
    pods, routings = Pods(), Routings(_routing("a"), _routing("b"))
    pods.answers = {LIST: _servers("a"), f"{COMPUTE}/proj/servers/b": _gone("b")}
    reconciler = _reconciler(pods, routings)
    first = await reconciler.reconcile()
    assert first == PassCounts(pods=1, listings=1, stored=2, suspects=1)
    assert len(routings.routings) == 2
    second = await reconciler.reconcile()
    assert second == PassCounts(pods=1, listings=1, stored=2, suspects=1, confirmed=1, forgotten=1)
    assert [r.resource_id for r in routings.routings] == ["a"]
    assert routings.bounds == [START]


async def test_a_resource_the_pod_still_shows_is_kept() -> None:
    """Listed nowhere, but a GET shows it (Nova hides soft-deleted servers from lists)."""
    pods, routings = Pods(), Routings(_routing("soft"))
    pods.answers = {LIST: _servers(), f"{COMPUTE}/proj/servers/soft": PodResponse(200, b"{}")}
    reconciler = _reconciler(pods, routings)
    await reconciler.reconcile()
    counts = await reconciler.reconcile()
    assert (counts.suspects, counts.confirmed, counts.forgotten) == (1, 0, 0)
    assert len(routings.routings) == 1


async def test_a_routing_stored_during_the_pass_is_not_a_suspect() -> None:
    pods, routings = Pods(), Routings(_routing("new", created=START + timedelta(seconds=1)))
    pods.answers = {LIST: _servers(), f"{COMPUTE}/proj/servers/new": _gone("new")}
    reconciler = _reconciler(pods, routings)
    for _ in range(3):
        assert (await reconciler.reconcile()).suspects == 0
    assert len(routings.routings) == 1


@pytest.mark.parametrize(
    "failure",
    [
        PodCallError("connection refused"),
        PodResponse(503, b""),
        PodResponse(200, b"<html>"),
        PodResponse(404, b"404 Not Found"),
    ],
)
async def test_a_pod_that_fails_to_list_forgets_nothing(failure: PodResponse | Exception) -> None:
    pods, routings = Pods(), Routings(_routing("a"))
    pods.answers = {LIST: _servers(), f"{COMPUTE}/proj/servers/a": _gone("a")}
    reconciler = _reconciler(pods, routings)
    await reconciler.reconcile()
    pods.answers[LIST] = failure
    assert (await reconciler.reconcile()).failed == 1
    pods.answers[LIST] = _servers()
    # the failed pass broke the run: missing twice in a row takes two more passes
    assert (await reconciler.reconcile()).forgotten == 0
    assert (await reconciler.reconcile()).forgotten == 1


async def test_every_page_is_read() -> None:
    pods, routings = Pods(), Routings(_routing("a"), _routing("b"), _routing("c"))
    pods.answers = {
        LIST: _servers("a", marker="a"),
        f"{LIST}&marker=a": _servers("b", marker="b"),
        f"{LIST}&marker=b": _servers("c"),
    }
    reconciler = _reconciler(pods, routings)
    assert (await reconciler.reconcile()).suspects == 0
    assert pods.asked == [LIST, f"{LIST}&marker=a", f"{LIST}&marker=b"]


async def test_only_enabled_and_draining_pods_are_reconciled() -> None:
    pods, routings = Pods(), Routings()
    reconciler = _reconciler(
        pods,
        routings,
        _pod("on"),
        _pod("draining", PodState.DRAINING),
        _pod("off", PodState.DISABLED),
    )
    counts = await reconciler.reconcile()
    assert (counts.pods, counts.listings) == (2, 2)


async def test_a_pass_logs_one_line_with_its_counts(caplog: pytest.LogCaptureFixture) -> None:
    pods, routings = Pods(), Routings(_routing("a"))
    pods.answers = {LIST: _servers()}
    caplog.set_level(logging.INFO, logger="podgate.reconcile")
    await _reconciler(pods, routings).reconcile()
    (line,) = [r for r in caplog.records if r.name == "podgate.reconcile"]
    assert line.getMessage() == "routings reconciled"
    assert (line.outcome, line.stored, line.suspects, line.forgotten) == ("complete", 1, 1, 0)  # type: ignore[attr-defined]
