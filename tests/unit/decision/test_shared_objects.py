"""SharedObjects over scripted pods: merged reads, writes to all, undo, generated key pairs."""

import json

import pytest

from control_plane.decision.pods.client import PodResponse
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.shared.relay import SharedObjects
from control_plane.model import PodState, Service
from tests.unit.decision.fake_pods import FakeSend, Script, json_response, pod
from tests.unit.decision.fakes import MemoryStore


async def _run(
    pods: FakeSend,
    method: str,
    remainder: str,
    body: object = None,
    service=Service.COMPUTE,
    store: MemoryStore | None = None,
    query: str = "",
):
    shared = SharedObjects(fanout=Fanout(send=pods, timeout_s=1), store=store or MemoryStore())
    call = AcrossPodsCall(
        request_id="req-1",
        service=service,
        method=method,
        project_id="p1",
        remainder=remainder,
        query=query,
        headers={"x-auth-token": "tok", ":path": "/x", "host": "gw"},
        origin="https://gw:8774",
        body=b"" if body is None else json.dumps(body).encode(),
    )
    registered = {name: pod(name) for name in pods.scripts}
    registered["off"] = pod("off", state=PodState.DISABLED)
    answer = await shared.answer(call, registered)
    await shared.settle()
    return answer


def _flavor(flavor_id: str, pod: str) -> dict:
    href = f"http://{pod}.pod/compute/v2.1/p1/flavors/{flavor_id}"
    bookmark = f"http://{pod}.pod/compute/p1/flavors/{flavor_id}"
    return {
        "id": flavor_id,
        "name": f"f{flavor_id}@{pod}",
        "links": [{"rel": "self", "href": href}, {"rel": "bookmark", "href": bookmark}],
    }


async def test_lists_merge_pods_once_per_id_with_gateway_links() -> None:
    pods = FakeSend(
        {
            "a": lambda m, p, b: json_response(
                200, {"flavors": [_flavor("1", "a"), _flavor("2", "a")]}
            ),
            "b": lambda m, p, b: json_response(
                200, {"flavors": [_flavor("2", "b"), _flavor("9", "b")]}
            ),
            "c": None,
        }
    )
    answer = await _run(pods, "GET", "/flavors/detail")
    flavors = json.loads(answer.body)["flavors"]
    assert answer.status == 200
    assert [f["name"] for f in flavors] == ["f1@a", "f2@a", "f9@b"]
    assert {link["href"] for link in flavors[2]["links"]} == {"https://gw:8774/v2.1/p1/flavors/9"}
    assert {call[0] for call in pods.calls} == {"a", "b", "c"}  # never the disabled pod


async def test_keypairs_are_one_per_name() -> None:
    def keys(*names: str) -> Script:
        return lambda m, p, b: json_response(
            200, {"keypairs": [{"keypair": {"name": n}} for n in names]}
        )

    pods = FakeSend({"a": keys("k1"), "b": keys("k1", "k2")})
    answer = await _run(pods, "GET", "/os-keypairs")
    assert json.loads(answer.body) == {
        "keypairs": [{"keypair": {"name": "k1"}}, {"keypair": {"name": "k2"}}]
    }


async def test_a_single_object_comes_from_the_first_pod_having_it() -> None:
    missing = json_response(
        404, {"itemNotFound": {"message": "Flavor 9 could not be found.", "code": 404}}
    )
    pods = FakeSend(
        {
            "a": lambda m, p, b: missing,
            "b": lambda m, p, b: json_response(200, {"flavor": _flavor("9", "b")}),
        }
    )
    found = await _run(pods, "GET", "/flavors/9")
    pods_missing = FakeSend({"a": lambda m, p, b: missing, "b": lambda m, p, b: missing})
    not_found = await _run(pods_missing, "GET", "/flavors/9")
    assert json.loads(found.body)["flavor"]["name"] == "f9@b"
    assert (not_found.status, json.loads(not_found.body)) == (404, json.loads(missing.body))


async def test_writes_reach_every_enabled_pod_with_the_body_and_token_unchanged() -> None:
    pods = FakeSend(
        {name: lambda m, p, b: json_response(200, {"flavor": b["flavor"]}) for name in "ab"}
    )
    flavor = {"flavor": {"name": "big", "ram": 1, "vcpus": 1, "disk": 1, "id": "f-big"}}
    answer = await _run(pods, "POST", "/flavors", flavor)
    assert (answer.status, json.loads(answer.body)) == (200, flavor)
    assert sorted(pods.calls) == [
        ("a", "POST", "/compute/v2.1/p1/flavors", flavor),
        ("b", "POST", "/compute/v2.1/p1/flavors", flavor),
    ]


