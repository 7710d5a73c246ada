"""Admin views over scripted pods: nothing added to Nova's and Cinder's items, ids unique per pod
and routed back to their pod, hosts found in the pod that has them, usage summed, policy kept."""

import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from control_plane.decision.operation import Kind, Operation
from control_plane.decision.pods.client import PodResponse
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.quotas.relay import QuotaRelay
from control_plane.decision.views.ids import STRIDE, id_map
from control_plane.decision.views.policy import admin_only
from control_plane.decision.views.relay import ViewRelay
from control_plane.errors import Forbidden
from control_plane.identity.policy import Caller
from control_plane.model import PodState, Service
from tests.unit.decision.fake_pods import FakeSend, Script, json_response, pod
from tests.unit.decision.fakes import MemoryStore

_NOT_FOUND = {"itemNotFound": {"message": "Host x could not be found.", "code": 404}}


def _registered(names: list[str]) -> dict:
    """Pods `a`, `b`, ... registered a minute apart (`a` oldest), each in zone `zone-<name>`."""
    return {name: pod(name, f"zone-{name}", minute=i) for i, name in enumerate(names)}


async def _run(
    pods: FakeSend,
    method: str,
    remainder: str,
    body: object = None,
    *,
    service: Service = Service.COMPUTE,
    registered: dict | None = None,
    query: str = "",
):
    fanout = Fanout(send=pods, timeout_s=1)
    views = ViewRelay(fanout=fanout, quotas=QuotaRelay(fanout=fanout, store=MemoryStore()))
    call = AcrossPodsCall(
        request_id="req-1",
        service=service,
        method=method,
        project_id="p1",
        remainder=remainder,
        query=query,
        headers={"x-auth-token": "tok"},
        origin="http://gw",
        body=b"" if body is None else json.dumps(body).encode(),
    )
    answer = await views.answer(call, registered or _registered(sorted(pods.scripts)))
    return answer.status, json.loads(answer.body) if answer.body else None


def _answers(document: object, status: int = 200) -> Script:
    return lambda m, p, b: json_response(status, document)


def test_integer_ids_map_to_the_pod_and_back_and_uuids_pass_unchanged() -> None:
    ids = id_map(_registered(["a", "b"]).values())
    shown = ids.shown("b", {"hypervisors": [{"id": 7, "service": {"id": 3}, "servers": []}]})
    assert shown == {"hypervisors": [{"id": 7 * STRIDE + 1, "service": {"id": 3 * STRIDE + 1},
                                      "servers": []}]}  # fmt: skip
    assert ids.owner(str(7 * STRIDE + 1)) == ("b", "7")
    assert ids.shown("a", {"services": [{"id": "4c8d-uuid"}]}) == {
        "services": [{"id": "4c8d-uuid"}]
    }
    assert ids.owner("4c8d-uuid") is None
    assert ids.owner(str(5 * STRIDE + 2)) is None  # slot 2: no third pod
    assert ids.owner("1") is None  # pod a's slot, but no pod numbers anything 0


def test_a_pods_slot_is_its_rank_by_age_whatever_its_state() -> None:
    old = pod("z", minute=1, state=PodState.DISABLED)
    new = pod("a", minute=2)
    assert id_map([new, old]).slots == {"z": 0, "a": 1}


async def test_services_of_every_pod_show_nothing_more_than_novas_and_unique_ids() -> None:
    def services(host: str) -> Script:
        listed = {"services": [{"id": 1, "host": host, "zone": f"inner-{host}"}]}
        return _answers(listed)

    pods = FakeSend({"a": services("a"), "b": services("b")})
    status, body = await _run(pods, "GET", "/os-services")
    assert (status, body) == (200, {"services": [
        {"id": STRIDE, "host": "a", "zone": "zone-a"},
        {"id": STRIDE + 1, "host": "b", "zone": "zone-b"},
    ]})  # fmt: skip


