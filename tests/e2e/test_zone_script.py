"""The zone script (control_plane/xds/zones.lua) in real Envoy, against the decision service's
own rewrite (mutate.shown_body): the translator's listeners and routes, loaded statically, in
front of a pod made of Envoy direct responses, one id per answer to try."""

import base64
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from control_plane.decision.mutate import shown_body
from control_plane.model import Pod, ResourceType, Routing
from control_plane.xds.bootstrap import render_bootstrap
from control_plane.xds.translate import XdsInputs, translate
from harness.procs import WAIT_S, free_port, start, wait_for
from harness.snapshot_render import inline_bootstrap

pytestmark = pytest.mark.e2e

_ENVOY = Path(sys.executable).parent / "envoy"
_AZ = "OS-EXT-AZ:availability_zone"
# The pod's zone holds `-`, a Lua pattern character; the other pod names no zone of its own.
RENAMED = Pod("ren", "az1", "nova-0")
UNNAMED = Pod("any", 'zone "Ü"', "")


def _server(resource_id: str, zone: object, **more: object) -> dict:
    return {"server": {"id": resource_id, "name": "nova-0-vm", _AZ: zone, **more}}


def _cases() -> list[tuple[str, Pod, ResourceType, int, str, str]]:
    """(name, pod, type, status, content type, body) of each answer tried."""
    nested = {"metadata": {_AZ: "nova-0", "availability_zone": "nova-0"}, "links": []}
    cases = [
        ("show", _server("{id}", "nova-0", **nested)),
        ("indented", json.dumps(_server("{id}", "nova-0", **nested), indent=2)),
        ("contains", _server("{id}", "nova-0x")),
        ("prefix", _server("{id}", "nova")),
        ("escaped", '{"server": {"id": "{id}", "OS-EXT-AZ:availability_zone": "nova\\u002d0"}}'),
        ("null zone", _server("{id}", None)),
        ("empty id", _server("", "nova-0")),
        ("no id", {"server": {_AZ: "nova-0"}}),
        (
            "duplicate",
            '{"server": {"id": "{id}", "x": 1}, "server": '
            + json.dumps(_server("{id}", "nova-0")["server"])
            + "}",
        ),
        ("braces in strings", _server("{id}", "nova-0", name='}"{[', description='\\"}')),
        ("not json", '{"server": {"id": "{id}", "OS-EXT-AZ:availability_zone": "nova-0"}'),
        ("trailing", json.dumps(_server("{id}", "nova-0")) + " x"),
        ("no member", {"servers": [_server("{id}", "nova-0")["server"]]}),
    ]
    result = [
        (name, RENAMED, ResourceType.SERVER, 200, "application/json", _text(body))
        for name, body in cases
    ]
    result += [
        ("text", RENAMED, ResourceType.SERVER, 200, "text/plain", _text(_server("{id}", "nova-0"))),
        (
            "fault",
            RENAMED,
            ResourceType.SERVER,
            404,
            "application/json",
            _text(_server("{id}", "nova-0")),
        ),
        (
            "any zone",
            UNNAMED,
            ResourceType.SERVER,
            200,
            "application/json",
            _text(_server("{id}", "x")),
        ),
        (
            "volume",
            RENAMED,
            ResourceType.VOLUME,
            200,
            "application/json; charset=UTF-8",
            _text(
                {
                    "volume": {
                        "id": "{id}",
                        "availability_zone": "nova-0",
                        "availabilityZone": "nova-0",
                    }
                }
            ),
        ),
    ]
    return result


def _text(body: object) -> str:
    return body if isinstance(body, str) else json.dumps(body)


