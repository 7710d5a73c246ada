"""Generated hostile input to the admin API: gRPC PodAdmin and Trio2o's /v1.0 REST on Envoy.

gRPC answers only with the codes that name the caller's mistake (never UNKNOWN or INTERNAL);
REST answers every request with JSON and no 5xx; every process is alive at the end.
"""

import dataclasses
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.procs import SimPod
from podgate_api.admin.v1 import admin_pb2
from tests.fuzz.admin_strategies import admin_calls, rest_requests
from tests.fuzz.raw_http import RawAnswer, RawRequest, send
from tests.fuzz.tally import Tally

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

GRPC_EXAMPLES = 180
REST_EXAMPLES = 80
BATCH = (20, 30)
THREADS = 8
ENDPOINTS = {"compute": "http://127.0.0.1:1/compute/v2.1"}
CALLERS_MISTAKES = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
}


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("admin-fuzz")) as running:
        yield running


def _alive(gateway: Gateway, pods: dict[str, SimPod]) -> None:
    assert gateway.control_plane is not None and gateway.control_plane.alive()
    assert gateway.envoy is not None and gateway.envoy.alive()
    assert all(pod.proc.alive() for pod in pods.values())
    assert "unexpected error" not in gateway.control_plane.output().lower()


def test_admin_grpc_answers_only_with_callers_mistakes(cloud, tally: Tally) -> None:
    gateway, pods = cloud
    channel = grpc.insecure_channel(f"127.0.0.1:{gateway.grpc_port}")
    admin = (("x-auth-token", gateway.admin_token),)  # past the admin check, into the service
    methods = {
        name: channel.unary_unary(
            f"/podgate.admin.v1.PodAdmin/{name}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=lambda data: data,
        )
        for name in admin_pb2.DESCRIPTOR.services_by_name["PodAdmin"].methods_by_name
    }

    @fuzz_settings(GRPC_EXAMPLES)
    @given(batch=lists_of(admin_calls()))
    def fuzz(batch: list[tuple[str, object]]) -> None:
        futures = [
            methods[name].future(request, timeout=10, metadata=admin) for name, request in batch
        ]
        codes = [_code(future) for future in futures]
        tally.requests["admin gRPC"] += len(batch)
        wrong = [
            f"{name}({request}) -> {code.name}: {details}"
            for (name, request), (code, details) in zip(batch, codes, strict=True)
            if code not in CALLERS_MISTAKES
        ]
        assert not wrong, "\n".join(wrong[:5])

    try:
        fuzz()
    finally:
        channel.close()
    _alive(gateway, pods)


def test_admin_rest_answers_json_without_5xx(cloud, tally: Tally) -> None:
    gateway, pods = cloud
    # The gRPC fuzz may have deleted pod1 and pod2: this test brings its own pod.
    pod = admin_pb2.Pod(name="rest-pod", az_name="az-rest", endpoints=ENDPOINTS)
    pod_ids = (gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=pod)).id,)

    token = gateway.admin_token.encode()

    def admin(request: RawRequest) -> RawRequest:
        """The request with the admin token, so that it reaches the service behind the check."""
        return dataclasses.replace(request, headers=((b"x-auth-token", token), *request.headers))

    @fuzz_settings(REST_EXAMPLES)
    @given(batch=lists_of(rest_requests(pod_ids)))
    def fuzz(batch: list[RawRequest]) -> None:
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(lambda r: send(gateway.admin_rest_port, r), map(admin, batch)))
        tally.requests["admin REST"] += len(batch)
        wrong = [
            f"{request!r} -> {answer.status}: {answer.body[:200]!r}"
            for request, answer in zip(batch, answers, strict=True)
            if not _proper(request, answer)
        ]
        assert not wrong, "\n".join(wrong[:5])

    fuzz()
    _alive(gateway, pods)


def lists_of(strategy: st.SearchStrategy) -> st.SearchStrategy[list]:
    return st.lists(strategy, min_size=BATCH[0], max_size=BATCH[1])


def _code(future: grpc.Future) -> tuple[grpc.StatusCode, str]:
    try:
        future.result()
    except grpc.RpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


def _proper(request: RawRequest, answer: RawAnswer) -> bool:
    """Below 500, and a JSON body wherever there is a body to read."""
    if not 200 <= answer.status < 500:
        return False
    if request.method == b"HEAD" or not answer.body:
        return answer.status < 400 or request.method == b"HEAD"
    try:
        json.loads(answer.body)
    except ValueError:
        return False
    return True
