"""Lister over in-memory pods: what each pod is asked, merge order, markers, failures, learning."""

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from control_plane.errors import BadRequest, NotFound, PodUnavailable
from control_plane.model import Pod, PodState, ResourceType, Routing
from tests.unit.decision.extproc_harness import ListGateway
from tests.unit.decision.fake_pods import FakePod

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROJECT = "p1"


def _pods(**servers: list[int]) -> list[FakePod]:
    """Pods with servers `<pod>-<n>` created at T0 + n seconds, named `vm<n>`."""
    fakes = []
    for name, numbers in servers.items():
        fake = FakePod(name=name, az=f"nova-{name}")
        for n in numbers:
            at = T0 + timedelta(seconds=n)
            fake.add("servers", PROJECT, f"{name}-{n:02d}", f"vm{n:02d}", at)
            fake.add("volumes", PROJECT, f"{name}-v{n:02d}", f"vol{n:02d}", at)
        fakes.append(fake)
    return fakes


def _query(call: tuple[str, dict]) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call[0]).query))


@pytest.fixture
def three() -> ListGateway:
    return ListGateway(*_pods(a=[1, 4, 7], b=[2, 5, 8], c=[3, 6, 9]))


async def test_first_page_merges_newest_first_across_pods(three: ListGateway) -> None:
    answer = await three.get("/v2.1/p1/servers/detail?limit=4")
    assert answer.status == 200 and answer.missing == ()
    assert answer.ids("servers") == ["c-09", "b-08", "a-07", "c-06"]
    assert answer.next_path("servers") == "/v2.1/p1/servers/detail?limit=4&marker=c-06"


async def test_every_pod_is_asked_for_limit_plus_one_of_its_detail_list(three: ListGateway) -> None:
    await three.get("/v2.1/p1/servers?limit=4&name=vm&sort_key=display_name")
    for fake in three.fakes.values():
        [(path, _)] = fake.calls
        assert urlsplit(path).path == "/compute/v2.1/p1/servers/detail"
        assert _query(fake.calls[0]) == {"name": "vm", "sort_key": "display_name", "limit": "5"}


async def test_caller_headers_pass_but_gateway_headers_stay(three: ListGateway) -> None:
    await three.get("/v2.1/p1/servers/detail")
    _, headers = three.fakes["a"].calls[0]
    assert headers == {"x-auth-token": "tok", "openstack-api-version": "compute 2.79"}


async def test_pods_are_asked_concurrently() -> None:
    fakes = _pods(a=[1], b=[2], c=[3])
    for fake in fakes:
        fake.delay = 0.2
    harness = ListGateway(*fakes)
    answer = await harness.get("/v2.1/p1/servers/detail")
    assert answer.ids("servers") == ["c-03", "b-02", "a-01"]
    assert harness.fetch.most_in_flight == 3  # all three at once (a clock would vary with load)


async def test_brief_list_shows_id_name_and_gateway_links(three: ListGateway) -> None:
    answer = await three.get("/v3/p1/volumes?limit=1")
    assert answer.body["volumes"] == [
        {
            "id": "c-v09",
            "name": "vol09",
            "links": [
                {"rel": "self", "href": "http://gw:19998/v3/p1/volumes/c-v09"},
                {"rel": "bookmark", "href": "http://gw:19998/p1/volumes/c-v09"},
            ],
        }
    ]
    assert answer.next_path("volumes") == "/v3/p1/volumes?limit=1&marker=c-v09"


async def test_detail_list_rewrites_each_pods_az(three: ListGateway) -> None:
    answer = await three.get("/v2.1/p1/servers/detail?limit=3")
    zones = [s["OS-EXT-AZ:availability_zone"] for s in answer.body["servers"]]
    assert zones == ["az-c", "az-b", "az-a"]


async def test_az_sort_uses_the_user_facing_names() -> None:
    fakes = [FakePod(name="a", az="nova-z"), FakePod(name="b", az="nova-a")]
    for n, fake in enumerate(fakes * 2):
        fake.add("servers", PROJECT, f"{fake.name}-{n}", "vm", T0 + timedelta(seconds=n))
    harness = ListGateway(*fakes, azs={"a": "az-1", "b": "az-2"})
    answer = await harness.get("/v2.1/p1/servers/detail?sort_key=availability_zone&sort_dir=asc")
    assert answer.ids("servers") == ["a-0", "a-2", "b-1", "b-3"]
    zones = [s["OS-EXT-AZ:availability_zone"] for s in answer.body["servers"]]
    assert zones == ["az-1", "az-1", "az-2", "az-2"]


