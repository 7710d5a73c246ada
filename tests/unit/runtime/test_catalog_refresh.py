"""Catalog endpoints in the pods view, and the refresh a pod's transport error triggers."""

import asyncio
from collections.abc import Mapping

import pytest

from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.model import Pod
from control_plane.runtime.catalog_refresh import RefreshOnUnreachable
from control_plane.xds.live_pods import LivePods


class FlakyFetch:
    def __init__(self) -> None:
        self.fail = True

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        if self.fail:
            raise PodCallError("ConnectionRefusedError")
        return PodResponse(200, b"{}")


async def test_transport_error_triggers_one_refresh_per_interval() -> None:
    refreshed = asyncio.Event()
    calls = 0

    async def refresh() -> None:
        nonlocal calls
        calls += 1
        refreshed.set()

    fetch = RefreshOnUnreachable(FlakyFetch(), refresh, min_interval_s=60)
    for _ in range(3):
        with pytest.raises(PodCallError):
            await fetch("http://pod/x", {})
    await asyncio.wait_for(refreshed.wait(), 1)
    await asyncio.sleep(0)
    assert calls == 1


async def test_answers_pass_through_without_a_refresh() -> None:
    async def refresh() -> None:
        raise AssertionError("no refresh expected")

    inner = FlakyFetch()
    inner.fail = False
    assert (await RefreshOnUnreachable(inner, refresh)("http://pod/x", {})).status == 200


class FakeStore:
    def __init__(self, *pods: Pod) -> None:
        self.pods = list(pods)

    async def list_pods(self) -> list[Pod]:
        return self.pods


class FakeCatalog:
    def __init__(self, regions: dict[str, dict[str, str]]) -> None:
        self.regions = regions
        self.refreshes = 0

    async def endpoints_for(self, region: str) -> dict[str, str]:
        return dict(self.regions.get(region, {}))

    async def refresh(self) -> None:
        self.refreshes += 1


async def test_pods_without_endpoints_take_the_catalogs_and_keep_explicit_ones() -> None:
    explicit = Pod("Pod1", "az1", endpoints={"compute": "http://explicit/v2.1"})
    store = FakeStore(explicit, Pod("Pod2", "az2"), Pod("Nowhere", "az3"))
    catalog = FakeCatalog({"Pod1": {"compute": "http://c1"}, "Pod2": {"compute": "http://c2"}})
    published: list[tuple[Pod, ...]] = []
    view = LivePods(store, published.append, catalog=catalog)  # type: ignore[arg-type]

    await view.reload()
    assert view()["Pod1"].endpoints == {"compute": "http://explicit/v2.1"}
    assert view()["Pod2"].endpoints == {"compute": "http://c2"}
    assert view()["Nowhere"].endpoints == {}
    assert [p.name for p in published[-1]] == ["Pod1", "Pod2", "Nowhere"]

    catalog.regions["Pod2"] = {"compute": "http://moved"}
    await view.refresh_catalog()
    assert catalog.refreshes == 1
    assert view()["Pod2"].endpoints == {"compute": "http://moved"}
