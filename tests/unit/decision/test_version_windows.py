"""VersionWindows: the pods' common window, read once, kept for a TTL, refreshed behind."""

import asyncio
import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.decision.versions.microversions import Window
from control_plane.decision.versions.windows import VersionWindows
from control_plane.model import Pod, PodState, Service
from podsim.versions import VersionRange, cinder_versions, nova_version, nova_versions

COMPUTE, VOLUME = Service.COMPUTE, Service.VOLUME


def _pod(name: str, state: PodState = PodState.ENABLED, host: str | None = None) -> Pod:
    host = host or f"{name}.pod"
    return Pod(
        name=name,
        az_name="az",
        state=state,
        endpoints={
            "compute": f"http://{host}/compute/v2.1",
            "volumev3": f"http://{host}/volume/v3/$(project_id)s",
        },
    )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class RealPods:
    """Pods answering as real Nova and Cinder do without a token: the versions list at their
    roots (Nova 200, Cinder 300), Nova's `/v2.1/` document, 401 at Cinder's `/v3/`.

    `compute` and `volume` map a host to its maximum microversion (default 2.96 and 3.71);
    hosts in `down` refuse connections, hosts in `rootless` answer 404 at their roots.
    """

    def __init__(
        self,
        compute: Mapping[str, str] | None = None,
        volume: Mapping[str, str] | None = None,
        *,
        down: tuple[str, ...] = (),
    ) -> None:
        self.compute = dict(compute or {})
        self.volume = dict(volume or {})
        self.down = set(down)
        self.rootless: set[str] = set()
        self.calls: list[str] = []

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        await asyncio.sleep(0)
        self.calls.append(url)
        host, path = urlsplit(url).netloc, urlsplit(url).path
        if host in self.down:
            raise PodCallError(f"{url} refused the connection")
        status, document = self._answer(host, path)
        return PodResponse(status, json.dumps(document).encode())

    def _answer(self, host: str, path: str) -> tuple[int, object]:
        nova = VersionRange("2.1", self.compute.get(host, "2.96"))
        cinder = VersionRange("3.0", self.volume.get(host, "3.71"))
        root = host not in self.rootless
        if path == "/compute/" and root:
            return 200, nova_versions(f"http://{host}", nova)
        if path == "/compute/v2.1/":
            return 200, nova_version(f"http://{host}", nova)
        if path == "/volume/" and root:
            return 300, cinder_versions(f"http://{host}", cinder)
        if path == "/volume/v3/":
            return 401, {"error": {"code": 401, "title": "Unauthorized"}}
        return 404, {"itemNotFound": {"code": 404, "message": "The resource could not be found."}}


def _windows(fetch: RealPods, clock: Clock | None = None) -> VersionWindows:
    return VersionWindows(fetch=fetch, ttl_s=30, timeout_s=0.5, clock=clock or Clock())


async def test_the_window_is_what_every_enabled_pod_supports() -> None:
    fetch = RealPods({"a.pod": "2.96", "b.pod": "2.90", "c.pod": "2.60"})
    pods = [_pod("a"), _pod("b"), _pod("c", PodState.DRAINING)]
    assert await _windows(fetch).window(COMPUTE, pods) == Window((2, 1), (2, 90))
    assert sorted(fetch.calls) == ["http://a.pod/compute/", "http://b.pod/compute/"]


async def test_cinders_window_comes_from_its_root_without_a_token() -> None:
    fetch = RealPods(volume={"a.pod": "3.71", "b.pod": "3.60"})
    assert await _windows(fetch).window(VOLUME, [_pod("a"), _pod("b")]) == Window((3, 0), (3, 60))
    assert sorted(fetch.calls) == ["http://a.pod/volume/", "http://b.pod/volume/"]


async def test_a_root_without_a_window_falls_back_to_the_version_document() -> None:
    fetch = RealPods({"a.pod": "2.80"})
    fetch.rootless.add("a.pod")
    assert await _windows(fetch).window(COMPUTE, [_pod("a")]) == Window((2, 1), (2, 80))
    assert fetch.calls == ["http://a.pod/compute/", "http://a.pod/compute/v2.1/"]


