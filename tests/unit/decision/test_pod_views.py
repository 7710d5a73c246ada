"""ViewRelay over scripted pods: which pods are asked, combined answers, refusals naming a pod.
(Limits and quota sets: test_quota_relay.py.)"""

import json

from control_plane.decision.pods.client import PodResponse
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.quotas.relay import QuotaRelay
from control_plane.decision.views.relay import ViewRelay
from control_plane.model import PodState, Service
from tests.unit.decision.fake_pods import FakeSend, json_response, pod
from tests.unit.decision.fakes import MemoryStore


def _services(method: str, path: str, body: dict) -> PodResponse:
    return json_response(200, {"services": [{"host": "h", "zone": "x"}]})


async def _run(pods: FakeSend, method: str, remainder: str, body: object = None):
    fanout = Fanout(send=pods, timeout_s=1)
    views = ViewRelay(fanout=fanout, quotas=QuotaRelay(fanout=fanout, store=MemoryStore()))
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


async def test_an_answer_that_is_not_json_counts_as_no_answer() -> None:
    pods = FakeSend({"a": _services, "draining": lambda m, p, b: PodResponse(200, b"<html>")})
    answer = await _run(pods, "GET", "/os-services")
    assert answer.status == 503
    message = "Availability zone az is not available now."
    assert json.loads(answer.body)["serviceUnavailable"]["message"] == message
