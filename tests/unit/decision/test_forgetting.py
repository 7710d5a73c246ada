"""Background checks after a pod's answer: a routing is forgotten once the pod shows it gone."""

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from control_plane.decision.pods.admin_reads import AdminReads
from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.decision.pods.service_token import ServiceAuth
from control_plane.decision.routed.forgetting import Forgetting
from control_plane.metrics import Metrics
from control_plane.model import Pod, ResourceType, Routing
from control_plane.settings import RoutingSettings

POD = Pod(
    name="pod1",
    az_name="az1",
    endpoints={
        "compute": "http://pod1/compute/v2.1",
        "volumev3": "http://pod1/volume/v3/$(project_id)s",
        "network": "http://pod1/network",
    },
)
VM = Routing("vm1", ResourceType.SERVER, "proj", "pod1")
VOL = Routing("vol1", ResourceType.VOLUME, "proj", "pod1")
NET = Routing("net1", ResourceType.NETWORK, "proj", "pod1")
VM_GONE = PodResponse(
    404,
    json.dumps(
        {"itemNotFound": {"message": "Instance vm1 could not be found.", "code": 404}}
    ).encode(),
)
VOL_GONE = PodResponse(
    404,
    json.dumps(
        {"itemNotFound": {"message": "Volume vol1 could not be found.", "code": 404}}
    ).encode(),
)


class FakeForgetter:
    def __init__(self) -> None:
        self.calls: list[list[Routing]] = []

    async def forget_gone(
        self, routings: Sequence[Routing], *, created_before: datetime | None = None
    ) -> list[Routing]:
        self.calls.append(list(routings))
        return list(routings)


class ScriptedFetch:
    """Answers each URL from its list of answers in turn (the last one repeats)."""

    def __init__(self, answers: Mapping[str, list[PodResponse | Exception]]) -> None:
        self._answers = {url: list(script) for url, script in answers.items()}
        self.asked: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        self.asked.append((url, dict(headers)))
        script = self._answers.get(url) or [PodResponse(500, b"unscripted")]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _forgetting(
    fetch: ScriptedFetch,
    forgetter: FakeForgetter,
    metrics: Metrics | None = None,
    **settings: float,
) -> Forgetting:
    return Forgetting(
        reads=AdminReads(fetch=fetch, token=None, timeout_s=1.0),
        forgetter=forgetter,
        pods=lambda: {POD.name: POD},
        settings=RoutingSettings(
            **{"delete_check_first_s": 0.001, "delete_check_s": 0.1, **settings}
        ),
        metrics=metrics or Metrics(),
    )


async def _settled(forgetting: Forgetting) -> None:
    for _ in range(200):
        await asyncio.sleep(0.002)
        if not forgetting._checks:
            return


async def test_a_404_the_pod_confirms_forgets_the_routing() -> None:
    fetch = ScriptedFetch({"http://pod1/compute/v2.1/proj/servers/vm1": [VM_GONE]})
    forgetter, metrics = FakeForgetter(), Metrics()
    forgetting = _forgetting(fetch, forgetter, metrics)
    forgetting.answered(VM, "GET", 404)
    await _settled(forgetting)
    assert forgetter.calls == [[VM]]
    assert fetch.asked == [
        ("http://pod1/compute/v2.1/proj/servers/vm1", {"accept": "application/json"})
    ]
    assert metrics.routings_forgotten.labels("pod1", "not_found")._value.get() == 1


async def test_a_404_that_is_not_the_apis_fault_forgets_nothing() -> None:
    url = "http://pod1/compute/v2.1/proj/servers/vm1"
    for answer in (
        PodResponse(404, b"<html>Not Found</html>"),
        PodResponse(200, b"{}"),
        PodCallError("refused"),
    ):
        fetch, forgetter = ScriptedFetch({url: [answer]}), FakeForgetter()
        forgetting = _forgetting(fetch, forgetter)
        forgetting.answered(VM, "GET", 404)
        await _settled(forgetting)
        assert forgetter.calls == [] and len(fetch.asked) == 1


async def test_an_accepted_delete_is_checked_until_the_pod_finished() -> None:
    url = "http://pod1/volume/v3/proj/volumes/vol1"
    deleting = PodResponse(200, b'{"volume": {"id": "vol1", "status": "deleting"}}')
    fetch, forgetter = ScriptedFetch({url: [deleting, deleting, VOL_GONE]}), FakeForgetter()
    forgetting = _forgetting(fetch, forgetter)
    forgetting.answered(VOL, "DELETE", 202)
    await _settled(forgetting)
    assert forgetter.calls == [[VOL]]
    assert len(fetch.asked) == 3


async def test_a_delete_outlasting_its_checks_is_left_to_the_reconciler() -> None:
    url = "http://pod1/compute/v2.1/proj/servers/vm1"
    fetch, forgetter = ScriptedFetch({url: [PodResponse(200, b"{}")]}), FakeForgetter()
    forgetting = _forgetting(fetch, forgetter, delete_check_first_s=0.01, delete_check_s=0.04)
    forgetting.answered(VM, "DELETE", 204)
    await _settled(forgetting)
    assert forgetter.calls == []
    assert len(fetch.asked) == 3  # after 0.01, 0.02 and the last 0.01


async def test_neutrons_delete_is_forgotten_without_asking() -> None:
    fetch, forgetter = ScriptedFetch({}), FakeForgetter()
    forgetting = _forgetting(fetch, forgetter)
    forgetting.answered(NET, "DELETE", 204)
    await _settled(forgetting)
    assert forgetter.calls == [[NET]] and fetch.asked == []


async def test_answers_that_call_for_nothing_start_nothing() -> None:
    fetch, forgetter = ScriptedFetch({}), FakeForgetter()
    forgetting = _forgetting(fetch, forgetter)
    for method, status in (("GET", 200), ("DELETE", 409), ("GET", 500), ("DELETE", 403)):
        forgetting.answered(VM, method, status)
    assert forgetting._checks == {}


async def test_one_resource_is_checked_once_at_a_time_and_checks_are_capped() -> None:
    url = "http://pod1/compute/v2.1/proj/servers/vm1"
    fetch, forgetter = ScriptedFetch({url: [PodResponse(200, b"{}")]}), FakeForgetter()
    forgetting = _forgetting(fetch, forgetter, delete_check_s=5.0, max_checks=1)
    forgetting.answered(VM, "DELETE", 204)
    forgetting.answered(VM, "DELETE", 204)
    forgetting.answered(VOL, "DELETE", 202)
    assert list(forgetting._checks) == [("server", "vm1")]
    await forgetting.close()
    assert forgetting._checks == {}


async def test_keystone_mode_asks_as_the_service_user_in_its_project() -> None:
    class Token:
        invalidated = 0

        async def current(self) -> ServiceAuth:
            return ServiceAuth("svc-token", "admin-proj")

        def invalidate(self) -> None:
            self.invalidated += 1

    token = Token()
    url = "http://pod1/compute/v2.1/admin-proj/servers/vm1"
    fetch = ScriptedFetch({url: [PodResponse(401, b""), VM_GONE]})
    reads = AdminReads(fetch=fetch, token=token, timeout_s=1.0)  # type: ignore[arg-type]
    assert await reads.gone(POD, VM) is None
    assert token.invalidated == 1
    assert await reads.gone(POD, VM) is True
    assert fetch.asked[-1] == (url, {"accept": "application/json", "x-auth-token": "svc-token"})
