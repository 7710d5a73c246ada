"""ViewRelay over scripted pods: which pods are asked, combined answers, refusals naming a pod."""

import json

from control_plane.decision.pods.client import PodResponse
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.views.relay import ViewRelay
from control_plane.model import PodState, Service
from tests.unit.decision.fake_pods import FakeSend, Script, json_response, pod


def _limits(cores_used: int) -> Script:
    absolute = {"maxTotalCores": 20, "totalCoresUsed": cores_used}
    return lambda m, p, b: json_response(200, {"limits": {"rate": [], "absolute": absolute}})


async def _run(pods: FakeSend, method: str, remainder: str, body: object = None):
    views = ViewRelay(fanout=Fanout(send=pods, timeout_s=1))
    call = AcrossPodsCall(
        request_id="req-1",
        service=Service.COMPUTE,
        method=method,
        project_id="p1",
        remainder=remainder,
        query="",
        headers={"x-auth-token": "tok"},
        origin="http://gw",
        body=b"" if body is None else json.dumps(body).encode(),
    )
    registered = {name: pod(name) for name in pods.scripts}
    registered["draining"] = pod("draining", state=PodState.DRAINING)
    registered["off"] = pod("off", state=PodState.DISABLED)
    return await views.answer(call, registered)


async def test_limits_sum_every_pod_that_holds_resources() -> None:
    pods = FakeSend({"a": _limits(1), "draining": _limits(4), "off": _limits(100)})
    answer = await _run(pods, "GET", "/limits")
    assert json.loads(answer.body)["limits"]["absolute"] == {
        "maxTotalCores": 40,
        "totalCoresUsed": 5,
    }
    assert sorted(call[0] for call in pods.calls) == ["a", "draining"]


async def test_a_pod_missing_from_a_total_makes_the_answer_its_refusal() -> None:
    forbidden = {"forbidden": {"message": "Policy doesn't allow it.", "code": 403}}
    pods = FakeSend({"a": _limits(1), "draining": lambda m, p, b: json_response(403, forbidden)})
    answer = await _run(pods, "GET", "/limits")
    message = "Pod draining: Policy doesn't allow it."
    assert (answer.status, json.loads(answer.body)) == (
        403,
        {"forbidden": {"message": message, "code": 403}},
    )


async def test_quota_updates_go_to_every_enabled_pod() -> None:
    def updated(method: str, path: str, body: dict) -> PodResponse:
        return json_response(200, {"quota_set": {"cores": body["quota_set"]["cores"]}})

    pods = FakeSend({"a": updated, "b": updated, "draining": updated})
    answer = await _run(pods, "PUT", "/os-quota-sets/p9", {"quota_set": {"cores": 7}})
    assert json.loads(answer.body) == {"quota_set": {"cores": 14}}
    assert sorted(call[:3] for call in pods.calls) == [
        ("a", "PUT", "/compute/v2.1/p1/os-quota-sets/p9"),
        ("b", "PUT", "/compute/v2.1/p1/os-quota-sets/p9"),
    ]


async def test_an_answer_that_is_not_json_counts_as_no_answer() -> None:
    pods = FakeSend({"a": _limits(1), "draining": lambda m, p, b: PodResponse(200, b"<html>")})
    answer = await _run(pods, "GET", "/limits")
    assert answer.status == 503
    assert (
        json.loads(answer.body)["serviceUnavailable"]["message"] == "Pod draining is not available."
    )