async def test_a_refused_create_is_undone_where_it_succeeded_and_names_the_zone() -> None:
    conflict = {
        "conflictingRequest": {"message": "Flavor with name big already exists.", "code": 409}
    }
    pods = FakeSend(
        {
            "a": lambda m, p, b: (
                json_response(200, {"flavor": {"id": "f-new"}})
                if m == "POST"
                else json_response(202, {})
            ),
            "b": lambda m, p, b: json_response(409, conflict),
        }
    )
    answer = await _run(pods, "POST", "/flavors", {"flavor": {"name": "big"}})
    assert answer.status == 409
    assert json.loads(answer.body) == {
        "conflictingRequest": {
            "message": "Availability zone az: Flavor with name big already exists.",
            "code": 409,
        }
    }
    assert ("a", "DELETE", "/compute/v2.1/p1/flavors/f-new", {}) in pods.calls


async def test_an_unreachable_pod_refuses_with_503_naming_its_zone() -> None:
    pods = FakeSend(
        {"a": lambda m, p, b: json_response(200, {"volume_type": {"id": "t1"}}), "b": None}
    )
    answer = await _run(pods, "POST", "/types", {"volume_type": {"name": "x"}}, Service.VOLUME)
    assert answer.status == 503
    assert json.loads(answer.body)["serviceUnavailable"]["message"] == (
        "Availability zone az is not available now."
    )
    assert ("a", "DELETE", "/volume/v3/p1/types/t1", {}) in pods.calls


async def test_a_generated_key_pair_is_made_by_the_first_pod_and_copied_to_the_others() -> None:
    def first(method: str, path: str, body: dict) -> PodResponse:
        return json_response(
            200, {"keypair": {"name": "k", "public_key": "ssh-rsa GEN", "private_key": "P"}}
        )

    pods = FakeSend(
        {"a": first, "b": lambda m, p, b: json_response(200, {"keypair": b["keypair"]})}
    )
    answer = await _run(pods, "POST", "/os-keypairs", {"keypair": {"name": "k"}})
    assert json.loads(answer.body)["keypair"]["private_key"] == "P"
    assert pods.calls == [
        ("a", "POST", "/compute/v2.1/p1/os-keypairs", {"keypair": {"name": "k"}}),
        (
            "b",
            "POST",
            "/compute/v2.1/p1/os-keypairs",
            {"keypair": {"name": "k", "public_key": "ssh-rsa GEN"}},
        ),
    ]


@pytest.mark.parametrize(
    ("statuses", "expected"), [((202, 404), 202), ((404, 404), 404), ((202, 403), 403)]
)
async def test_a_delete_is_done_where_the_object_is_missing(statuses, expected) -> None:
    def answering(status: int) -> Script:
        fault = {"itemNotFound": {"message": "gone", "code": status}}
        return lambda m, p, b: (
            json_response(status, fault) if status >= 400 else PodResponse(status, b"")
        )

    pods = FakeSend({"a": answering(statuses[0]), "b": answering(statuses[1])})
    answer = await _run(pods, "DELETE", "/os-keypairs/k")
    assert answer.status == expected


async def test_a_volume_type_write_addresses_each_pods_own_id_for_the_name() -> None:
    def types(own_id: str) -> Script:
        def answer(method: str, path: str, body: dict) -> PodResponse:
            if method == "GET":
                return json_response(200, {"volume_types": [{"id": own_id, "name": "gold"}]})
            return PodResponse(202, b"")

        return answer

    pods = FakeSend({"a": types("id-a"), "b": types("id-b")})
    answer = await _run(pods, "DELETE", "/types/id-b/extra_specs/k", service=Service.VOLUME)
    assert answer.status == 202
    deletes = sorted(call[2] for call in pods.calls if call[1] == "DELETE")
    assert deletes == [
        "/volume/v3/p1/types/id-a/extra_specs/k",
        "/volume/v3/p1/types/id-b/extra_specs/k",
    ]


async def test_the_rounds_of_one_write_share_one_time_bound_and_late_pods_are_undone() -> None:
    def generated(method: str, path: str, body: dict) -> PodResponse:
        if method == "DELETE":
            return PodResponse(202, b"")
        return json_response(200, {"keypair": {"name": "k", "public_key": "ssh-rsa GEN"}})

    # Each pod alone answers within the 1 s bound, but the copy starts 0.6 s into it.
    pods = FakeSend({"a": generated, "b": generated}, delays={"a": 0.6, "b": 0.6})
    answer = await _run(pods, "POST", "/os-keypairs", {"keypair": {"name": "k"}})
    assert answer.status == 503
    assert json.loads(answer.body)["serviceUnavailable"]["message"] == (
        "Availability zone az is not available now."
    )
    assert ("a", "DELETE", "/compute/v2.1/p1/os-keypairs/k", {}) in pods.calls
