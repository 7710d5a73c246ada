"""forwarded_headers: what of the caller's request travels on to a pod."""

from control_plane.decision.pods.client import forwarded_headers


def test_forwarded_headers_keep_the_callers_and_drop_the_gateways() -> None:
    headers = {
        ":method": "GET",
        ":path": "/v2.1/p/servers",
        ":authority": "gw",
        "host": "gw",
        "x-auth-token": "tok",
        "X-OpenStack-Nova-API-Version": "2.79",
        "openstack-api-version": "compute 2.79",
        "accept": "application/json",
        "user-agent": "openstacksdk",
        "connection": "keep-alive",
        "content-length": "0",
        "transfer-encoding": "chunked",
        "x-request-id": "envoy",
        "x-envoy-expected-rq-timeout-ms": "60000",
        "x-forwarded-proto": "http",
        "x-forwarded-for": "10.0.0.9",
        "x-podgate-pod": "pod.x.compute",
    }
    assert forwarded_headers(headers) == {
        "x-auth-token": "tok",
        "X-OpenStack-Nova-API-Version": "2.79",
        "openstack-api-version": "compute 2.79",
        "accept": "application/json",
        "user-agent": "openstacksdk",
    }
