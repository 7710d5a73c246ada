"""DecisionService beyond servers and volumes: attach checks, snapshots, zones, events, versions."""

import json

import pytest
from envoy.extensions.filters.http.ext_proc.v3 import processing_mode_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.model import PodState, ResourceType, Routing
from tests.unit.decision.extproc_harness import (
    Gateway,
    request_body,
    request_headers,
    response_body,
    response_headers,
    set_headers,
    two_pods,
)
from tests.unit.decision.fake_pods import pod

PM = processing_mode_pb2.ProcessingMode
SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME
# Nova's words with `[cinder] cross_az_attach = False`; pods a and b are az1 and az2.
NOT_SAME_ZONE = (
    "Invalid volume: Instance s-a and volume v-b are not in the same availability_zone. "
    "Instance is in az1. Volume is in az2"
)


@pytest.fixture
async def gateway() -> Gateway:
    gw = two_pods()
    await gw.route(SERVER, "s-a", "a")
    await gw.route(SERVER, "s-b", "b")
    await gw.route(VOLUME, "v-a", "a")
    await gw.route(VOLUME, "v-b", "b")
    return gw


def _immediate(response: ep.ProcessingResponse) -> tuple[int, dict, dict[str, str]]:
    assert response.WhichOneof("response") == "immediate_response", response
    answer = response.immediate_response
    return answer.status.code, json.loads(answer.body), set_headers(answer.headers)


def _routed(response: ep.ProcessingResponse, phase: str) -> dict[str, str]:
    common = getattr(response, phase).response
    assert common.clear_route_cache
    return set_headers(common.header_mutation)


# --- everything under a routed resource follows it


@pytest.mark.parametrize(
    ("method", "tail"),
    [
        ("GET", "metadata"),
        ("PUT", "metadata/k1"),
        ("GET", "ips"),
        ("GET", "os-interface"),
        ("GET", "os-instance-actions/req-1"),
        ("PUT", "tags/blue"),
        ("GET", "os-volume_attachments"),
        ("GET", "os-volume_attachments/v-b"),
        ("DELETE", "os-volume_attachments/v-b"),
    ],
)
async def test_server_sub_resources_go_headers_only_to_the_servers_pod(gateway, method, tail):
    response = await gateway.stream().send(request_headers(method, f"/v2.1/p1/servers/s-b/{tail}"))
    assert _routed(response, "request_headers") == {
        "x-podgate-pod": "pod.b.compute",
        ":path": f"/compute/v2.1/p1/servers/s-b/{tail}",
    }
    assert not response.HasField("mode_override")


@pytest.mark.parametrize(("method", "tail"), [("POST", "/action"), ("PUT", ""), ("GET", "")])
async def test_answers_showing_a_server_of_a_pod_under_a_path_prefix_are_asked_for(
    gateway, method, tail
):
    response = await gateway.stream().send(request_headers(method, f"/v2.1/p1/servers/s-b{tail}"))
    assert _routed(response, "request_headers")[":path"] == f"/compute/v2.1/p1/servers/s-b{tail}"
    mode = response.mode_override  # its links name /compute/: relinked (relink.py)
    assert (mode.response_header_mode, mode.response_body_mode) == (PM.SEND, PM.BUFFERED)


@pytest.mark.parametrize(("method", "tail"), [("GET", "metadata"), ("DELETE", "metadata/k")])
async def test_volume_sub_resources_go_to_the_volumes_pod(gateway, method, tail) -> None:
    response = await gateway.stream("volumev3").send(
        request_headers(method, f"/v3/p1/volumes/v-a/{tail}")
    )
    assert _routed(response, "request_headers")[":path"] == f"/volume/v3/p1/volumes/v-a/{tail}"


# --- cross-pod attach


