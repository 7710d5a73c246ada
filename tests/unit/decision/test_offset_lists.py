"""Nova's offset-paged lists (OffsetLists) and the one-pod answers (AnyPod) over scripted pods."""

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.decide import admit
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.shared.any_pod import AnyPod
from control_plane.decision.shared.offset_lists import OffsetLists
from control_plane.decision.shared.offset_paging import offset_paging
from control_plane.decision.shared.paging import MAX_LIMIT
from control_plane.identity import Caller
from control_plane.model import PodState, Service
from tests.unit.decision.fake_pods import FakeSend, Script, json_response, pod

_EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)


def _call(
    remainder: str, query: str = "", method: str = "GET", body: bytes = b""
) -> AcrossPodsCall:
    return AcrossPodsCall(
        request_id="req-1",
        service=Service.COMPUTE,
        method=method,
        project_id="p1",
        remainder=remainder,
        query=query,
        headers={"x-auth-token": "tok"},
        origin="https://gw:8774",
        body=body,
    )


def _volumes(*made: tuple[str, str], zone: str = "inner") -> Script:
    """A pod listing volumes (id, createdAt) in its own zone, in Cinder's order."""
    items = [{"id": i, "createdAt": at, "availabilityZone": zone} for i, at in made]
    return lambda m, p, b: json_response(200, {"volumes": items})


def _pods(send: FakeSend, **states: PodState) -> dict:
    """The scripted pods, each in its own zone, ENABLED unless `states` says otherwise."""
    return {
        name: pod(name, az=f"az-{name}", state=states.get(name, PodState.ENABLED))
        for name in send.scripts
    }


async def _list(send: FakeSend, query: str, remainder: str = "/os-volumes/detail", **states):
    lists = OffsetLists(fanout=Fanout(send=send, timeout_s=1))
    return await lists.answer(_call(remainder, query), _pods(send, **states))


async def test_volumes_of_every_pod_are_merged_newest_first_then_cut_by_offset_and_limit() -> None:
    send = FakeSend(
        {
            "a": _volumes(("a2", "2026-01-01T00:00:03"), ("a1", "2026-01-01T00:00:01")),
            "b": _volumes(("b1", "2026-01-01T00:00:02"), zone="inner-b"),
        }
    )
    answer = await _list(send, "offset=1&limit=2&status=available")
    volumes = json.loads(answer.body)["volumes"]
    assert (answer.status, [v["id"] for v in volumes]) == (200, ["b1", "a1"])
    # Each pod's own zone name shown as users know it.
    assert [v["availabilityZone"] for v in volumes] == ["az-b", "inner"]
    queries = {urlsplit(url).query for url in send.headers}
    assert queries == {"status=available"}


async def test_a_draining_pod_is_listed_a_disabled_one_never_and_a_silent_one_is_missing() -> None:
    send = FakeSend(
        {
            "a": _volumes(("a1", "2026-01-01T00:00:01")),
            "b": _volumes(("b1", "2026-01-01T00:00:02")),
            "c": _volumes(("c1", "2026-01-01T00:00:03")),
            "d": None,
        }
    )
    answer = await _list(send, "", b=PodState.DRAINING, c=PodState.DISABLED)
    assert [v["id"] for v in json.loads(answer.body)["volumes"]] == ["b1", "a1"]
    assert answer.missing == ("d",)
    assert "c" not in {call[0] for call in send.calls}


async def test_server_groups_keep_each_pods_order_pod_after_pod() -> None:
    def groups(*ids: str) -> Script:
        items = [{"id": i, "name": i} for i in ids]
        return lambda m, p, b: json_response(200, {"server_groups": items})

    send = FakeSend({"b": groups("b2", "b1"), "a": groups("a9")})
    answer = await _list(send, "all_projects=True", "/os-server-groups")
    assert [g["id"] for g in json.loads(answer.body)["server_groups"]] == ["a9", "b2", "b1"]


async def test_nova_networks_of_every_pod_are_joined_each_once_and_never_paged() -> None:
    def networks(*ids: str) -> Script:
        items = [{"id": i, "cidr": "None", "label": i} for i in ids]
        return lambda m, p, b: json_response(200, {"networks": items})

    send = FakeSend({"a": networks("n1", "shared"), "b": networks("shared", "n2")})
    answer = await _list(send, "limit=1&offset=1", "/os-tenant-networks")
    listed = [n["id"] for n in json.loads(answer.body)["networks"]]
    assert (answer.status, listed) == (200, ["n1", "shared", "n2"])
    # Nova pages none of them: the pods get the query as sent.
    assert {urlsplit(url).query for url in send.headers} == {"limit=1&offset=1"}