async def test_a_hypervisor_shown_by_its_gateway_id_is_asked_of_its_own_pod() -> None:
    shown = {"hypervisor": {"id": 4, "hypervisor_hostname": "b-host", "service": {"id": 2}}}
    pods = FakeSend({"a": _answers(_NOT_FOUND, 404), "b": _answers(shown)})
    status, body = await _run(pods, "GET", f"/os-hypervisors/{4 * STRIDE + 1}/uptime")
    assert status == 200
    assert body["hypervisor"]["id"] == 4 * STRIDE + 1
    assert body["hypervisor"]["service"] == {"id": 2 * STRIDE + 1}
    assert [call[:3] for call in pods.calls] == [
        ("b", "GET", "/compute/v2.1/p1/os-hypervisors/4/uptime")
    ]


async def test_an_integer_id_of_no_pod_is_novas_404_without_asking_any() -> None:
    pods = FakeSend({"a": _answers({}), "b": _answers({})})
    status, body = await _run(pods, "DELETE", f"/os-services/{STRIDE + 5}")
    assert (status, body) == (404, {"itemNotFound": {
        "message": f"Service {STRIDE + 5} could not be found.", "code": 404}})  # fmt: skip
    assert pods.calls == []


async def test_a_host_or_uuid_is_answered_by_the_pod_that_has_it() -> None:
    enabled = {"service": {"id": "uuid-1", "host": "b-host", "status": "enabled"}}
    pods = FakeSend({"a": _answers(_NOT_FOUND, 404), "b": _answers(enabled)})
    status, body = await _run(pods, "PUT", "/os-services/uuid-1", {"status": "enabled"})
    assert (status, body) == (200, enabled)
    assert sorted(call[0] for call in pods.calls) == ["a", "b"]


async def test_when_no_pod_has_it_the_first_pods_own_refusal_is_the_answer() -> None:
    invalid = {"badRequest": {"message": "Invalid binary", "code": 400}}
    pods = FakeSend({"a": _answers(invalid, 400), "b": _answers(invalid, 400)})
    status, body = await _run(
        pods, "PUT", "/os-services/disable", {"host": "x"}, service=Service.VOLUME
    )
    assert (status, body) == (400, invalid)


async def test_the_refusal_of_the_pod_that_has_the_host_wins_over_a_404() -> None:
    invalid = {"badRequest": {"message": "Invalid status: 'x'", "code": 400}}
    pods = FakeSend({"a": _answers(_NOT_FOUND, 404), "b": _answers(invalid, 400)})
    assert await _run(pods, "PUT", "/os-hosts/b-host", {"status": "x"}) == (400, invalid)


async def test_a_zone_filter_reaches_each_pod_in_its_own_zone_name() -> None:
    pods = FakeSend({"a": _answers({"hosts": []}), "b": _answers({"hosts": []})})
    await _run(pods, "GET", "/os-hosts", query="zone=zone-b")
    assert sorted(pods.headers) == [
        "http://a.pod/compute/v2.1/p1/os-hosts?zone=zone-b",
        "http://b.pod/compute/v2.1/p1/os-hosts?zone=inner-b",
    ]


async def test_a_pod_failing_a_merged_list_makes_the_answer_its_refusal() -> None:
    pods = FakeSend({"a": _answers({"hosts": []}), "b": None})
    status, body = await _run(pods, "GET", "/os-hosts")
    assert status == 503
    assert body["serviceUnavailable"]["message"] == "Availability zone zone-b is not available now."


async def test_pools_keep_their_hosts_names_and_join_in_one_list() -> None:
    pods = FakeSend({
        "a": _answers({"pools": [{"name": "a-host@lvm#lvm"}]}),
        "b": _answers({"pools": [{"name": "b-host@lvm#lvm"}]}),
    })  # fmt: skip
    _, body = await _run(pods, "GET", "/scheduler-stats/get_pools", service=Service.VOLUME)
    assert body == {"pools": [{"name": "a-host@lvm#lvm"}, {"name": "b-host@lvm#lvm"}]}