async def test_nova_attach_waits_for_the_body() -> None:
    gateway = two_pods()
    await gateway.route(SERVER, "s-a", "a")
    response = await gateway.stream().send(
        request_headers("POST", "/v2.1/p1/servers/s-a/os-volume_attachments")
    )
    assert response.WhichOneof("response") == "request_headers"
    mode = response.mode_override
    assert (mode.request_body_mode, mode.response_header_mode) == (PM.BUFFERED, PM.SKIP)


async def test_nova_attach_of_a_volume_in_another_pod_is_refused(gateway) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers/s-a/os-volume_attachments"))
    response = await stream.send(request_body(b'{"volumeAttachment": {"volumeId": "v-b"}}'))
    status, body, _ = _immediate(response)
    assert (status, body) == (400, {"badRequest": {"message": NOT_SAME_ZONE, "code": 400}})


@pytest.mark.parametrize(
    "body",
    [
        b'{"volumeAttachment": {"volumeId": "v-a"}}',
        b'{"volumeAttachment": {"volumeId": "v-unknown"}}',
        b'{"volumeAttachment": {}}',
        b"not json",
    ],
)
async def test_other_attach_bodies_go_unchanged_to_the_servers_pod(gateway, body) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers/s-a/os-volume_attachments"))
    response = await stream.send(request_body(body))
    assert _routed(response, "request_body")["x-podgate-pod"] == "pod.a.compute"
    assert not response.request_body.response.HasField("body_mutation")


# --- snapshots and backups


@pytest.mark.parametrize("kind", ["snapshot", "backup"])
async def test_snapshots_and_backups_are_created_in_the_source_volumes_pod(gateway, kind):
    stream = gateway.stream("volumev3")
    await stream.send(request_headers("POST", f"/v3/p1/{kind}s"))
    response = await stream.send(request_body(json.dumps({kind: {"volume_id": "v-b"}}).encode()))
    assert _routed(response, "request_body") == {
        "x-podgate-pod": "pod.b.volumev3",
        ":path": f"/volume/v3/p1/{kind}s",
    }
    assert [b.pod_name for b in gateway.store.bindings] == []
    await stream.send(response_headers(202))
    await stream.send(response_body(json.dumps({kind: {"id": f"{kind}-1"}}).encode()))
    routing = await gateway.store.get_routing(ResourceType(kind), f"{kind}-1")
    assert routing == Routing(f"{kind}-1", ResourceType(kind), "p1", "b")
    routed = await gateway.stream("volumev3").send(
        request_headers("DELETE", f"/v3/p1/{kind}s/{kind}-1")
    )
    assert _routed(routed, "request_headers")["x-podgate-pod"] == "pod.b.volumev3"


# --- zones


async def test_zones_are_answered_by_the_gateway(gateway) -> None:
    gateway.pods["c"] = pod("c", "az3", 3, state=PodState.DRAINING)
    response = await gateway.stream().send(request_headers("GET", "/v2.1/p1/os-availability-zone"))
    status, body, headers = _immediate(response)
    assert status == 200
    assert [zone["zoneName"] for zone in body["availabilityZoneInfo"]] == ["az1", "az2"]
    assert headers["openstack-api-version"] == "compute 2.1"


# --- external events


async def test_events_are_split_by_pod_and_merged(gateway) -> None:
    stream = gateway.stream()
    first = await stream.send(
        request_headers(
            "POST",
            "/v2.1/admin/os-server-external-events",
            extra={"x-auth-token": "tok", "openstack-api-version": "compute latest"},
        )
    )
    assert first.mode_override.request_body_mode == PM.BUFFERED
    events = [
        {"name": "network-changed", "server_uuid": "s-a"},
        {"name": "network-changed", "server_uuid": "s-b"},
        {"name": "network-changed", "server_uuid": "s-x"},
    ]
    response = await stream.send(request_body(json.dumps({"events": events}).encode()))
    status, body, headers = _immediate(response)
    assert status == 207
    assert [(e["server_uuid"], e["code"]) for e in body["events"]] == [
        ("s-a", 200),
        ("s-b", 200),
        ("s-x", 404),
    ]
    sent = {f"http://{pod_}.pod{path}": doc for pod_, _, path, doc in gateway.send.calls}
    assert set(sent) == {
        "http://a.pod/compute/v2.1/admin/os-server-external-events",
        "http://b.pod/compute/v2.1/admin/os-server-external-events",
    }
    a_url = "http://a.pod/compute/v2.1/admin/os-server-external-events"
    a_headers, a_body = gateway.send.headers[a_url], sent[a_url]
    assert a_body == {"events": [events[0]]}
    assert a_headers["x-auth-token"] == "tok"
    assert a_headers["openstack-api-version"] == "compute 2.90"
    assert headers["openstack-api-version"] == "compute 2.90"


