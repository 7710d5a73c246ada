"""DecisionService served by a real grpc.aio server on 127.0.0.1, as Envoy reaches it."""

import grpc
import pytest
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc

from control_plane.decision.extproc import add_to_server
from control_plane.model import ResourceType
from tests.unit.decision.extproc_harness import Gateway, request_headers, set_headers
from tests.unit.decision.fake_pods import pod

COMPUTE = {"compute": "http://10.0.0.1:8774/v2.1"}


@pytest.fixture
def gateway() -> Gateway:
    return Gateway(pod("a", "az1", 2, endpoints=COMPUTE), pod("b", "az1", 1, endpoints=COMPUTE))


async def test_served_over_grpc_with_the_listener_in_metadata(gateway: Gateway) -> None:
    await gateway.route(ResourceType.SERVER, "s1", "a")
    server = grpc.aio.server()
    add_to_server(server, gateway.service)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = ep_grpc.ExternalProcessorStub(channel)
            call = stub.Process(metadata=(("x-podgate-service", "compute"),))
            await call.write(request_headers("GET", "/v2.1/p1/servers/s1"))
            response = await call.read()
            await call.done_writing()
            assert set_headers(response.request_headers.response.header_mutation)[
                "x-podgate-pod"
            ] == ("pod.a.compute")
    finally:
        await server.stop(grace=None)
