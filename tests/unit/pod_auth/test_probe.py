"""The pod-auth probe against fake pods: who passes reaches the xDS runner, a pod that starts
failing leaves at once, a changed endpoint is unproven until probed, an outage keeps verdicts."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.identity import IdentityUnavailable
from control_plane.metrics import Metrics
from control_plane.model import Pod
from control_plane.pod_auth.probe import Passed, PodAuthProbe
from control_plane.pod_auth.tokens import RoundTokens

OWN = "gatewayproject"
TOKENS = RoundTokens(project_id=OWN, valid="valid-token", revoked="revoked-token")


def _pod(name: str, host: str) -> Pod:
    endpoints = {"compute": f"http://{host}/v2.1", "volumev3": f"http://{host}/v3/$(project_id)s"}
    return Pod(name=name, az_name="az", pod_az_name="az", endpoints=endpoints)


class FakePods:
    """Pods by host: `checking` hosts answer as Nova does, the others look every id up."""

    def __init__(self, checking: set[str]) -> None:
        self.checking = checking
        self.down: set[str] = set()

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        parts = urlsplit(url)
        if parts.netloc in self.down:
            raise PodCallError("ClientConnectorError: refused")
        if parts.netloc not in self.checking:
            return PodResponse(404, b"{}")
        token = headers.get("x-auth-token")
        if token != TOKENS.valid:
            return PodResponse(401, b"{}")
        return PodResponse(404 if f"/{OWN}/" in parts.path else 400, b"{}")


class FakeTokens:
    def __init__(self) -> None:
        self.available = True
        self.invalidated = 0

    async def for_round(self) -> RoundTokens:
        if not self.available:
            raise IdentityUnavailable("keystone down")
        return TOKENS

    def invalidate(self) -> None:
        self.invalidated += 1


def _probe(pods: dict[str, Pod], fake: FakePods, tokens: FakeTokens | None = None):
    published: list[Passed] = []
    probe = PodAuthProbe(
        pods=lambda: pods,
        fetch=fake,
        tokens=tokens or FakeTokens(),  # type: ignore[arg-type]
        on_change=published.append,
        metrics=Metrics(),
        every_s=60,
        timeout_s=1,
    )
    return probe, published


async def test_only_pods_that_check_tokens_are_passed_on() -> None:
    pods = {"good": _pod("good", "good:1"), "lax": _pod("lax", "lax:1")}
    probe, published = _probe(pods, FakePods(checking={"good:1"}))
    await probe.round(full=True)
    assert published == [
        frozenset(
            {
                ("pod.good.compute", "http://good:1/v2.1"),
                ("pod.good.volumev3", "http://good:1/v3/$(project_id)s"),
            }
        )
    ]
    lines = probe.summaries()
    assert [line.split(":")[0] for line in lines["good"]] == ["compute", "volumev3"]
    assert all("checks tokens" in line for line in lines["good"])
    assert all("does not check tokens" in line for line in lines["lax"])


async def test_a_pod_that_starts_failing_leaves_at_once() -> None:
    pods = {"good": _pod("good", "good:1")}
    fake = FakePods(checking={"good:1"})
    probe, published = _probe(pods, fake)
    await probe.round(full=True)
    fake.checking.clear()  # replaced by something that checks nothing
    await probe.round(full=True)
    assert published[-1] == frozenset()
    fake.down.add("good:1")
    fake.checking.add("good:1")
    await probe.round(full=True)
    assert len(published) == 2  # still off: no answer proves nothing
    assert "no answer" in probe.summaries()["good"][0]


async def test_a_changed_endpoint_is_probed_when_woken_and_unproven_till_then() -> None:
    pods = {"good": _pod("good", "good:1")}
    fake = FakePods(checking={"good:1", "good:2"})
    probe, published = _probe(pods, fake)
    await probe.round(full=True)
    pods["good"] = _pod("good", "good:2")
    await probe.round(full=False)  # only what has no verdict for its URL
    assert {url for _, url in published[-1]} == {
        "http://good:2/v2.1",
        "http://good:2/v3/$(project_id)s",
    }
    del pods["good"]
    await probe.round(full=False)
    assert published[-1] == frozenset() and probe.summaries() == {}


async def test_without_tokens_the_verdicts_stand() -> None:
    pods = {"good": _pod("good", "good:1")}
    tokens = FakeTokens()
    probe, published = _probe(pods, FakePods(checking={"good:1"}), tokens)
    await probe.round(full=True)
    tokens.available = False
    await probe.round(full=True)
    assert len(published) == 1 and len(published[0]) == 2
