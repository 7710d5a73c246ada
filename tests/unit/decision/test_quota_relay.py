"""The quota relay over scripted Nova pods: limits over all pods, usage summed, shares given."""

import json

from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.quotas.relay import QuotaRelay
from control_plane.model import PodState, QuotaScope, Service
from tests.unit.decision.fake_pods import FakeSend, pod
from tests.unit.decision.fakes import MemoryStore
from tests.unit.decision.quota_pods import NovaQuotas

SCOPE = QuotaScope(Service.COMPUTE, "p9")


def _cloud(**usage: int) -> tuple[FakeSend, dict[str, NovaQuotas]]:
    quotas = {name: NovaQuotas({"instances": used}) for name, used in usage.items()}
    return FakeSend(quotas), quotas


async def _run(
    pods: FakeSend,
    store: MemoryStore,
    method: str,
    remainder: str,
    body: object = None,
    query: str = "",
):
    call = AcrossPodsCall(
        request_id="req-1",
        service=Service.COMPUTE,
        method=method,
        project_id="p1",
        remainder=remainder,
        query=query,
        headers={"x-auth-token": "tok"},
        origin="http://gw",
        body=b"" if body is None else json.dumps(body).encode(),
    )
    registered = {name: pod(name) for name in pods.scripts}
    registered["off"] = pod("off", state=PodState.DISABLED)
    relay = QuotaRelay(fanout=Fanout(send=pods, timeout_s=1), store=store)
    answer = await relay.answer(call, registered)
    return answer.status, json.loads(answer.body) if answer.body else None


async def test_a_limit_set_through_the_gateway_reads_back_as_set_with_usage_summed() -> None:
    pods, quotas = _cloud(a=1, b=0)
    store = MemoryStore()
    status, body = await _run(
        pods, store, "PUT", "/os-quota-sets/p9", {"quota_set": {"instances": 3}}
    )
    assert (status, body["quota_set"]["instances"]) == (200, 3)
    assert store.quotas == {SCOPE: {"instances": 3}}
    # headroom 2, weights 1 + 2·1 and 1 + 0: a keeps 1 and gets 1, b gets 1
    assert (quotas["a"].limits["instances"], quotas["b"].limits["instances"]) == (2, 1)
    _, body = await _run(pods, store, "GET", "/os-quota-sets/p9/detail")
    assert body["quota_set"]["instances"] == {"limit": 3, "in_use": 1, "reserved": 0}
    assert body["quota_set"]["cores"] == {"limit": 20, "in_use": 0, "reserved": 0}
    _, body = await _run(pods, store, "GET", "/limits", query="tenant_id=p9")
    assert body["limits"]["absolute"] == {
        "maxTotalInstances": 3,
        "maxServerMeta": 128,
        "totalInstancesUsed": 1,
    }


async def test_unlimited_and_per_object_limits_reach_every_pod_whole() -> None:
    pods, quotas = _cloud(a=0, b=0)
    body = {"quota_set": {"instances": -1, "metadata_items": "256"}}
    status, shown = await _run(pods, MemoryStore(), "PUT", "/os-quota-sets/p9", body)
    assert (status, shown["quota_set"]["instances"], shown["quota_set"]["metadata_items"]) == (
        200,
        -1,
        256,
    )
    for quota in quotas.values():
        assert (quota.limits["instances"], quota.limits["metadata_items"]) == (-1, 256)


async def test_a_limit_below_the_usage_of_all_pods_is_refused_as_nova_does_unless_forced() -> None:
    pods, quotas = _cloud(a=2, b=1)
    store = MemoryStore()
    status, body = await _run(
        pods, store, "PUT", "/os-quota-sets/p9", {"quota_set": {"instances": 2}}
    )
    message = (
        "Quota limit 2 for instances must be greater than or equal to already used and reserved 3."
    )
    assert (status, body) == (400, {"badRequest": {"message": message, "code": 400}})
    assert store.quotas == {}
    assert [call[1] for call in pods.calls] == ["GET", "GET"]
    body = {"quota_set": {"instances": 2, "force": True}}
    status, shown = await _run(pods, store, "PUT", "/os-quota-sets/p9", body)
    assert (status, shown["quota_set"]["instances"]) == (200, 2)
    assert (quotas["a"].limits["instances"], quotas["b"].limits["instances"]) == (2, 1)


async def test_a_pod_refusing_its_share_leaves_the_stored_limits_as_they_were() -> None:
    pods, _ = _cloud(a=0, b=0)
    pods.scripts["b"] = lambda m, p, d: (
        pods.scripts["a"](m, p, d) if m == "GET" else NovaQuotas()(m, p, {"quota_set": {"x": -9}})
    )
    store = MemoryStore()
    status, _ = await _run(pods, store, "PUT", "/os-quota-sets/p9", {"quota_set": {"instances": 4}})
    assert status == 400
    assert store.quotas == {}


async def test_a_value_the_gateway_cannot_read_goes_to_the_pods_as_sent() -> None:
    pods, _ = _cloud(a=0)
    pods.scripts["a"] = lambda m, p, d: NovaQuotas()(m, p, {"quota_set": {"cores": -9}})
    status, body = await _run(
        pods, MemoryStore(), "PUT", "/os-quota-sets/p9", {"quota_set": {"cores": -5}}
    )
    assert status == 400
    assert body["badRequest"]["message"] == "Availability zone az: low"
    assert [call[3] for call in pods.calls] == [{"quota_set": {"cores": -5}}]


async def test_deleting_resets_every_pod_and_forgets_the_stored_limits() -> None:
    pods, quotas = _cloud(a=0, b=0)
    store = MemoryStore()
    await _run(pods, store, "PUT", "/os-quota-sets/p9", {"quota_set": {"instances": 3}})
    await store.set_quota_limits(QuotaScope(Service.COMPUTE, "p9", "alice"), {"instances": 1})
    status, _ = await _run(pods, store, "DELETE", "/os-quota-sets/p9")
    assert status == 202
    assert store.quotas == {}
    assert all(quota.limits["instances"] == 10 for quota in quotas.values())
    _, body = await _run(pods, store, "GET", "/os-quota-sets/p9")
    assert body == {"quota_set": {"id": "p9", "instances": 10, "cores": 20, "metadata_items": 128}}


async def test_defaults_are_one_pods_answer_not_a_sum() -> None:
    pods, _ = _cloud(a=0, b=0)
    status, body = await _run(pods, MemoryStore(), "GET", "/os-quota-sets/p9/defaults")
    assert (status, body["quota_set"]["instances"]) == (200, 10)
    assert [call[0] for call in pods.calls] == ["a"]


async def test_a_users_limits_are_its_own_else_its_projects() -> None:
    pods, _ = _cloud(a=0, b=0)
    store = MemoryStore()
    await _run(pods, store, "PUT", "/os-quota-sets/p9", {"quota_set": {"instances": 3}})
    body = {"quota_set": {"cores": "4"}}
    status, _ = await _run(pods, store, "PUT", "/os-quota-sets/p9", body, query="user_id=u")
    assert status == 200
    assert store.quotas[QuotaScope(Service.COMPUTE, "p9", "u")] == {"cores": 4}
    _, shown = await _run(pods, store, "GET", "/os-quota-sets/p9", query="user_id=u")
    assert (shown["quota_set"]["instances"], shown["quota_set"]["cores"]) == (3, 4)
    puts = [call[2:] for call in pods.calls if call[1] == "PUT"][-2:]
    assert (
        puts
        == [
            ("/compute/v2.1/p1/os-quota-sets/p9", {"quota_set": {"cores": 2, "force": True}}),
        ]
        * 2
    )
