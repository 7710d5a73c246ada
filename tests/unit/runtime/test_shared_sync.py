"""The shared-object sync over in-memory pods: a pod registered later gets what the gateway made."""

import asyncio

from control_plane.decision.pods.fanout import Fanout
from control_plane.metrics import Metrics
from control_plane.model import CopiedType, Copies, PodState
from control_plane.runtime.shared_sync import SharedSync
from tests.unit.decision.fake_pods import pod
from tests.unit.decision.fakes import MemoryStore
from tests.unit.decision.shared_cloud import SharedCloud


def _sync(cloud: SharedCloud, store: MemoryStore, metrics: Metrics) -> SharedSync:
    return SharedSync(
        fanout=Fanout(send=cloud.send, timeout_s=1),
        pods=lambda: {name: pod(name) for name in cloud.objects},
        store=store,
        interval_s=60,
        metrics=metrics,
    )


async def _made_through_the_gateway(cloud: SharedCloud, store: MemoryStore) -> None:
    """A flavor with extra specs, a volume type, QoS specs associated with it, in pods a and b."""
    for name in "ab":
        cloud.hold(
            name,
            "flavors",
            {
                "id": "f1",
                "name": "big",
                "ram": 1,
                "vcpus": 1,
                "disk": 1,
                "extra_specs": {"hw:cpu_policy": "dedicated"},
            },
        )
        cloud.hold(name, "types", {"id": f"t-{name}", "name": "gold", "extra_specs": {"k": "v"}})
        cloud.hold(name, "qos-specs", {"id": f"q-{name}", "name": "fast", "specs": {"iops": "9"}})
        cloud.associations[name][f"t-{name}"] = f"q-{name}"
    await store.record_copies(Copies(CopiedType.FLAVOR, "f1", "admin", {"a": "f1", "b": "f1"}))
    await store.record_copies(
        Copies(CopiedType.VOLUME_TYPE, "t-a", "admin", {"a": "t-a", "b": "t-b"})
    )
    await store.record_copies(
        Copies(CopiedType.QOS_SPECS, "q-a", "admin", {"a": "q-a", "b": "q-b"})
    )


async def test_a_pod_registered_later_gets_the_objects_made_earlier() -> None:
    cloud, store, metrics = SharedCloud("a", "b"), MemoryStore(), Metrics()
    await _made_through_the_gateway(cloud, store)
    cloud.add_pod("c")
    sync = _sync(cloud, store, metrics)

    await sync.sync_once()

    assert cloud.objects["c"]["flavors"]["f1"]["extra_specs"] == {"hw:cpu_policy": "dedicated"}
    own_type = cloud.by_name("c", "types", "gold")
    own_qos = cloud.by_name("c", "qos-specs", "fast")
    assert own_type["extra_specs"] == {"k": "v"} and own_qos["specs"] == {"iops": "9"}
    assert store.copies[("volume_type", "t-a")].ids["c"] == own_type["id"]
    assert store.copies[("qos_specs", "q-a")].ids["c"] == own_qos["id"]
    associate = f"http://c.pod/volume/v3/podgate/qos-specs/{own_qos['id']}/associate"
    assert f"{associate}?vol_type_id={own_type['id']}" in cloud.send.headers
    assert sync.drift() == {}


async def test_what_cannot_be_repaired_is_named_per_pod_in_the_drift_and_the_gauge() -> None:
    cloud, store, metrics = SharedCloud("a", "b"), MemoryStore(), Metrics()
    await _made_through_the_gateway(cloud, store)
    cloud.hold("a", "flavors", {"id": "x", "name": "made-in-a"})
    cloud.add_pod("c")
    cloud.refusing["c"] = {"POST"}
    sync = _sync(cloud, store, metrics)

    await sync.sync_once()

    assert sync.drift() == {
        "b": ("flavors: made-in-a",),
        "c": ("flavors: big, made-in-a", "volume_types: gold", "qos_specs: fast"),
    }
    gauge = metrics.registry.get_sample_value
    assert gauge("podgate_shared_objects_missing", {"pod": "c", "kind": "flavors"}) == 2
    assert gauge("podgate_shared_objects_missing", {"pod": "a", "kind": "flavors"}) is None
    cloud.refusing.clear()
    await sync.sync_once()
    assert sync.drift() == {"b": ("flavors: made-in-a",), "c": ("flavors: made-in-a",)}


async def test_a_pod_enabled_again_is_synced_at_once_not_at_the_next_interval() -> None:
    cloud, store, metrics = SharedCloud("a", "b", "c"), MemoryStore(), Metrics()
    await _made_through_the_gateway(cloud, store)
    states = {"c": PodState.DISABLED}
    sync = SharedSync(
        fanout=Fanout(send=cloud.send, timeout_s=1),
        pods=lambda: {n: pod(n, state=states.get(n, PodState.ENABLED)) for n in cloud.objects},
        store=store,
        interval_s=3600,
        metrics=metrics,
    )
    task = asyncio.create_task(sync.run())
    try:
        await asyncio.sleep(0.2)
        assert cloud.objects["c"]["flavors"] == {}  # DISABLED: left alone
        states.clear()
        for _ in range(60):  # the pods are watched every second
            if "f1" in cloud.objects["c"]["flavors"]:
                break
            await asyncio.sleep(0.05)
        assert "f1" in cloud.objects["c"]["flavors"]
    finally:
        task.cancel()
