"""Shared objects keep one identity across pods: one id at the gateway, each pod's own id sent."""

import json

from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.shared.relay import SharedObjects
from control_plane.model import CopiedType, Copies, Service
from tests.unit.decision.fake_pods import pod
from tests.unit.decision.fakes import MemoryStore
from tests.unit.decision.shared_cloud import SharedCloud

_V = Service.VOLUME


async def _ask(
    cloud: SharedCloud,
    store: MemoryStore,
    method: str,
    remainder: str,
    body: object = None,
    *,
    service: Service = Service.COMPUTE,
    query: str = "",
) -> tuple[int, object]:
    shared = SharedObjects(fanout=Fanout(send=cloud.send, timeout_s=1), store=store)
    call = AcrossPodsCall(
        request_id="req-1",
        service=service,
        method=method,
        project_id="admin",
        remainder=remainder,
        query=query,
        headers={"x-auth-token": "tok", "host": "gw"},
        origin="https://gw",
        body=b"" if body is None else json.dumps(body).encode(),
    )
    answer = await shared.answer(call, {name: pod(name) for name in cloud.objects})
    await shared.settle()
    return answer.status, json.loads(answer.body) if answer.body else None


async def test_a_flavor_made_without_an_id_gets_the_first_pods_id_in_every_pod() -> None:
    cloud, store = SharedCloud("a", "b"), MemoryStore()
    flavor = {"flavor": {"name": "big", "ram": 1, "vcpus": 1, "disk": 1}}
    status, answer = await _ask(cloud, store, "POST", "/flavors", flavor)
    made = answer["flavor"]["id"]
    assert status == 200 and made.startswith("a-")
    assert set(cloud.objects["a"]["flavors"]) == set(cloud.objects["b"]["flavors"]) == {made}
    copies = store.copies[("flavor", made)]
    assert copies.ids == {"a": made, "b": made}


async def test_a_volume_type_is_shown_by_the_first_pods_id_and_reached_by_each_pods_own() -> None:
    cloud, store = SharedCloud("a", "b"), MemoryStore()
    status, made = await _ask(
        cloud, store, "POST", "/types", {"volume_type": {"name": "gold"}}, service=_V
    )
    gateway_id = made["volume_type"]["id"]
    own_b = cloud.by_name("b", "types", "gold")["id"]
    assert status == 200 and gateway_id != own_b
    assert store.copies[("volume_type", gateway_id)].ids == {"a": gateway_id, "b": own_b}
    cloud.send.calls.clear()

    specs = {"extra_specs": {"k": "v"}}
    status, _ = await _ask(
        cloud, store, "POST", f"/types/{gateway_id}/extra_specs", specs, service=_V
    )
    assert status == 200
    assert sorted(c[2] for c in cloud.send.calls) == [
        f"/volume/v3/admin/types/{gateway_id}/extra_specs",
        f"/volume/v3/admin/types/{own_b}/extra_specs",
    ]  # each pod by its own id, without listing the pods first
    cloud.objects["a"]["types"].clear()  # pod a lost its copy: pod b's is shown, as the gateway's
    status, shown = await _ask(cloud, store, "GET", f"/types/{gateway_id}", service=_V)
    assert (status, shown["volume_type"]["id"]) == (200, gateway_id)
    status, listed = await _ask(cloud, store, "GET", "/types", service=_V)
    assert [t["id"] for t in listed["volume_types"]] == [gateway_id]


async def test_a_type_made_before_is_found_by_name_in_each_pod() -> None:
    cloud, store = SharedCloud("a", "b"), MemoryStore()
    cloud.hold("a", "group_types", {"id": "ga", "name": "g"})
    cloud.hold("b", "group_types", {"id": "gb", "name": "g"})
    status, _ = await _ask(cloud, store, "PUT", "/group_types/gb", {"group_type": {}}, service=_V)
    puts = sorted(c[2] for c in cloud.send.calls if c[1] == "PUT")
    assert status == 200
    assert puts == ["/volume/v3/admin/group_types/ga", "/volume/v3/admin/group_types/gb"]