async def test_hypervisor_statistics_are_plain_sums_where_minus_one_is_a_number() -> None:
    def stats(count: int, least: int) -> Script:
        numbers = {"count": count, "vcpus": 8 * count, "disk_available_least": least}
        return _answers({"hypervisor_statistics": numbers})

    pods = FakeSend({"a": stats(1, -1), "b": stats(2, 40)})
    _, body = await _run(pods, "GET", "/os-hypervisors/statistics")
    assert body == {"hypervisor_statistics": {"count": 3, "vcpus": 24, "disk_available_least": 39}}


@pytest.mark.parametrize(
    ("zone", "chosen", "pod_zone"), [("zone-b", "b", "inner-b"), ("new-zone", "a", "new-zone")]
)
async def test_an_aggregate_is_made_in_its_zones_pod_else_the_oldest(
    zone: str, chosen: str, pod_zone: str
) -> None:
    def created(method: str, path: str, body: dict) -> PodResponse:
        return json_response(200, {"aggregate": {"id": 1, **body["aggregate"]}})

    pods = FakeSend({"a": created, "b": created})
    aggregate = {"aggregate": {"name": "ag", "availability_zone": zone}}
    _, body = await _run(pods, "POST", "/os-aggregates", aggregate)
    slot = 0 if chosen == "a" else 1
    assert body == {"aggregate": {"id": STRIDE + slot, "name": "ag", "availability_zone": zone}}
    ((asked, _, _, sent),) = pods.calls
    assert (asked, sent["aggregate"]["availability_zone"]) == (chosen, pod_zone)


async def test_quota_classes_are_read_from_the_oldest_pod_and_written_to_every_one() -> None:
    classes = {"quota_class_set": {"id": "default", "cores": 20}}
    pods = FakeSend({"a": _answers(classes), "b": _answers(classes)})
    assert await _run(pods, "GET", "/os-quota-class-sets/default") == (200, classes)
    assert [call[0] for call in pods.calls] == ["a"]
    body = {"quota_class_set": {"cores": 20}}
    assert await _run(pods, "PUT", "/os-quota-class-sets/default", body) == (200, classes)
    assert sorted(call[0] for call in pods.calls[1:]) == ["a", "b"]


async def test_usage_is_summed_per_project_across_pods() -> None:
    def usage(hours: float, servers: list) -> Script:
        entry = {"tenant_id": "p2", "total_hours": hours, "server_usages": servers,
                 "start": "s", "stop": "t"}  # fmt: skip
        return _answers({"tenant_usages": [entry]})

    pods = FakeSend({"a": usage(1.5, [{"name": "vm1"}]), "b": usage(2.0, [{"name": "vm2"}])})
    _, body = await _run(pods, "GET", "/os-simple-tenant-usage", query="detailed=1")
    servers = [{"name": "vm1"}, {"name": "vm2"}]
    summed = {"tenant_id": "p2", "total_hours": 3.5, "start": "s", "stop": "t"}
    assert body == {"tenant_usages": [{**summed, "server_usages": servers}]}


async def test_one_projects_usage_with_none_in_a_pod_is_the_others() -> None:
    used = {"tenant_usage": {"tenant_id": "p1", "total_hours": 2.0}}
    pods = FakeSend({"a": _answers({"tenant_usage": {}}), "b": _answers(used)})
    assert await _run(pods, "GET", "/os-simple-tenant-usage/p1") == (200, used)


async def test_audit_logs_sum_their_counts_and_restate_the_status() -> None:
    def log(done: int) -> Script:
        return _answers({"instance_usage_audit_logs": {
            "num_hosts": 1, "num_hosts_done": done, "total_errors": 0, "hosts_not_run": [],
            "overall_status": "ALL hosts done. 0 errors."}})  # fmt: skip

    pods = FakeSend({"a": log(1), "b": log(0)})
    _, body = await _run(pods, "GET", "/os-instance_usage_audit_log")
    logs = body["instance_usage_audit_logs"]
    assert (logs["num_hosts"], logs["overall_status"]) == (2, "1 of 2 hosts done. 0 errors.")


