"""Per-project fairness: each project's decisions in flight are capped; others are unaffected."""

import json

from control_plane.decision.extproc import DecisionService
from control_plane.decision.fairness import ProjectSlots
from control_plane.identity import Gate
from control_plane.settings import DecisionSettings
from tests.unit.decision.extproc_harness import Gateway, Stream, request_headers, set_headers
from tests.unit.decision.fake_pods import pod
from tests.unit.decision.fakes import FakeGate


def test_a_project_at_its_cap_gets_no_slot_until_one_is_given_back() -> None:
    slots = ProjectSlots(2)
    assert slots.take("p1") and slots.take("p1")
    assert not slots.take("p1")
    assert slots.take("p2")
    slots.give_back("p1")
    assert slots.in_flight("p1") == 1
    assert slots.take("p1")


def test_an_idle_project_is_forgotten() -> None:
    slots = ProjectSlots(1)
    slots.take("p1")
    slots.give_back("p1")
    assert slots.in_flight("p1") == 0 and slots.take("p1")


def _service(cap: int, gate: Gate | None = None) -> DecisionService:
    settings = DecisionSettings(max_in_flight_per_project=cap)
    return Gateway(pod("a", "az1", 1), gate=gate, settings=settings).service


async def _open_create(service: DecisionService, project: str) -> tuple[Stream, object]:
    stream = Stream(service, "compute")
    return stream, await stream.send(request_headers("POST", f"/v2.1/{project}/servers"))


async def test_past_its_cap_a_project_gets_a_429_over_limit_at_once() -> None:
    service = _service(cap=2)
    held = [await _open_create(service, "p1") for _ in range(2)]
    assert all(r.WhichOneof("response") == "request_headers" for _, r in held)
    _, refused = await _open_create(service, "p1")
    answer = refused.immediate_response
    assert answer.status.code == 429
    assert json.loads(answer.body) == {
        "overLimit": {"message": "This request was rate-limited.", "code": 429}
    }
    assert set_headers(answer.headers)["retry-after"] == "1"
    _, other = await _open_create(service, "p2")
    assert other.WhichOneof("response") == "request_headers"


async def test_a_finished_stream_gives_its_slot_back() -> None:
    service = _service(cap=1)
    stream, _ = await _open_create(service, "p1")
    await stream.close()
    _, again = await _open_create(service, "p1")
    assert again.WhichOneof("response") == "request_headers"


async def test_requests_naming_no_project_take_no_slot() -> None:
    service = _service(cap=1)
    for _ in range(2):  # both streams stay open
        answer = await Stream(service, "compute").send(request_headers("GET", "/"))
        assert answer.immediate_response.status.code == 200


async def test_requests_with_a_refused_token_take_none_of_the_projects_slots() -> None:
    service = _service(cap=1, gate=FakeGate())
    for _ in range(3):  # strangers naming p1 in their path, streams left open
        stream = Stream(service, "compute")
        answer = await stream.send(
            request_headers("POST", "/v2.1/p1/servers", extra={"x-auth-token": "garbage"})
        )
        assert answer.immediate_response.status.code == 401
    own = await Stream(service, "compute").send(
        request_headers("POST", "/v2.1/p1/servers", extra={"x-auth-token": "p1-token"})
    )
    assert own.WhichOneof("response") == "request_headers"
