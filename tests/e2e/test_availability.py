"""One tenant must not starve the others, and Envoy's own refusals are OpenStack faults.

Through real Envoy: a client holding 1,100 creates that never send their body (the decision
streams they keep open once filled Envoy's 1,024-request circuit breaker, and everyone got
503s); 300 clients that send half a request and stop; escaped slashes; oversized headers.
"""

import json
import selectors
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, wait_for
from tests.e2e.h2 import HeldRequests

pytestmark = pytest.mark.e2e

_HELD = 1_100
_PER_PROJECT_CAP = 64  # DecisionSettings.max_in_flight_per_project's default
_SLOW_CLIENTS = 300
_CLIENT_BOUND_S = 2.0  # the request header, whole-request and idle timeouts in that test
_MARGIN_S = 3.0
_BURST = 10  # the per-project burst in the strict gateway (refilled by 1 a second)
# Pods that call their zones as users do, so known servers are on Envoy's fast path.
_LAYOUT = {"pod1": ("az-east", "az-east"), "pod2": ("az-west", "az-west")}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with default settings in front of two pods."""
    with running_cloud(tmp_path_factory.mktemp("availability"), _LAYOUT) as (gateway, _):
        yield gateway


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with short client timeouts and a small per-project rate."""
    bound = str(_CLIENT_BOUND_S)
    settings = {
        "PODGATE_ENVOY_REQUEST_HEADERS_TIMEOUT_S": bound,
        "PODGATE_ENVOY_REQUEST_TIMEOUT_S": bound,
        "PODGATE_ENVOY_STREAM_IDLE_TIMEOUT_S": bound,
        "PODGATE_ENVOY_PROJECT_RATE_PER_S": "1",
        "PODGATE_ENVOY_PROJECT_BURST": str(_BURST),
    }
    with running_cloud(tmp_path_factory.mktemp("strict"), extra_env=settings) as (gateway, _):
        yield gateway


def _create_body() -> dict:
    return {"server": {"name": "vm", "flavorRef": "1", "imageRef": "img"}}


def _is_over_limit(answer) -> bool:
    fault = json.loads(answer.body)
    return (
        answer.headers.get("retry-after") == "1"
        and answer.headers.get("content-type") == "application/json"
        and fault["overLimit"]["code"] == 429
        and bool(fault["overLimit"]["message"])
    )


def test_a_project_holding_1100_bodiless_creates_starves_no_other(cloud: Gateway) -> None:
    attacker, victim = uuid.uuid4().hex, uuid.uuid4().hex
    headers = [
        (":method", "POST"),
        (":scheme", "http"),
        (":authority", f"127.0.0.1:{cloud.compute_port}"),
        (":path", f"/v2.1/{attacker}/servers"),
        ("content-type", "application/json"),
        ("content-length", "100"),
    ]
    held = HeldRequests(cloud.compute_port, headers, _HELD)
    try:
        # Every request is either answered or holds a decision stream open.
        wait_for(
            lambda: _answered(held) + _open_decisions(cloud) >= _HELD,
            timeout=WAIT_S,
            what="every held request answered or holding a decision stream",
        )
        assert _open_decisions(cloud) >= _PER_PROJECT_CAP
        started = time.monotonic()
        listed = call("GET", f"{cloud.compute_url}/{victim}/servers")
        created = call("POST", f"{cloud.compute_url}/{victim}/servers", _create_body())
        took = time.monotonic() - started
        assert listed[0] == 200, listed
        assert created[0] == 202, created
        assert took < 5.0, f"another project waited {took:.1f}s"
        refused = [a for a in held.answers if a.status]
        assert {a.status for a in refused} == {429}
        assert len(refused) >= _HELD - _PER_PROJECT_CAP
        wait_for(lambda: all(a.ended for a in refused), timeout=WAIT_S, what="429 bodies")
        assert all(_is_over_limit(a) for a in refused), refused[0]
    finally:
        held.close()


def _answered(held: HeldRequests) -> int:
    return sum(1 for status in held.statuses() if status)


def _open_decisions(gateway: Gateway) -> int:
    """Decision streams Envoy has open (and the one ADS stream)."""
    return gateway.envoy_stat("cluster.podgate_control_plane.upstream_rq_active")