async def test_az_filter_asks_only_that_azs_pods_with_their_own_az_name() -> None:
    fakes = _pods(a=[1, 3], b=[2], c=[4])
    harness = ListGateway(*fakes, azs={"a": "az1", "b": "az1", "c": "az2"})
    answer = await harness.get("/v3/p1/volumes/detail?availability_zone=az1&sort=name:asc")
    assert answer.ids("volumes") == ["a-v01", "b-v02", "a-v03"]
    assert {v["availability_zone"] for v in answer.body["volumes"]} == {"az1"}
    assert _query(harness.fakes["a"].calls[0])["availability_zone"] == "nova-a"
    assert _query(harness.fakes["b"].calls[0])["availability_zone"] == "nova-b"
    assert harness.fakes["c"].calls == []


async def test_az_filter_is_dropped_for_a_pod_without_an_inner_az_name() -> None:
    [fake] = _pods(a=[1])
    pod = Pod(name="a", az_name="az1", pod_az_name="", endpoints=fake.endpoints)
    harness = ListGateway(fake, pods={"a": pod})
    answer = await harness.get("/v2.1/p1/servers/detail?availability_zone=az1")
    assert answer.ids("servers") == ["a-01"]
    assert "availability_zone" not in _query(fake.calls[0])


async def test_unknown_az_or_no_pods_is_an_empty_list() -> None:
    harness = ListGateway(*_pods(a=[1]))
    answer = await harness.get("/v2.1/p1/servers/detail?availability_zone=nowhere")
    assert (answer.status, answer.body) == (200, {"servers": []})
    assert harness.fakes["a"].calls == []
    assert (await ListGateway().get("/v3/p1/volumes")).body == {"volumes": []}


async def test_disabled_pods_are_not_asked() -> None:
    fakes = _pods(a=[1], b=[2])
    harness = ListGateway(*fakes)
    harness.pods["b"] = fakes[1].pod("az-b", state=PodState.DISABLED)
    assert (await harness.get("/v2.1/p1/servers")).ids("servers") == ["a-01"]
    assert harness.fakes["b"].calls == []


async def test_limit_zero_is_an_empty_list_without_asking_pods(three: ListGateway) -> None:
    answer = await three.get("/v2.1/p1/servers?limit=0")
    assert answer.body == {"servers": []}
    assert all(not fake.calls for fake in three.fakes.values())


@pytest.mark.parametrize("limit", ["x", "-2"])
async def test_bad_limit_is_a_bad_request(three: ListGateway, limit: str) -> None:
    with pytest.raises(BadRequest, match="limit param must be"):
        await three.get(f"/v2.1/p1/servers?limit={limit}")


async def test_a_pods_4xx_is_the_answer_unchanged(three: ListGateway) -> None:
    answer = await three.get("/v2.1/p1/servers/detail?sort_key=name")
    assert answer.status == 400
    assert "Invalid input for query parameters sort_key" in answer.body["badRequest"]["message"]


async def test_second_page_resumes_each_pod_with_its_own_marker(three: ListGateway) -> None:
    first = await three.get("/v2.1/p1/servers/detail?limit=4")
    second = await three.get(first.next_path("servers"))
    assert second.ids("servers") == ["b-05", "a-04", "c-03", "b-02"]
    assert _query(three.fakes["a"].calls[1])["marker"] == "a-07"
    assert _query(three.fakes["b"].calls[1])["marker"] == "b-08"
    assert _query(three.fakes["c"].calls[1])["marker"] == "c-06"
    third = await three.get(second.next_path("servers"))
    assert (third.ids("servers"), third.next_path("servers")) == (["a-01"], None)


async def test_an_exhausted_pod_is_not_asked_again() -> None:
    harness = ListGateway(*_pods(a=[1], b=[2, 3, 4, 5]))
    first = await harness.get("/v2.1/p1/servers/detail?limit=4")
    assert first.ids("servers") == ["b-05", "b-04", "b-03", "b-02"]
    second = await harness.get(first.next_path("servers"))
    assert (second.ids("servers"), second.next_path("servers")) == (["a-01"], None)
    assert len(harness.fakes["b"].calls) == 1
    assert "marker" not in _query(harness.fakes["a"].calls[1])  # nothing of a was shown yet