def _caller(admin: bool) -> Caller:
    return Caller("u", "p1", frozenset({"member"}), admin, datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("service", "remainder", "method"),
    [
        (Service.COMPUTE, "/os-services", "GET"),
        (Service.COMPUTE, "/os-hypervisors/1000", "GET"),
        (Service.COMPUTE, "/os-aggregates", "POST"),
        (Service.COMPUTE, "/os-availability-zone/detail", "GET"),
        (Service.COMPUTE, "/os-simple-tenant-usage/p2", "GET"),
        (Service.VOLUME, "/scheduler-stats/get_pools", "GET"),
        (Service.VOLUME, "/os-services/freeze", "PUT"),
    ],
)
def test_the_pods_machinery_is_refused_to_non_admins(
    service: Service, remainder: str, method: str
) -> None:
    op = Operation(Kind.VIEWS, service, "p1", remainder)
    with pytest.raises(Forbidden, match=r"^Policy doesn't allow .* to be performed\.$"):
        admin_only(op, method, _caller(admin=False))
    admin_only(op, method, _caller(admin=True))
    admin_only(op, method, None)  # noauth: the pods judge


@pytest.mark.parametrize(
    ("service", "remainder"),
    [
        (Service.COMPUTE, "/os-availability-zone"),
        (Service.COMPUTE, "/os-simple-tenant-usage/p1"),
        (Service.COMPUTE, "/limits"),
        (Service.VOLUME, "/extensions"),
    ],
)
def test_what_members_may_see_stays_open(service: Service, remainder: str) -> None:
    admin_only(Operation(Kind.VIEWS, service, "p1", remainder), "GET", _caller(admin=False))


def _hypervisors(host: str) -> Script:
    return _answers({"hypervisors": [{"id": 1, "hypervisor_hostname": host}]})


async def test_hypervisors_are_paged_across_pods_with_gateway_ids_as_markers() -> None:
    pods = FakeSend({"a": _hypervisors("a-host"), "b": _hypervisors("b-host")})
    headers = {"x-openstack-nova-api-version": "2.33"}
    fanout = Fanout(send=pods, timeout_s=1)
    views = ViewRelay(fanout=fanout, quotas=QuotaRelay(fanout=fanout, store=MemoryStore()))

    async def page(query: str) -> tuple[int, dict]:
        call = AcrossPodsCall(
            "req-1", Service.COMPUTE, "GET", "p1", "/os-hypervisors", query, headers, "http://gw"
        )
        answer = await views.answer(call, _registered(["a", "b"]))
        return answer.status, json.loads(answer.body)

    status, first = await page("limit=1")
    assert first == {
        "hypervisors": [{"id": STRIDE, "hypervisor_hostname": "a-host"}],
        "hypervisors_links": [
            {"rel": "next", "href": f"http://gw/v2.1/p1/os-hypervisors?limit=1&marker={STRIDE}"}
        ],
    }
    assert {url.partition("?")[2] for url in pods.headers} == {""}
    _, second = await page(f"limit=1&marker={STRIDE}")
    assert [h["hypervisor_hostname"] for h in second["hypervisors"]] == ["b-host"]
    status, refused = await page("marker=77")
    assert (status, refused["badRequest"]["message"]) == (400, "Marker 77 could not be found.")


async def test_migrations_are_listed_newest_first_across_pods() -> None:
    def migrations(*made: tuple[str, str]) -> Script:
        return _answers({"migrations": [{"uuid": u, "created_at": at} for u, at in made]})

    pods = FakeSend({"a": migrations(("m1", "2026-01-01")), "b": migrations(("m2", "2026-02-01"))})
    fanout = Fanout(send=pods, timeout_s=1)
    views = ViewRelay(fanout=fanout, quotas=QuotaRelay(fanout=fanout, store=MemoryStore()))
    headers = {"x-openstack-nova-api-version": "2.59"}
    call = AcrossPodsCall(
        "req-1", Service.COMPUTE, "GET", "p1", "/os-migrations", "limit=5", headers, "http://gw"
    )
    answer = await views.answer(call, _registered(["a", "b"]))
    assert [m["uuid"] for m in json.loads(answer.body)["migrations"]] == ["m2", "m1"]