async def test_a_delete_refused_by_one_pod_names_its_zone_and_the_zones_that_deleted() -> None:
    cloud, store = SharedCloud("a", "b", "c"), MemoryStore()
    for name in "abc":
        cloud.hold(name, "flavors", {"id": "f1", "name": "big"})
    await store.record_copies(Copies(CopiedType.FLAVOR, "f1", "admin", dict.fromkeys("abc", "f1")))
    cloud.refusing["b"] = {"DELETE"}
    status, fault = await _ask(cloud, store, "DELETE", "/flavors/f1")
    assert status == 403
    assert fault["forbidden"]["message"] == (
        "Availability zone az: Policy says no. (deleted in availability zone az already)"
    )
    # Forgotten, so no sync makes it again in a and c: pod b is named as drift until deleted.
    assert store.copies == {}
    cloud.refusing["a"] = cloud.refusing["c"] = {"DELETE"}
    cloud.hold("a", "flavors", {"id": "f1", "name": "big"})
    await store.record_copies(Copies(CopiedType.FLAVOR, "f1", "admin", {"a": "f1", "b": "f1"}))
    status, _ = await _ask(cloud, store, "DELETE", "/flavors/f1")
    assert status == 403 and ("flavor", "f1") in store.copies  # no pod deleted it: kept
    cloud.refusing.clear()
    status, _ = await _ask(cloud, store, "DELETE", "/flavors/f1")
    assert status == 202 and store.copies == {}
    assert all(not cloud.objects[name]["flavors"] for name in "abc")


async def test_a_qos_association_reaches_each_pod_with_its_own_ids_of_both() -> None:
    cloud, store = SharedCloud("a", "b"), MemoryStore()
    for name in "ab":
        cloud.hold(name, "qos-specs", {"id": f"q-{name}", "name": "fast", "specs": {}})
        cloud.hold(name, "types", {"id": f"t-{name}", "name": "gold"})
    await store.record_copies(
        Copies(CopiedType.QOS_SPECS, "q-a", "admin", {"a": "q-a", "b": "q-b"})
    )
    await store.record_copies(
        Copies(CopiedType.VOLUME_TYPE, "t-a", "admin", {"a": "t-a", "b": "t-b"})
    )
    status, _ = await _ask(
        cloud, store, "GET", "/qos-specs/q-a/associate", service=_V, query="vol_type_id=t-a"
    )
    assert status == 202
    urls = sorted(url for url in cloud.send.headers if "associate" in url)
    assert urls == [
        "http://a.pod/volume/v3/admin/qos-specs/q-a/associate?vol_type_id=t-a",
        "http://b.pod/volume/v3/admin/qos-specs/q-b/associate?vol_type_id=t-b",
    ]


async def test_a_merged_list_is_paged_after_merging() -> None:
    cloud, store = SharedCloud("a", "b"), MemoryStore()
    for name in "ab":
        for flavor_id in ("1", "2", "3"):
            cloud.hold(name, "flavors", {"id": flavor_id, "name": f"m{flavor_id}"})
    cloud.hold("b", "flavors", {"id": "4", "name": "m4"})
    status, first = await _ask(cloud, store, "GET", "/flavors", query="limit=1")
    assert status == 200
    assert [f["id"] for f in first["flavors"]] == ["1"]
    assert first["flavors_links"][0]["href"] == "https://gw/v2.1/admin/flavors?limit=1&marker=1"
    status, rest = await _ask(cloud, store, "GET", "/flavors", query="limit=2&marker=2")
    assert (status, [f["id"] for f in rest["flavors"]]) == (200, ["3", "4"])


async def test_a_flavor_made_again_under_an_id_still_recorded_replaces_the_record() -> None:
    cloud, store = SharedCloud("a", "b"), MemoryStore()
    await store.record_copies(Copies(CopiedType.FLAVOR, "f1", "old", {"a": "f1", "b": "f1"}))
    flavor = {"flavor": {"name": "again", "ram": 1, "vcpus": 1, "disk": 1, "id": "f1"}}
    status, _ = await _ask(cloud, store, "POST", "/flavors", flavor)
    assert status == 200
    assert store.copies[("flavor", "f1")] == Copies(
        CopiedType.FLAVOR, "f1", "admin", {"a": "f1", "b": "f1"}
    )