async def test_unknown_marker_is_nova_s_bad_request_and_cinder_s_not_found(
    three: ListGateway,
) -> None:
    with pytest.raises(BadRequest, match=r"^marker \[nope\] not found$"):
        await three.get("/v2.1/p1/servers/detail?marker=nope")
    with pytest.raises(NotFound, match=r"^Volume nope could not be found\.$"):
        await three.get("/v3/p1/volumes?marker=nope")
    with pytest.raises(NotFound, match=r"^Snapshot nope could not be found\.$"):
        await three.get("/v3/p1/snapshots?marker=nope")


async def test_another_projects_marker_is_not_found(three: ListGateway) -> None:
    await three.store.put_routing(Routing("b-05", ResourceType.SERVER, "p2", "b"))
    with pytest.raises(BadRequest, match="not found"):
        await three.get("/v2.1/p1/servers/detail?marker=b-05")


async def test_marker_deleted_from_its_pod_is_not_found(three: ListGateway) -> None:
    await three.store.put_routing(Routing("b-99", ResourceType.SERVER, PROJECT, "b"))
    with pytest.raises(BadRequest, match=r"marker \[b-99\] not found"):
        await three.get("/v2.1/p1/servers/detail?marker=b-99")


async def test_marker_the_gateway_never_emitted_resumes_every_pod(three: ListGateway) -> None:
    await three.get("/v2.1/p1/servers/detail")  # learns where every server lives
    answer = await three.get("/v2.1/p1/servers/detail?marker=b-05&limit=3")
    assert answer.ids("servers") == ["a-04", "c-03", "b-02"]
    assert _query(three.fakes["b"].calls[-1])["marker"] == "b-05"
    assert "marker" not in _query(three.fakes["a"].calls[-1])
    later = await three.get(answer.next_path("servers"))
    assert later.ids("servers") == ["a-01"]


async def test_marker_pod_down_is_a_503_naming_its_zone(three: ListGateway) -> None:
    await three.get("/v2.1/p1/servers/detail")
    three.fakes["b"].failure = "down"
    with pytest.raises(PodUnavailable, match=r"^Availability zone .* is not available now") as no:
        await three.get("/v2.1/p1/servers/detail?marker=b-05")
    assert no.value.detail.startswith("pod b "), no.value.detail
    assert " b " not in no.value.message


async def test_deep_marker_scan_doubles_its_pages() -> None:
    harness = ListGateway(*_pods(a=list(range(1, 41)), b=[5]))
    await harness.get("/v2.1/p1/servers/detail")  # learns where every server lives
    answer = await harness.get("/v2.1/p1/servers/detail?marker=b-05&limit=2")
    assert answer.ids("servers") == ["a-05", "a-04"]  # same second as b-05: the id decides
    scan = harness.fakes["a"].calls[1:]
    assert [int(_query(call)["limit"]) for call in scan] == [3, 6, 12, 24]
    assert [_query(call).get("marker") for call in scan] == [None, "a-38", "a-32", "a-20"]


async def test_a_deleted_local_marker_falls_back_to_the_sort_values(three: ListGateway) -> None:
    first = await three.get("/v2.1/p1/servers/detail?limit=4")
    del three.fakes["a"].records["servers"]["a-07"]
    second = await three.get(first.next_path("servers"))
    assert second.ids("servers") == ["b-05", "a-04", "c-03", "b-02"]


async def test_truncating_pod_gives_a_shorter_page_then_continues() -> None:
    fakes = _pods(a=[1, 2, 3, 4, 5, 6], b=[7, 8])
    fakes[0].max_limit = 2
    harness = ListGateway(*fakes)
    pages = await harness.walk(
        "/v2.1/p1/servers/detail?limit=5&sort_key=created_at&sort_dir=asc", "servers"
    )
    assert pages == [["a-01", "a-02"], ["a-03", "a-04"], ["a-05", "a-06"], ["b-07", "b-08"]]


async def test_failing_pod_is_named_and_others_answer() -> None:
    harness = ListGateway(*_pods(a=[1], b=[2], c=[3]))
    harness.fakes["b"].failure = "error"
    harness.fakes["c"].failure = "junk"
    answer = await harness.get("/v2.1/p1/servers/detail")
    assert (answer.status, answer.missing) == (200, ("b", "c"))
    assert answer.ids("servers") == ["a-01"]


async def test_slow_pod_misses_the_deadline_and_is_named() -> None:
    harness = ListGateway(*_pods(a=[1], b=[2]), timeout_s=0.1)
    harness.fakes["b"].delay = 30.0  # far beyond what the deadline takes on a loaded machine
    started = time.monotonic()
    answer = await harness.get("/v2.1/p1/servers/detail")
    assert time.monotonic() - started < 10.0
    assert (answer.ids("servers"), answer.missing) == (["a-01"], ("b",))


