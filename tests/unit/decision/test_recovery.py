"""Recovery of routings lost in a crash: a routed request's miss asks the project's pods."""

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.operation import Operation
from control_plane.decision.pods.client import PodResponse
from control_plane.decision.routed.recovery import Recovery
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import NotFound
from control_plane.model import Pod, PodState, ResourceType, Routing, Service
from tests.unit.decision.fake_pods import FakeCloud, FakePod
from tests.unit.decision.fakes import MemoryStore, owner

AT = datetime(2024, 1, 1, tzinfo=UTC)
HEADERS = {"x-auth-token": "tok", "openstack-api-version": "compute 2.79", ":path": "/x"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Cloud:
    """Fake pods, their registrations, a store and a Recovery over them."""

    def __init__(self, *names: str, concurrency: int = 8, delay: float = 0.0, **pods: Pod) -> None:
        self.fakes = {name: FakePod(name, f"nova-{name}", delay=delay) for name in names}
        self.fetch = FakeCloud(*self.fakes.values())
        self.pods = {name: fake.pod("az1") for name, fake in self.fakes.items()} | pods
        self.store = MemoryStore(self.pods)
        self.table = RoutingTable(self.store, max_entries=100)
        self.clock = Clock()
        self.recovery = Recovery(
            fetch=self.fetch,
            routings=self.table,
            timeout_s=1.0,
            concurrency=concurrency,
            negative_ttl_s=5.0,
            clock=self.clock,
        )

    def probes(self, resource_id: str) -> int:
        return sum(
            path.endswith(f"/{resource_id}")
            for fake in self.fakes.values()
            for path, _ in fake.calls
        )

    async def find(self, path: str, project: str = "p1") -> Routing | None:
        service = Service.COMPUTE if path.startswith("/v2.1/") else Service.VOLUME
        op = classify(service, "GET", path.replace("{p}", project))
        return await self.recovery.find(op, self.pods, HEADERS)


def _op(path: str) -> Operation:
    return classify(Service.COMPUTE, "GET", path)


async def test_a_server_only_its_pod_knows_is_found_stored_and_routed() -> None:
    cloud = Cloud("pa", "pb", "pc")
    cloud.fakes["pb"].add("servers", "p1", "s1", "vm", AT)
    op = _op("/v2.1/p1/servers/s1")
    target = await owner(cloud.table, cloud.pods, op, recovery=cloud.recovery, headers=HEADERS)
    assert target.pod.name == "pb"
    assert target.path == "/compute/v2.1/p1/servers/s1"
    assert cloud.store.routings[("server", "s1")] == Routing("s1", ResourceType.SERVER, "p1", "pb")
    reads = cloud.probes("s1")
    assert (await owner(cloud.table, cloud.pods, op, recovery=cloud.recovery)).pod.name == "pb"
    assert cloud.probes("s1") == reads, "the stored routing answers the next request"


async def test_the_probe_carries_the_callers_token_and_microversion_only() -> None:
    cloud = Cloud("pa")
    cloud.fakes["pa"].add("servers", "p1", "s1", "vm", AT)
    await cloud.find("/v2.1/{p}/servers/s1")
    ((path, headers),) = cloud.fakes["pa"].calls
    assert path == "/compute/v2.1/p1/servers/s1"
    assert headers == {"x-auth-token": "tok", "openstack-api-version": "compute 2.79"}


async def test_a_volume_is_looked_for_through_cinder() -> None:
    cloud = Cloud("pa", "pb")
    cloud.fakes["pa"].add("volumes", "p1", "v1", "disk", AT)
    routing = await cloud.find("/v3/{p}/volumes/v1")
    assert routing == Routing("v1", ResourceType.VOLUME, "p1", "pa")
    assert [path for path, _ in cloud.fakes["pb"].calls] == ["/volume/v3/p1/volumes/v1"]


async def test_another_projects_resource_is_not_taken() -> None:
    cloud = Cloud("pa")
    cloud.fakes["pa"].add("servers", "p2", "s1", "vm", AT)
    assert await cloud.find("/v2.1/{p}/servers/s1") is None
    assert cloud.store.routings == {}


async def test_an_answer_naming_another_owner_is_not_taken() -> None:
    cloud = Cloud("pa")
    cloud.fakes["pa"].add("servers", "p1", "s1", "vm", AT)
    answer = cloud.fakes["pa"].answer

    def admin_view(path: str, query: str):
        response = answer(path, query)
        return type(response)(response.status, response.body.replace(b'"p1"', b'"p9"'))

    cloud.fakes["pa"].answer = admin_view  # type: ignore[method-assign]
    assert await cloud.find("/v2.1/{p}/servers/s1") is None


async def test_an_id_no_pod_has_is_probed_once_within_the_negative_ttl() -> None:
    cloud = Cloud("pa", "pb")
    op = _op("/v2.1/p1/servers/nope")
    for _ in range(3):
        with pytest.raises(NotFound, match="Instance nope could not be found"):
            await owner(cloud.table, cloud.pods, op, recovery=cloud.recovery, headers=HEADERS)
    assert cloud.probes("nope") == 2, "one probe of each pod"
    cloud.clock.now += 5.0
    assert await cloud.find("/v2.1/{p}/servers/nope") is None
    assert cloud.probes("nope") == 4, "asked again once the negative answer expired"


async def test_the_negative_cache_is_bounded() -> None:
    cloud = Cloud("pa")
    cloud.recovery = Recovery(
        fetch=cloud.fetch, routings=cloud.table, timeout_s=1.0, negative_entries=2
    )
    for resource_id in ("n1", "n2", "n3", "n1"):
        await cloud.find(f"/v2.1/{{p}}/servers/{resource_id}")
    assert cloud.probes("n1") == 2 and cloud.probes("n3") == 1


async def test_concurrent_misses_for_one_id_share_one_probe() -> None:
    cloud = Cloud("pa", "pb", delay=0.05)
    cloud.fakes["pb"].add("servers", "p1", "s1", "vm", AT)
    found = await asyncio.gather(*(cloud.find("/v2.1/{p}/servers/s1") for _ in range(10)))
    assert {routing.pod_name for routing in found if routing} == {"pb"}
    assert cloud.probes("s1") == 2


async def test_at_most_concurrency_pods_are_asked_at_once() -> None:
    names = [f"p{i}" for i in range(10)]
    cloud = Cloud(*names, concurrency=3, delay=0.02)
    assert await cloud.find("/v2.1/{p}/servers/nope") is None
    assert cloud.fetch.most_in_flight == 3
    assert cloud.probes("nope") == 10


async def test_unhealthy_disabled_and_down_pods_are_not_waited_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    disabled = FakePod("px", "nova-x").pod("az1", state=PodState.DISABLED)
    cloud = Cloud("pa", "pb", "pc", px=disabled)
    cloud.fakes["pc"].add("servers", "p1", "s1", "vm", AT)
    cloud.fakes["pa"].failure = "down"

    class Down:
        def unhealthy(self, service: Service) -> frozenset[str]:
            return frozenset({"pb"})

    cloud.recovery = Recovery(fetch=cloud.fetch, routings=cloud.table, timeout_s=1.0, health=Down())
    with caplog.at_level(logging.INFO, logger="podgate.recovery"):
        routing = await cloud.find("/v2.1/{p}/servers/s1")
    assert routing is not None and routing.pod_name == "pc"
    assert cloud.fakes["pb"].calls == []
    assert "asking pods pa,pc" in caplog.text and "recovered server s1 in pod pc" in caplog.text


async def test_a_hung_pod_costs_at_most_the_timeout() -> None:
    cloud = Cloud("pa")
    cloud.fakes["pa"].delay = 60
    cloud.recovery = Recovery(fetch=cloud.fetch, routings=cloud.table, timeout_s=0.05)
    assert await asyncio.wait_for(cloud.find("/v2.1/{p}/servers/s1"), timeout=5) is None


async def test_a_routing_stored_meanwhile_wins() -> None:
    cloud = Cloud("pa", "pb")
    cloud.fakes["pb"].add("servers", "p1", "s1", "vm", AT)
    cloud.store.routings[("server", "s1")] = Routing("s1", ResourceType.SERVER, "p1", "pa")
    routing = await cloud.find("/v2.1/{p}/servers/s1")
    assert routing is not None and routing.pod_name == "pa"


async def test_a_known_routing_of_another_project_is_not_probed() -> None:
    cloud = Cloud("pa")
    cloud.store.routings[("server", "s1")] = Routing("s1", ResourceType.SERVER, "p2", "pa")
    with pytest.raises(NotFound):
        await owner(cloud.table, cloud.pods, _op("/v2.1/p1/servers/s1"), recovery=cloud.recovery)
    assert cloud.fakes["pa"].calls == []


async def test_a_get_below_a_gone_resource_goes_to_the_pod_that_still_shows_it() -> None:
    """Nova lists a deleted server's instance actions (2.21+): no pod shows the server, one its
    actions; the request goes there and nothing is recorded."""
    asked: list[str] = []

    async def fetch(url: str, headers: object) -> PodResponse:
        asked.append(url)
        if url.startswith("http://b.pod/") and url.endswith("/servers/s1/os-instance-actions"):
            return PodResponse(200, b'{"instanceActions": []}')
        return PodResponse(404, b'{"itemNotFound": {"code": 404, "message": "gone"}}')

    pods = {
        name: Pod(name=name, az_name="az1", endpoints={"compute": f"http://{name}.pod/v2.1"})
        for name in ("a", "b")
    }
    store = MemoryStore(pods)
    recovery = Recovery(fetch=fetch, routings=RoutingTable(store, max_entries=10), timeout_s=1.0)
    op = classify(Service.COMPUTE, "GET", "/v2.1/p1/servers/s1/os-instance-actions")
    assert await recovery.find(op, pods, HEADERS) is None
    routing = await recovery.below(op, pods, HEADERS)
    assert (routing.pod_name, routing.project_id, routing.resource_id) == ("b", "p1", "s1")
    assert await store.get_routing(ResourceType.SERVER, "s1") is None
    asked.clear()
    gone = classify(Service.COMPUTE, "GET", "/v2.1/p1/servers/s2/os-instance-actions")
    assert await recovery.below(gone, pods, HEADERS) is None
    assert await recovery.below(gone, pods, HEADERS) is None  # remembered as missing
    assert len(asked) == 2
