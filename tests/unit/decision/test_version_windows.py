"""VersionWindows: the pods' common window, read once, kept for a TTL, refreshed behind."""

import asyncio

from control_plane.decision.microversions import Window
from control_plane.decision.version_windows import VersionWindows
from control_plane.model import Pod, PodState, Service
from tests.unit.decision.fakes import FakeVersions

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


def _windows(fetch: FakeVersions, clock: Clock | None = None) -> VersionWindows:
    return VersionWindows(fetch=fetch, ttl_s=30, timeout_s=0.5, clock=clock or Clock())


async def test_the_window_is_what_every_enabled_pod_supports() -> None:
    fetch = FakeVersions(
        {
            "http://a.pod/compute/v2.1/": ("2.1", "2.96"),
            "http://b.pod/compute/v2.1/": ("2.1", "2.90"),
            "http://c.pod/compute/v2.1/": ("2.1", "2.60"),
        }
    )
    pods = [_pod("a"), _pod("b"), _pod("c", PodState.DRAINING)]
    assert await _windows(fetch).window(COMPUTE, pods) == Window((2, 1), (2, 90))
    assert sorted(fetch.calls) == ["http://a.pod/compute/v2.1/", "http://b.pod/compute/v2.1/"]


async def test_each_api_reads_its_own_document() -> None:
    fetch = FakeVersions({"http://a.pod/volume/v3/": ("3.0", "3.44")})
    assert await _windows(fetch).window(VOLUME, [_pod("a")]) == Window((3, 0), (3, 44))
    assert fetch.calls == ["http://a.pod/volume/v3/"]


async def test_a_known_window_is_answered_from_memory_until_the_ttl() -> None:
    fetch, clock = FakeVersions(), Clock()
    windows = _windows(fetch, clock)
    await windows.window(COMPUTE, [_pod("a")])
    clock.now += 29
    await windows.window(COMPUTE, [_pod("a")])
    assert len(fetch.calls) == 1


async def test_an_expired_window_is_answered_old_and_read_again_behind() -> None:
    url = "http://a.pod/compute/v2.1/"
    fetch, clock = FakeVersions({url: ("2.1", "2.80")}), Clock()
    windows = _windows(fetch, clock)
    await windows.window(COMPUTE, [_pod("a")])
    fetch.windows[url] = ("2.1", "2.85")
    clock.now += 31
    assert await windows.window(COMPUTE, [_pod("a")]) == Window((2, 1), (2, 80))
    for _ in range(20):
        await asyncio.sleep(0)
    assert await windows.window(COMPUTE, [_pod("a")]) == Window((2, 1), (2, 85))
    assert len(fetch.calls) == 2


async def test_a_new_pod_is_read_before_the_answer() -> None:
    fetch = FakeVersions({"http://b.pod/compute/v2.1/": ("2.1", "2.70")})
    windows = _windows(fetch)
    await windows.window(COMPUTE, [_pod("a")])
    assert await windows.window(COMPUTE, [_pod("a"), _pod("b")]) == Window((2, 1), (2, 70))


async def test_a_moved_endpoint_is_read_again() -> None:
    fetch = FakeVersions({"http://new.host/compute/v2.1/": ("2.1", "2.50")})
    windows = _windows(fetch)
    await windows.window(COMPUTE, [_pod("a")])
    moved = await windows.window(COMPUTE, [_pod("a", host="new.host")])
    assert moved == Window((2, 1), (2, 50))


async def test_concurrent_requests_share_one_read_per_pod() -> None:
    fetch = FakeVersions()
    windows = _windows(fetch)
    await asyncio.gather(*(windows.window(COMPUTE, [_pod("a"), _pod("b")]) for _ in range(10)))
    assert len(fetch.calls) == 2


async def test_a_pod_that_cannot_be_read_is_left_out_until_the_ttl() -> None:
    down = "http://b.pod/compute/v2.1/"
    fetch = FakeVersions({"http://a.pod/compute/v2.1/": ("2.1", "2.70")}, down=[down])
    windows = _windows(fetch)
    assert await windows.window(COMPUTE, [_pod("a"), _pod("b")]) == Window((2, 1), (2, 70))
    await windows.window(COMPUTE, [_pod("a"), _pod("b")])
    assert fetch.calls.count(down) == 1


async def test_no_readable_pod_gives_the_api_base() -> None:
    fetch = FakeVersions(down=["http://a.pod/volume/v3/"])
    assert await _windows(fetch).window(VOLUME, [_pod("a")]) == Window((3, 0), (3, 0))
    assert await _windows(FakeVersions()).window(VOLUME, []) == Window((3, 0), (3, 0))


async def test_a_pod_unreadable_for_a_moment_keeps_its_window() -> None:
    url = "http://a.pod/compute/v2.1/"
    fetch, clock = FakeVersions({url: ("2.1", "2.80")}), Clock()
    windows = _windows(fetch, clock)
    await windows.window(COMPUTE, [_pod("a"), _pod("b")])
    fetch.down.add(url)
    clock.now += 31
    await windows.window(COMPUTE, [_pod("a"), _pod("b")])
    for _ in range(20):
        await asyncio.sleep(0)
    assert await windows.window(COMPUTE, [_pod("a"), _pod("b")]) == Window((2, 1), (2, 80))
    assert fetch.calls.count(url) == 2