async def test_events_for_no_known_server_are_novas_404(gateway) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/os-server-external-events"))
    body = b'{"events": [{"name": "network-changed", "server_uuid": "s-x"}]}'
    status, answer, _ = _immediate(await stream.send(request_body(body)))
    assert (status, answer["itemNotFound"]["message"]) == (404, "No instances found for any event")
    assert gateway.send.calls == []


async def test_events_to_a_pod_that_is_down_fail_with_503(gateway) -> None:
    gateway.send.scripts["b"] = None
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/os-server-external-events"))
    events = [{"name": "x", "server_uuid": "s-a"}, {"name": "x", "server_uuid": "s-b"}]
    response = await stream.send(request_body(json.dumps({"events": events}).encode()))
    status, body, _ = _immediate(response)
    assert (status, [e["code"] for e in body["events"]]) == (207, [200, 503])


async def test_events_without_a_body_are_a_400(gateway) -> None:
    response = await gateway.stream().send(
        request_headers("POST", "/v2.1/p1/os-server-external-events", end_of_stream=True)
    )
    assert _immediate(response)[0] == 400


# --- version documents and microversions


async def test_the_version_document_advertises_the_common_window(gateway) -> None:
    response = await gateway.stream().send(request_headers("GET", "/v2.1/"))
    status, body, _ = _immediate(response)
    assert status == 200
    assert (body["version"]["min_version"], body["version"]["version"]) == ("2.1", "2.90")
    response = await gateway.stream("volumev3").send(request_headers("GET", "/"))
    status, body, _ = _immediate(response)
    assert (status, body["versions"][0]["version"]) == (300, "3.60")


async def test_a_version_outside_the_window_is_a_406_before_any_lookup(gateway) -> None:
    response = await gateway.stream().send(
        request_headers(
            "GET", "/v2.1/p1/servers/s-a", extra={"openstack-api-version": "compute 2.93"}
        )
    )
    status, body, headers = _immediate(response)
    assert (status, body) == (
        406,
        {
            "computeFault": {
                "message": "Version 2.93 is not supported by the API. "
                "Minimum is 2.1 and maximum is 2.90.",
                "code": 406,
            }
        },
    )
    assert "openstack-api-version" not in headers
    assert headers["vary"] == "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    assert gateway.store.reads == 0


async def test_latest_is_sent_to_the_pod_as_the_windows_top(gateway) -> None:
    response = await gateway.stream("volumev3").send(
        request_headers(
            "GET", "/v3/p1/volumes/v-a", extra={"openstack-api-version": "volume latest"}
        )
    )
    assert _routed(response, "request_headers")["openstack-api-version"] == "volume 3.60"


async def test_a_version_inside_the_window_is_not_rewritten(gateway) -> None:
    response = await gateway.stream().send(
        request_headers(
            "GET", "/v2.1/p1/servers/s-a", extra={"openstack-api-version": "compute 2.5"}
        )
    )
    assert "openstack-api-version" not in _routed(response, "request_headers")


async def test_requests_without_a_version_read_no_version_document(gateway) -> None:
    await gateway.stream().send(request_headers("GET", "/v2.1/p1/servers/s-a"))
    assert gateway.fetch.calls == []