def _half_requests(port: int, count: int) -> list[socket.socket]:
    """Half of them stop inside the headers, the other half inside a create's body."""
    clients = []
    for i in range(count):
        project = uuid.uuid4().hex
        if i % 2:
            data = f"GET /v2.1/{project}/servers HTTP/1.1\r\nHost: x\r\nX-Slow: "
        else:
            data = (
                f"POST /v2.1/{project}/servers HTTP/1.1\r\nHost: x\r\n"
                'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"server": '
            )
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(data.encode())
        clients.append(client)
    return clients


def _seconds_until_closed(clients: list[socket.socket], deadline_s: float) -> list[float]:
    """For each client, seconds from now until Envoy closed it (inf if it was still open)."""
    started = time.monotonic()
    closed = [float("inf")] * len(clients)
    with selectors.DefaultSelector() as selector:
        for index, client in enumerate(clients):
            client.setblocking(False)
            selector.register(client, selectors.EVENT_READ, index)
        while selector.get_map() and time.monotonic() - started < deadline_s:
            for key, _ in selector.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(65536)
                except ConnectionError:
                    data = b""
                if not data:
                    closed[key.data] = time.monotonic() - started
                    selector.unregister(key.fileobj)
    return closed


def test_slow_clients_are_closed_within_the_configured_bound(strict: Gateway) -> None:
    opened = time.monotonic()
    clients = _half_requests(strict.compute_port, _SLOW_CLIENTS)
    try:
        since_opened = time.monotonic() - opened
        closed = _seconds_until_closed(clients, _CLIENT_BOUND_S + _MARGIN_S)
    finally:
        for client in clients:
            client.close()
    still_open = sum(1 for seconds in closed if seconds == float("inf"))
    assert still_open == 0, f"{still_open} of {_SLOW_CLIENTS} slow clients still open"
    assert since_opened + max(closed) <= _CLIENT_BOUND_S + _MARGIN_S


def test_a_project_past_its_rate_gets_429_over_limit_and_others_do_not(strict: Gateway) -> None:
    flooder, other = uuid.uuid4().hex, uuid.uuid4().hex
    answers = [_raw_get(f"{strict.compute_url}/{flooder}/servers") for _ in range(3 * _BURST)]
    refused = [(headers, body) for status, headers, body in answers if status == 429]
    assert len(refused) >= _BURST
    for headers, body in refused:
        assert headers["retry-after"] == "1" and headers["content-type"] == "application/json"
        assert json.loads(body) == {
            "overLimit": {"message": "This request was rate-limited.", "code": 429}
        }
    assert _raw_get(f"{strict.compute_url}/{other}/servers")[0] == 200
    # Paths naming no project share no bucket: nobody can starve the others of them.
    version = f"{strict.compute_url}/"
    assert {_raw_get(version)[0] for _ in range(3 * _BURST)} == {200}


def _raw_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """GET without JSON decoding, so a plain-text answer fails the assertion, not the call."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.parametrize("escaped", ["%2F", "%2f", "%5C"])
def test_an_escaped_slash_gets_a_json_400(cloud: Gateway, escaped: str) -> None:
    project = uuid.uuid4().hex
    created = call("POST", f"{cloud.compute_url}/{project}/servers", _create_body())
    url = f"{cloud.compute_url}/{project}/servers/{created[2]['server']['id']}"
    cloud.fast_path_get(url)  # a known id: Envoy routes its prefix to the pod by itself
    status, headers, body = _raw_get(f"{url}{escaped}..{escaped}x")
    assert status == 400, body
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["badRequest"]["code"] == 400


def test_oversized_headers_get_a_json_fault(cloud: Gateway) -> None:
    project = uuid.uuid4().hex
    status, headers, body = _raw_get(
        f"{cloud.compute_url}/{project}/servers", {"X-Big": "a" * 70_000}
    )
    assert status == 431, body
    assert headers["content-type"] == "application/json"
    [(name, fault)] = json.loads(body).items()
    assert fault["code"] == 431 and fault["message"], name


@pytest.mark.parametrize("method", [b"get", b"FO@O"])
def test_a_malformed_request_line_gets_a_json_400(cloud: Gateway, method: bytes) -> None:
    with socket.create_connection(("127.0.0.1", cloud.compute_port), timeout=10) as client:
        client.sendall(method + b" /v2.1/p/servers HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["badRequest"]["code"] == 400