async def test_a_migrations_links_point_at_the_gateway() -> None:
    href = "http://a.pod/compute/v2.1/p1/servers/s1/migrations/7"
    migration = {"id": 7, "uuid": "m1", "links": [{"rel": "self", "href": href}]}
    pods = FakeSend({"a": _answers({"migrations": [migration]})})
    _, body = await _run(pods, "GET", "/os-migrations")
    assert body["migrations"][0]["links"] == [
        {"rel": "self", "href": "http://gw/v2.1/p1/servers/s1/migrations/7"}
    ]


def _usage_pod(servers: dict[str, list[str]]) -> Callable[..., Awaitable[PodResponse]]:
    """Pods (by host) paging their servers as Nova does: `limit`, `marker` (400 if unknown)."""
    asked: list[str] = []

    async def send(method: str, url: str, headers: Mapping[str, str], body: bytes) -> PodResponse:
        parts = urlsplit(url)
        pod_name, query = parts.netloc.removesuffix(".pod"), dict(parse_qsl(parts.query))
        asked.append(f"{pod_name}?{parts.query}")
        mine = servers[pod_name]
        start = 0
        if "marker" in query:
            if query["marker"] not in mine:
                return json_response(400, {"badRequest": {"message": "Marker", "code": 400}})
            start = mine.index(query["marker"]) + 1
        page = mine[start : start + int(query["limit"])]
        usages = [{"instance_id": s, "hours": 1.0} for s in page]
        entry = {"tenant_id": "p1", "total_hours": float(len(page)), "server_usages": usages}
        return json_response(200, {"tenant_usages": [entry] if page else []})

    send.asked = asked  # type: ignore[attr-defined]
    return send


async def test_usage_is_paged_across_pods_as_nova_pages_across_cells() -> None:
    send = _usage_pod({"a": ["s1", "s2"], "b": ["s3"]})
    fanout = Fanout(send=send, timeout_s=1)
    views = ViewRelay(fanout=fanout, quotas=QuotaRelay(fanout=fanout, store=MemoryStore()))
    headers = {"x-openstack-nova-api-version": "2.40"}

    async def page(query: str) -> tuple[int, dict]:
        call = AcrossPodsCall(
            "req-1", Service.COMPUTE, "GET", "p1", "/os-simple-tenant-usage", query, headers,
            "http://gw",
        )  # fmt: skip
        answer = await views.answer(call, _registered(["a", "b"]))
        return answer.status, json.loads(answer.body)

    _, first = await page("limit=2")
    assert first == {
        "tenant_usages": [{"tenant_id": "p1", "total_hours": 2.0}],
        "tenant_usages_links": [
            {"rel": "next", "href": "http://gw/v2.1/p1/os-simple-tenant-usage?limit=2&marker=s2"}
        ],
    }
    _, second = await page("detailed=1&limit=2&marker=s2")
    assert [s["instance_id"] for s in second["tenant_usages"][0]["server_usages"]] == ["s3"]
    assert "tenant_usages_links" not in second
    assert send.asked[-2:] == ["a?detailed=1&limit=2&marker=s2", "b?detailed=1&limit=2"]
    status, _ = await page("limit=2&marker=nowhere")
    assert status == 400


async def test_an_aggregates_zone_set_by_metadata_is_the_pods_own_name_for_it() -> None:
    def updated(method: str, path: str, body: dict) -> PodResponse:
        zone = body["set_metadata"]["metadata"]["availability_zone"]
        return json_response(200, {"aggregate": {"id": 3, "availability_zone": zone}})

    pods = FakeSend({"a": updated, "b": updated})
    metadata = {"set_metadata": {"metadata": {"availability_zone": "zone-b"}}}
    _, body = await _run(pods, "POST", f"/os-aggregates/{3 * STRIDE + 1}/action", metadata)
    ((asked, _, path, sent),) = pods.calls
    assert (asked, path) == ("b", "/compute/v2.1/p1/os-aggregates/3/action")
    assert sent["set_metadata"]["metadata"]["availability_zone"] == "inner-b"
    assert body == {"aggregate": {"id": 3 * STRIDE + 1, "availability_zone": "zone-b"}}