async def test_a_create_asking_latest_reaches_the_pod_with_the_top(gateway) -> None:
    response = await gateway.stream().send(
        request_headers(
            "POST", "/v2.1/p1/servers", extra={"x-openstack-nova-api-version": "latest"}
        )
    )
    assert set_headers(response.request_headers.response.header_mutation) == {
        "openstack-api-version": "compute 2.90",
        "x-openstack-nova-api-version": "2.90",
    }


# --- unknown paths and missing methods


async def test_a_missing_method_is_a_405_with_allow(gateway) -> None:
    response = await gateway.stream().send(request_headers("DELETE", "/v2.1/p1/servers"))
    status, body, headers = _immediate(response)
    assert (status, body) == (
        405,
        {
            "badMethod": {
                "message": "The method specified is not allowed for this resource.",
                "code": 405,
            }
        },
    )
    assert headers["allow"] == "GET, POST"


async def test_an_unknown_path_is_a_404_fault(gateway) -> None:
    response = await gateway.stream("volumev3").send(request_headers("GET", "/v3/p1/nothing"))
    status, body, _ = _immediate(response)
    assert (status, body["itemNotFound"]["message"]) == (404, "The resource could not be found.")


# --- answers of a pod under a path prefix link to the gateway, and show users' zones


async def test_an_update_of_a_prefixed_pod_shows_gateway_links_and_the_users_zone(gateway) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("PUT", "/v2.1/p1/servers/s-b"))
    assert (await stream.send(response_headers(200))).WhichOneof("response") == "response_headers"
    answer = {
        "server": {
            "id": "s-b",
            "OS-EXT-AZ:availability_zone": "inner-b",
            "links": [
                {"rel": "self", "href": "http://b.pod/compute/v2.1/p1/servers/s-b"},
                {"rel": "bookmark", "href": "http://gw/compute/p1/servers/s-b"},
            ],
            "image": {
                "id": "i1",
                "links": [{"rel": "bookmark", "href": "http://b.pod/compute/p1/images/i1"}],
            },
            "description": "see http://b.pod/compute/elsewhere",
        }
    }
    reply = await stream.send(response_body(json.dumps(answer).encode()))
    shown = json.loads(reply.response_body.response.body_mutation.body)["server"]
    assert shown["OS-EXT-AZ:availability_zone"] == "az2"
    assert shown["links"] == [
        {"rel": "self", "href": "http://gw/v2.1/p1/servers/s-b"},
        {"rel": "bookmark", "href": "http://gw/p1/servers/s-b"},
    ]
    assert shown["image"]["links"][0]["href"] == "http://gw/p1/images/i1"
    assert shown["description"] == "see http://b.pod/compute/elsewhere"  # only links are links


async def test_a_create_in_a_prefixed_pod_answers_with_the_gateways_location(gateway) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    body = {"server": {"name": "vm", "availability_zone": "az2"}}
    await stream.send(request_body(json.dumps(body).encode()))
    location = {"location": "http://b.pod/compute/v2.1/p1/servers/s-new"}
    reply = await stream.send(response_headers(202, location))
    assert set_headers(reply.response_headers.response.header_mutation) == {
        "location": "http://gw/v2.1/p1/servers/s-new"
    }
    created = {"server": {"id": "s-new", "links": [{"rel": "self", "href": location["location"]}]}}
    reply = await stream.send(response_body(json.dumps(created).encode()))
    shown = json.loads(reply.response_body.response.body_mutation.body)["server"]
    assert shown["links"] == [{"rel": "self", "href": "http://gw/v2.1/p1/servers/s-new"}]


async def test_a_refused_update_keeps_the_pods_fault(gateway) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("PUT", "/v2.1/p1/servers/s-b"))
    await stream.send(response_headers(400))
    reply = await stream.send(response_body(b'{"badRequest": {"code": 400, "message": "x"}}'))
    assert not reply.response_body.response.HasField("body_mutation")