async def test_every_projects_security_groups_are_cut_then_sorted_by_project_and_name() -> None:
    def groups(*rows: tuple[str, str, str]) -> Script:
        items = [{"id": i, "tenant_id": t, "name": n} for i, t, n in rows]
        return lambda m, p, b: json_response(200, {"security_groups": items})

    send = FakeSend(
        {
            "a": groups(("g1", "p2", "web"), ("g2", "p1", "default")),
            "b": groups(("g3", "p1", "db"), ("g4", "p3", "x")),
        }
    )
    answer = await _list(send, "all_tenants=true&limit=3", "/os-security-groups")
    listed = [g["id"] for g in json.loads(answer.body)["security_groups"]]
    assert listed == ["g3", "g2", "g1"]
    assert {urlsplit(url).query for url in send.headers} == {"all_tenants=true"}


async def test_a_limit_no_pod_accepts_is_refused_by_one_pod_in_its_words() -> None:
    refusal = {"badRequest": {"message": "limit param must be an integer", "code": 400}}
    send = FakeSend({"a": lambda m, p, b: json_response(400, refusal), "b": None})
    answer = await _list(send, "limit=x")
    assert (answer.status, json.loads(answer.body)) == (400, refusal)
    assert [call[0] for call in send.calls] == ["a"]


@pytest.mark.parametrize(
    ("query", "offset", "limit"),
    [("", 0, MAX_LIMIT), ("limit=0", 0, MAX_LIMIT), ("offset=3&limit=5000", 3, MAX_LIMIT)],
)
def test_nova_reads_limit_0_as_no_limit_and_caps_it(query: str, offset: int, limit: int) -> None:
    paging = offset_paging("os-volumes", query)
    assert paging is not None and (paging.offset, paging.limit) == (offset, limit)


@pytest.mark.parametrize("query", ["offset=-1", "limit=1.5", "limit=", "offset=a"])
def test_paging_that_is_no_whole_number_is_left_to_the_pods(query: str) -> None:
    assert offset_paging("os-volumes", query) is None


async def test_one_pod_answers_the_image_proxy_the_next_when_the_first_is_silent() -> None:
    self_link = "http://b.pod/compute/v2.1/p1/images/i1"
    alternate = "http://glance.example/images/i1"
    image = {
        "id": "i1",
        "links": [
            {"rel": "self", "href": self_link},
            {"rel": "alternate", "type": "application/vnd.openstack.image", "href": alternate},
        ],
    }
    send = FakeSend(
        {"a": None, "b": lambda m, p, b: json_response(200, {"image": image}), "c": None}
    )
    registered = {name: pod(name) for name in send.scripts}
    answer = await AnyPod(fanout=Fanout(send=send, timeout_s=1)).answer(
        _call("/images/i1"), registered
    )
    links = json.loads(answer.body)["image"]["links"]
    assert answer.status == 200
    assert [link["href"] for link in links] == ["https://gw:8774/v2.1/p1/images/i1", alternate]
    assert [call[0] for call in send.calls] == ["a", "b"]


async def test_a_write_through_the_image_proxy_reaches_one_pod_only() -> None:
    send = FakeSend(
        {
            "a": lambda m, p, b: json_response(200, {"meta": b["meta"]}),
            "b": lambda m, p, b: json_response(200, {"meta": b["meta"]}),
        }
    )
    registered = {name: pod(name) for name in send.scripts}
    body = json.dumps({"meta": {"k": "v"}}).encode()
    call = _call("/images/i1/metadata/k", method="PUT", body=body)
    answer = await AnyPod(fanout=Fanout(send=send, timeout_s=1)).answer(call, registered)
    assert (answer.status, json.loads(answer.body)) == (200, {"meta": {"k": "v"}})
    assert [(c[0], c[1]) for c in send.calls] == [("a", "PUT")]


@pytest.mark.parametrize(
    ("caller", "query"),
    [
        (None, "limit=1"),
        (Caller("u1", "p1", frozenset({"member"}), False, _EXPIRES), "limit=1"),
        (Caller("u1", "p1", frozenset({"admin"}), True, _EXPIRES), "all_projects=True&limit=1"),
    ],
    ids=["noauth", "member", "admin"],
)
def test_every_projects_server_groups_are_an_admins_the_parameter_dropped_for_others(
    caller: Caller | None, query: str
) -> None:
    op = classify(Service.COMPUTE, "GET", "/v2.1/p1/os-server-groups?all_projects=True&limit=1")
    assert admit(op, caller).query == query
