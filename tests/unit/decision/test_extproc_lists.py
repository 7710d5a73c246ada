"""DecisionService answers list requests itself with an immediate response."""

import json
from datetime import UTC, datetime

from control_plane.decision.extproc import DecisionService, list_timeout
from control_plane.settings import DecisionSettings
from tests.unit.decision.extproc_harness import Gateway, Stream, request_headers, set_headers
from tests.unit.decision.fake_pods import FakeCloud, FakePod

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _service(*, partial: bool = True) -> tuple[DecisionService, dict[str, FakePod]]:
    fakes = {name: FakePod(name=name, az=f"nova-{name}") for name in ("a", "b")}
    fakes["a"].add("servers", "p1", "s1", "vm1", T0)
    fakes["b"].add("volumes", "p1", "v1", "vol1", T0)
    pods = [fake.pod(f"az-{name}") for name, fake in fakes.items()]
    settings = DecisionSettings(partial_lists=partial)
    gateway = Gateway(*pods, fetch=FakeCloud(*fakes.values()), settings=settings)
    return gateway.service, fakes


def _immediate(response) -> tuple[int, dict, dict[str, str]]:
    assert response.WhichOneof("response") == "immediate_response"
    immediate = response.immediate_response
    return immediate.status.code, json.loads(immediate.body), set_headers(immediate.headers)


async def test_server_list_is_answered_by_the_gateway() -> None:
    service, _ = _service()
    response = await Stream(service, "compute").send(
        request_headers("GET", "/v2.1/p1/servers?limit=5", extra={":scheme": "https"})
    )
    status, body, headers = _immediate(response)
    assert status == 200
    assert body == {
        "servers": [
            {
                "id": "s1",
                "name": "vm1",
                "links": [
                    {"rel": "self", "href": "https://gw/v2.1/p1/servers/s1"},
                    {"rel": "bookmark", "href": "https://gw/p1/servers/s1"},
                ],
            }
        ]
    }
    assert headers == {
        "content-type": "application/json",
        "x-openstack-request-id": "req-rid-1",
        "openstack-api-version": "compute 2.1",
        "x-openstack-nova-api-version": "2.1",
        "vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
    }


async def test_volume_detail_list_names_missing_pods_in_a_header() -> None:
    service, fakes = _service()
    fakes["a"].failure = "down"
    response = await Stream(service, "volumev3").send(
        request_headers("GET", "/v3/p1/volumes/detail")
    )
    status, body, headers = _immediate(response)
    assert status == 200
    assert [(v["id"], v["availability_zone"]) for v in body["volumes"]] == [("v1", "az-b")]
    assert headers["x-podgate-missing-pods"] == "a"


async def test_list_failing_without_partial_lists_is_a_503_with_the_header() -> None:
    service, fakes = _service(partial=False)
    fakes["b"].failure = "error"
    response = await Stream(service, "compute").send(request_headers("GET", "/v2.1/p1/servers"))
    status, body, headers = _immediate(response)
    assert (status, list(body), headers["x-podgate-missing-pods"]) == (
        503,
        ["serviceUnavailable"],
        "b",
    )


async def test_bad_list_parameters_are_a_fault() -> None:
    service, _ = _service()
    response = await Stream(service, "compute").send(
        request_headers("GET", "/v2.1/p1/servers/detail?limit=many")
    )
    status, body, _ = _immediate(response)
    assert (status, body) == (
        400,
        {"badRequest": {"message": "limit param must be an integer", "code": 400}},
    )


def test_lists_end_before_envoy_stops_waiting_for_the_answer() -> None:
    assert list_timeout(DecisionSettings(pod_timeout_s=5, message_timeout_ms=2000)) == 1.75
    assert list_timeout(DecisionSettings(pod_timeout_s=1, message_timeout_ms=9000)) == 1


async def test_close_without_any_list_is_harmless() -> None:
    service, _ = _service()
    await service.close()
