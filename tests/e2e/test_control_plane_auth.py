"""Only operators, Envoy and Podgate's own processes reach the control plane (issue 14).

In noauth mode, the default, anyone reaching the gRPC port or the admin REST listener could
point a pod at their own server (and collect users' tokens), read every tenant's resource ids
over ADS, forge a NACK into `podgate status`, or talk ext_proc. Each test is one such attack.
"""

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from envoy.service.discovery.v3 import ads_pb2_grpc, discovery_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc
from google.rpc import status_pb2

from control_plane.model import ENVOY_TOKEN_METADATA, SERVICE_METADATA
from control_plane.xds.resources import TYPE_ORDER
from harness.cloud import running_cloud
from harness.gateway import PODGATE, Gateway
from harness.http import call
from harness.procs import SimPod
from podgate_api.admin.v1 import admin_pb2
from tests.unit.decision.extproc_harness import request_headers

pytestmark = pytest.mark.e2e

CDS = TYPE_ORDER[0]
ATTACKER = "http://203.0.113.66:8774/v2.1"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("cpauth")) as running:
        yield running


@pytest.fixture
def gateway(cloud: tuple[Gateway, dict[str, SimPod]]) -> Gateway:
    return cloud[0]


def _channel(gateway: Gateway) -> grpc.Channel:
    return grpc.insecure_channel(f"127.0.0.1:{gateway.grpc_port}")


def _envoy_token(gateway: Gateway) -> str:
    return (gateway.state_dir / "envoy-token").read_text().strip()