async def test_without_partial_lists_a_missing_pod_is_a_503() -> None:
    harness = ListGateway(*_pods(a=[1], b=[2]), partial=False)
    harness.fakes["a"].failure = "down"
    answer = await harness.get("/v2.1/p1/servers/detail")
    assert (answer.status, answer.missing) == (503, ("a",))
    assert answer.body == {
        "serviceUnavailable": {
            "message": "The list could not be read from availability zone az-a.",
            "code": 503,
        }
    }


async def test_every_pod_failing_is_a_503_naming_them() -> None:
    harness = ListGateway(*_pods(a=[1], b=[2]))
    harness.fakes["a"].failure = "down"
    harness.fakes["b"].failure = "error"
    answer = await harness.get("/v3/p1/volumes")
    assert answer.status == 503
    assert answer.body["serviceUnavailable"]["message"] == (
        "The list could not be read from availability zone az-a, az-b."
    )


async def test_pod_missing_on_one_page_is_scanned_after_the_marker_on_the_next() -> None:
    harness = ListGateway(*_pods(a=[1, 3, 5], b=[2, 4, 6]))
    harness.fakes["b"].failure = "down"
    first = await harness.get("/v2.1/p1/servers/detail?limit=1")
    assert (first.ids("servers"), first.missing) == (["a-05"], ("b",))
    harness.fakes["b"].failure = ""
    second = await harness.get(first.next_path("servers"))
    assert second.ids("servers") == ["b-04"]
    assert "marker" not in _query(harness.fakes["b"].calls[1])


async def test_listed_items_are_learnt_with_their_pod_and_owner(three: ListGateway) -> None:
    await three.get("/v2.1/p1/servers?limit=2")
    assert three.store.routings == {
        ("server", "c-09"): Routing("c-09", ResourceType.SERVER, PROJECT, "c"),
        ("server", "b-08"): Routing("b-08", ResourceType.SERVER, PROJECT, "b"),
    }
    await three.get("/v2.1/p1/servers?limit=2")
    assert three.store.learn_calls == 1  # known ids cost no second write


async def test_learning_failure_still_answers(three: ListGateway, caplog) -> None:
    three.store.fail_writes = True
    with caplog.at_level(logging.ERROR, logger="podgate.lists"):
        answer = await three.get("/v2.1/p1/servers?limit=2")
    assert answer.status == 200
    assert "could not be learnt" in caplog.text


async def test_one_log_line_per_list_without_query_or_token(three: ListGateway, caplog) -> None:
    three.fakes["c"].failure = "down"
    with caplog.at_level(logging.INFO, logger="podgate.lists"):
        await three.get("/v2.1/p1/servers?limit=2&tag=secret")
    [line] = [r for r in caplog.records if r.name == "podgate.lists" and r.levelname == "INFO"]
    assert line.getMessage() == "req-test list /v2.1/p1/servers -> 200"
    assert (line.pods, line.missing, line.items) == ("a,b,c", "c", 2)
    assert "secret" not in caplog.text and "tok" not in caplog.text


async def test_cancelled_list_leaves_no_task_behind(three: ListGateway) -> None:
    for fake in three.fakes.values():
        fake.delay = 5
    task = asyncio.create_task(three.get("/v2.1/p1/servers"))
    async with asyncio.timeout(5):
        while three.fetch.in_flight < 3:  # noqa: ASYNC110 (a counter, no event): all pods asked
            await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert three.fetch.in_flight == 0


def test_fake_pod_answers_like_podsim() -> None:
    [fake] = _pods(a=[1, 2])
    body = json.loads(fake.answer("/compute/v2.1/p1/servers/detail", "limit=1").body)
    assert [s["id"] for s in body["servers"]] == ["a-02"]
    assert body["servers_links"][0]["rel"] == "next"


async def test_a_full_last_page_links_on_and_the_next_one_is_empty(three: ListGateway) -> None:
    # Nova and Cinder link every full page, even when nothing follows (Tempest's pagination).
    answer = await three.get("/v3/p1/volumes/detail?limit=9")
    assert len(answer.ids("volumes")) == 9
    assert answer.next_path("volumes") == "/v3/p1/volumes/detail?limit=9&marker=a-v01"
    last = await three.get(answer.next_path("volumes"))
    assert last.ids("volumes") == [] and last.next_path("volumes") is None


async def test_a_short_page_has_no_next_link(three: ListGateway) -> None:
    answer = await three.get("/v2.1/p1/servers/detail?limit=10")
    assert len(answer.ids("servers")) == 9 and answer.next_path("servers") is None
