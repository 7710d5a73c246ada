"""Change feed subscribers: routing caches apply a batch in order, pods reload once per batch."""

from dataclasses import dataclass, field

from control_plane.model import Pod, ResourceType
from control_plane.runtime.routing_changes import RoutingCaches
from control_plane.store.changes import BINDINGS, PODS, RESYNC, Change, ChangeKind
from control_plane.xds.live_pods import LivePods


@dataclass
class Recorder:
    events: list[tuple[str, ...]] = field(default_factory=list)

    def caches(self) -> RoutingCaches:
        async def reload_routings() -> None:
            self.events.append(("routings",))

        return RoutingCaches(
            forget_routing=lambda kind, rid: self.events.append(("forget", kind, rid)),
            resource_deleted=lambda kind, rid: self.events.append(("deleted", kind, rid)),
            reload_routings=reload_routings,
        )


async def test_a_batch_applies_each_routing_change_and_reloads_once_last() -> None:
    recorder = Recorder()
    batch = [
        Change(ChangeKind.ROUTINGS_DROPPED),
        Change(ChangeKind.ROUTING_DELETED, "volume", "v1"),
        PODS,
        Change(ChangeKind.ROUTINGS_DROPPED),
        Change(ChangeKind.RESOURCE_DELETED, "server", "s1"),
    ]
    await recorder.caches()(batch)
    assert recorder.events == [
        ("forget", ResourceType.VOLUME, "v1"),
        ("deleted", ResourceType.SERVER, "s1"),
        ("routings",),
    ]
    await recorder.caches()([PODS, BINDINGS])
    assert len(recorder.events) == 3


class CountingStore:
    def __init__(self) -> None:
        self.reads = 0

    async def list_pods(self) -> list[Pod]:
        self.reads += 1
        return [Pod("pod1", "az1", endpoints={"compute": "http://c1"})]


async def test_pods_reload_once_per_batch_that_touched_them() -> None:
    store = CountingStore()
    published: list[tuple[Pod, ...]] = []
    pods = LivePods(store, published.append)  # type: ignore[arg-type]
    await pods.changed([PODS, Change(ChangeKind.ROUTING_DELETED, "volume", "v1"), PODS])
    assert store.reads == 1 and len(published) == 1
    assert list(pods()) == ["pod1"]
    await pods.changed([BINDINGS, Change(ChangeKind.RESOURCE_DELETED, "server", "s1")])
    assert store.reads == 1
    await pods.changed(RESYNC)
    assert store.reads == 2