def test_admin_grpc_refuses_a_caller_without_the_admin_token(gateway: Gateway) -> None:
    stranger = gateway.admin(anonymous=True)
    hijack = admin_pb2.UpdatePodRequest(name="pod1", set_endpoints={"compute": ATTACKER})
    for metadata in ((), (("x-auth-token", "guessed"),)):
        with pytest.raises(grpc.RpcError) as err:
            stranger.UpdatePod(hijack, metadata=metadata, timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as err:
            stranger.ListPods(admin_pb2.ListPodsRequest(), metadata=metadata, timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    pod = gateway.admin().GetPod(admin_pb2.GetPodRequest(name="pod1"))
    assert pod.endpoints["compute"] != ATTACKER


def test_admin_rest_refuses_a_caller_without_the_admin_token(gateway: Gateway) -> None:
    pods = f"{gateway.admin_rest_url}/pods"
    for headers in ({}, {"x-auth-token": "guessed"}):
        for method, body in (("GET", None), ("POST", {"pod": {"pod_name": "x", "az_name": "a"}})):
            status, answer_headers, answer = call(method, pods, body, headers=headers)
            assert status == 401, (method, headers, answer)
            assert answer_headers["content-type"] == "application/json"
            assert answer["code"] == grpc.StatusCode.UNAUTHENTICATED.value[0], answer
            assert "admin" in answer["message"]
    status, _, answer = call("GET", pods, headers={"x-auth-token": gateway.admin_token})
    assert status == 200 and {p["pod_name"] for p in answer["pods"]} >= {"pod1", "pod2"}


def test_the_cli_finds_the_admin_token_in_the_state_dir(gateway: Gateway) -> None:
    env = {"PATH": os.environ["PATH"], "PODGATE_SERVER": f"127.0.0.1:{gateway.grpc_port}"}
    for extra, flags in (
        ({}, ["--state-dir", str(gateway.state_dir)]),
        ({"PODGATE_STATE_DIR": str(gateway.state_dir)}, []),
    ):
        result = subprocess.run(
            [*PODGATE, "--json", "pod", "list", *flags],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        assert {p["name"] for p in json.loads(result.stdout)} >= {"pod1", "pod2"}
    lost = subprocess.run(
        [*PODGATE, "pod", "list", "--state-dir", str(gateway.state_dir / "elsewhere")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert lost.returncode == 1 and "UNAUTHENTICATED" in lost.stderr


def test_secrets_are_readable_by_their_owner_only(gateway: Gateway) -> None:
    assert stat.S_IMODE(gateway.state_dir.stat().st_mode) == 0o700
    for name in ("admin-token", "envoy-token", "envoy-bootstrap.yaml"):
        assert stat.S_IMODE((gateway.state_dir / name).stat().st_mode) == 0o600, name
    assert _envoy_token(gateway) in (gateway.state_dir / "envoy-bootstrap.yaml").read_text()


def _ads(gateway: Gateway, requests: list[discovery_pb2.DiscoveryRequest], metadata: tuple) -> list:
    stub = ads_pb2_grpc.AggregatedDiscoveryServiceStub(_channel(gateway))
    return list(stub.StreamAggregatedResources(iter(requests), metadata=metadata, timeout=5))


def test_a_raw_ads_client_without_the_envoy_token_receives_nothing(gateway: Gateway) -> None:
    ask = discovery_pb2.DiscoveryRequest(type_url=CDS)
    ask.node.id = "stranger"
    # A NACK of the first answer's nonce, sent at once: it would show in `podgate status`.
    nack = discovery_pb2.DiscoveryRequest(
        type_url=CDS, response_nonce="1", error_detail=status_pb2.Status(code=3, message="forged")
    )
    for metadata in ((), ((ENVOY_TOKEN_METADATA, "guessed"),)):
        with pytest.raises(grpc.RpcError) as err:
            _ads(gateway, [ask, nack], metadata)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    status = gateway.admin().GetStatus(admin_pb2.GetStatusRequest())
    assert "stranger" not in {proxy.node_id for proxy in status.proxies}

    (answer,) = _ads(gateway, [ask], ((ENVOY_TOKEN_METADATA, _envoy_token(gateway)),))
    assert answer.type_url == CDS and len(answer.resources) >= 4  # two pods, two services


def test_a_raw_ext_proc_client_without_the_envoy_token_is_refused(gateway: Gateway) -> None:
    stub = ep_grpc.ExternalProcessorStub(_channel(gateway))
    ask = request_headers("GET", "/v2.1/", end_of_stream=True)
    service = (SERVICE_METADATA, "compute")
    for metadata in ((service,), (service, (ENVOY_TOKEN_METADATA, "guessed"))):
        with pytest.raises(grpc.RpcError) as err:
            list(stub.Process(iter([ask]), metadata=metadata, timeout=5))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    trusted = (service, (ENVOY_TOKEN_METADATA, _envoy_token(gateway)))
    (answer,) = list(stub.Process(iter([ask]), metadata=trusted, timeout=5))
    assert answer.WhichOneof("response")


def test_admin_changes_are_audited_with_who_where_before_and_after(gateway: Gateway) -> None:
    admin = gateway.admin()
    pod = admin_pb2.Pod(name="audited", az_name="az-audit", endpoints={"compute": ATTACKER})
    admin.CreatePod(admin_pb2.CreatePodRequest(pod=pod))
    admin.UpdatePod(admin_pb2.UpdatePodRequest(name="audited", state=admin_pb2.DRAINING))
    admin.DeletePod(admin_pb2.DeletePodRequest(name="audited"))

    result = subprocess.run(
        [*PODGATE, "--json", "audit", "--since", "1h"],
        env={"PATH": os.environ["PATH"], **gateway.env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    events = [e for e in json.loads(result.stdout) if e["target"] == "pod audited"]
    assert [e["action"] for e in events] == ["CreatePod", "UpdatePod", "DeletePod"]
    for event in events:
        assert event["who"] == "local admin token"
        assert event["peer"].startswith("ipv4:127.0.0.1:"), event
    created, updated, deleted = events
    assert created["before"] == "" and json.loads(created["after"])["state"] == "ENABLED"
    assert json.loads(updated["before"])["state"] == "ENABLED"
    assert json.loads(updated["after"])["state"] == "DRAINING"
    assert json.loads(deleted["before"])["state"] == "DRAINING" and deleted["after"] == ""

    table = subprocess.run(
        [*PODGATE, "audit"], env={"PATH": os.environ["PATH"], **gateway.env},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "state: ENABLED -> DRAINING" in table.stdout, table.stdout
    log = Path(gateway.state_dir / "control-plane.log").read_text()
    assert "admin change" in log and "action=UpdatePod" in log and 'who="local admin token"' in log