async def test_neither_document_readable_leaves_the_pod_out() -> None:
    fetch = RealPods(volume={"a.pod": "3.40", "b.pod": "3.50"})
    fetch.rootless.add("a.pod")
    assert await _windows(fetch).window(VOLUME, [_pod("a"), _pod("b")]) == Window((3, 0), (3, 50))
    assert fetch.calls.count("http://a.pod/volume/v3/") == 1


async def test_a_pod_that_cannot_be_reached_is_asked_once_per_read() -> None:
    fetch = RealPods(down=("a.pod",))
    assert await _windows(fetch).window(VOLUME, [_pod("a")]) == Window((3, 0), (3, 0))
    assert fetch.calls == ["http://a.pod/volume/"]


async def test_a_known_window_is_answered_from_memory_until_the_ttl() -> None:
    fetch, clock = RealPods(), Clock()
    windows = _windows(fetch, clock)
    await windows.window(COMPUTE, [_pod("a")])
    clock.now += 29
    await windows.window(COMPUTE, [_pod("a")])
    assert len(fetch.calls) == 1


async def test_an_expired_window_is_answered_old_and_read_again_behind() -> None:
    fetch, clock = RealPods({"a.pod": "2.80"}), Clock()
    windows = _windows(fetch, clock)
    await windows.window(COMPUTE, [_pod("a")])
    fetch.compute["a.pod"] = "2.85"
    clock.now += 31
    assert await windows.window(COMPUTE, [_pod("a")]) == Window((2, 1), (2, 80))
    for _ in range(20):
        await asyncio.sleep(0)
    assert await windows.window(COMPUTE, [_pod("a")]) == Window((2, 1), (2, 85))
    assert len(fetch.calls) == 2


async def test_a_new_pod_is_read_before_the_answer() -> None:
    fetch = RealPods({"b.pod": "2.70"})
    windows = _windows(fetch)
    await windows.window(COMPUTE, [_pod("a")])
    assert await windows.window(COMPUTE, [_pod("a"), _pod("b")]) == Window((2, 1), (2, 70))


async def test_a_moved_endpoint_is_read_again() -> None:
    fetch = RealPods({"new.host": "2.50"})
    windows = _windows(fetch)
    await windows.window(COMPUTE, [_pod("a")])
    moved = await windows.window(COMPUTE, [_pod("a", host="new.host")])
    assert moved == Window((2, 1), (2, 50))


async def test_concurrent_requests_share_one_read_per_pod() -> None:
    fetch = RealPods()
    windows = _windows(fetch)
    await asyncio.gather(*(windows.window(COMPUTE, [_pod("a"), _pod("b")]) for _ in range(10)))
    assert len(fetch.calls) == 2


async def test_a_pod_that_cannot_be_read_is_left_out_until_the_ttl() -> None:
    fetch = RealPods({"a.pod": "2.70"}, down=("b.pod",))
    windows = _windows(fetch)
    assert await windows.window(COMPUTE, [_pod("a"), _pod("b")]) == Window((2, 1), (2, 70))
    await windows.window(COMPUTE, [_pod("a"), _pod("b")])
    assert fetch.calls.count("http://b.pod/compute/") == 1


async def test_no_readable_pod_gives_the_api_base() -> None:
    assert await _windows(RealPods(down=("a.pod",))).window(VOLUME, [_pod("a")]) == Window(
        (3, 0), (3, 0)
    )
    assert await _windows(RealPods()).window(VOLUME, []) == Window((3, 0), (3, 0))


async def test_a_pod_unreadable_for_a_moment_keeps_its_window() -> None:
    fetch, clock = RealPods({"a.pod": "2.80"}), Clock()
    windows = _windows(fetch, clock)
    await windows.window(COMPUTE, [_pod("a"), _pod("b")])
    fetch.down.add("a.pod")
    clock.now += 31
    await windows.window(COMPUTE, [_pod("a"), _pod("b")])
    for _ in range(20):
        await asyncio.sleep(0)
    assert await windows.window(COMPUTE, [_pod("a"), _pod("b")]) == Window((2, 1), (2, 80))
    assert fetch.calls.count("http://a.pod/compute/") == 2