CASES = _cases()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[ResourceType, str]]:
    """The gateway's origin for each type's listener."""
    root = tmp_path_factory.mktemp("zone-script")
    pod_port, compute_port, volume_port, admin_port = (free_port() for _ in range(4))
    endpoints = {
        "compute": f"http://127.0.0.1:{pod_port}/v2.1",
        "volumev3": f"http://127.0.0.1:{pod_port}/v3/$(project_id)s",
    }
    pods = tuple(
        Pod(p.name, p.az_name, p.pod_az_name, endpoints=endpoints) for p in (RENAMED, UNNAMED)
    )
    routings = tuple(
        Routing(_id(n), kind, "p1", pod.name) for n, (_, pod, kind, *_) in enumerate(CASES)
    )
    inputs = XdsInputs(
        pods=pods,
        listen_host="127.0.0.1",
        compute_port=compute_port,
        volume_port=volume_port,
        network_port=free_port(),
        connect_timeout_s=2.0,
        upstream_timeout_s=10.0,
        ext_proc_message_timeout_ms=2000,
        health_interval_s=300.0,
        project_rate_per_s=0,
        fast_path=routings,
    )
    bootstrap = render_bootstrap(
        node_id="zones",
        admin_host="127.0.0.1",
        admin_port=admin_port,
        control_plane_host="127.0.0.1",
        control_plane_port=free_port(),  # never asked: a request that reached it would fail
        envoy_token="test-envoy-token",
    )
    config = inline_bootstrap(translate(inputs), bootstrap)
    config["static_resources"]["listeners"].append(_pod_listener(pod_port))
    path = root / "envoy.json"
    path.write_text(json.dumps(config))
    argv = [str(_ENVOY), "-c", str(path), "--use-dynamic-base-id", "-l", "warning"]
    proc = start([*argv, "--concurrency", "1"], log=root / "envoy.log")
    try:
        wait_for(lambda: _ready(admin_port), timeout=WAIT_S, what="Envoy ready")
        yield {
            ResourceType.SERVER: f"http://127.0.0.1:{compute_port}",
            ResourceType.VOLUME: f"http://127.0.0.1:{volume_port}",
        }
    finally:
        proc.stop()


def _ready(admin_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/ready", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def _id(n: int) -> str:
    return f"6f1b0c3e-0000-4000-8000-{n:012x}"


def _path(n: int) -> str:
    kind = CASES[n][2]
    return (
        f"/v2.1/p1/servers/{_id(n)}" if kind is ResourceType.SERVER else f"/v3/p1/volumes/{_id(n)}"
    )


def _answer(n: int) -> tuple[int, str, bytes]:
    _, _, _, status, content_type, body = CASES[n]
    return status, content_type, body.replace("{id}", _id(n)).encode()


def _pod_listener(port: int) -> dict:
    routes = [
        {
            "match": {"path": _path(n)},
            "direct_response": {
                "status": status,
                "body": {"inline_bytes": base64.b64encode(body).decode()},
            },
            "response_headers_to_add": [{"header": {"key": "content-type", "value": kind}}],
        }
        for n in range(len(CASES))
        for status, kind, body in [_answer(n)]
    ]
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager"
        ".v3.HttpConnectionManager",
        "stat_prefix": "pod",
        "route_config": {"virtual_hosts": [{"name": "pod", "domains": ["*"], "routes": routes}]},
        "http_filters": [
            {
                "name": "envoy.filters.http.router",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
                },
            }
        ],
    }
    return {
        "name": "pod",
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
        "filter_chains": [{"filters": [{"name": "hcm", "typed_config": manager}]}],
    }


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["content-type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], error.read()


@pytest.mark.parametrize("n", range(len(CASES)), ids=[case[0] for case in CASES])
def test_the_script_renames_as_the_decision_service_does(gateway, n: int) -> None:
    _, pod, kind, status, content_type, _ = CASES[n]
    sent_status, _, sent = _answer(n)
    got_status, got_type, got = _get(gateway[kind] + _path(n))
    assert (got_status, got_type) == (sent_status, content_type)
    # JSON answers only (the decision service would parse a mislabelled one too).
    json_answer = content_type.startswith("application/json")
    expected = shown_body(kind, sent, pod) if 200 <= status < 300 and json_answer else None
    if expected is None:
        assert got == sent  # byte for byte
    else:
        assert got != sent and json.loads(got) == json.loads(expected)
        # Only the zone values changed: the pod's zone's bytes back in give the pod's answer.
        zone = json.dumps(pod.az_name, ensure_ascii=False).encode()
        raw = b'"nova\\u002d0"' if b"u002d" in sent else b'"nova-0"'
        assert got.replace(zone, raw if pod is RENAMED else b'"x"') == sent
