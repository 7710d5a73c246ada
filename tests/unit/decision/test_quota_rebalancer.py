"""The rebalancer over scripted Nova pods: shares follow usage, only changed pods are written."""

from control_plane.decision.pods.fanout import Fanout
from control_plane.decision.quotas.rebalancer import Rebalancer
from control_plane.metrics import Metrics
from control_plane.model import PodState, QuotaScope, Service
from tests.unit.decision.fake_pods import FakeSend, pod
from tests.unit.decision.fakes import MemoryStore
from tests.unit.decision.quota_pods import NovaQuotas

SCOPE = QuotaScope(Service.COMPUTE, "p9")


def _rebalancer(pods: FakeSend, store: MemoryStore, metrics: Metrics, **states: PodState):
    registered = {
        name: pod(name, state=states.get(name, PodState.ENABLED)) for name in pods.scripts
    }
    return Rebalancer(
        store=store,
        fanout=Fanout(send=pods, timeout_s=1),
        pods=lambda: registered,
        every_s=60,
        metrics=metrics,
    )


async def test_a_full_pod_gets_the_room_an_idle_pod_had_and_the_total_holds() -> None:
    a, b = NovaQuotas({"instances": 2}), NovaQuotas({"instances": 0})
    a.limits["instances"], b.limits["instances"] = 2, 1
    pods, store, metrics = FakeSend({"a": a, "b": b}), MemoryStore(), Metrics()
    await store.set_quota_limits(SCOPE, {"instances": 4})
    assert await _rebalancer(pods, store, metrics).rebalance() == 1
    # headroom 2, weights 2 + 2·2 and 2 + 0: 1.5 and 0.5, the tie to the idle pod (kept at 1)
    assert (a.limits["instances"], b.limits["instances"]) == (3, 1)
    puts = [(call[0], call[2], call[3]) for call in pods.calls if call[1] == "PUT"]
    assert puts == [
        ("a", "/compute/v2.1/p9/os-quota-sets/p9", {"quota_set": {"instances": 3, "force": True}}),
    ]
    assert metrics.quota_rebalances.labels("compute", "a")._value.get() == 1


async def test_a_round_with_nothing_to_move_writes_nothing() -> None:
    a, b = NovaQuotas(), NovaQuotas()
    a.limits["instances"], b.limits["instances"] = 2, 1
    pods, store = FakeSend({"a": a, "b": b}), MemoryStore()
    await store.set_quota_limits(SCOPE, {"instances": 3})
    assert await _rebalancer(pods, store, Metrics()).rebalance() == 0
    assert {call[1] for call in pods.calls} == {"GET"}


async def test_a_draining_pod_keeps_its_usage_and_a_new_pod_gets_a_share() -> None:
    old, new = NovaQuotas({"instances": 2}), NovaQuotas()
    pods, store = FakeSend({"old": old, "new": new}), MemoryStore()
    await store.set_quota_limits(SCOPE, {"instances": 5, "metadata_items": 64})
    rebalancer = _rebalancer(pods, store, Metrics(), old=PodState.DRAINING)
    assert await rebalancer.rebalance() == 2
    assert (old.limits["instances"], new.limits["instances"]) == (2, 3)
    assert old.limits["metadata_items"] == new.limits["metadata_items"] == 64


async def test_a_scope_whose_pods_do_not_all_answer_waits_for_the_next_round() -> None:
    a = NovaQuotas()
    pods, store = FakeSend({"a": a, "b": None}), MemoryStore()
    await store.set_quota_limits(SCOPE, {"instances": 3})
    assert await _rebalancer(pods, store, Metrics()).rebalance() == 0
    assert a.limits["instances"] == 10
