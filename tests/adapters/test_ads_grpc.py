"""The ADS servicer over a real gRPC channel (tests/unit/xds/test_ads.py drives it in-process)."""

import asyncio

import grpc
import pytest
from envoy.service.discovery.v3 import ads_pb2_grpc, discovery_pb2

from control_plane.xds.ads import add_to_server
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.resources import CLUSTER_TYPE
from control_plane.xds.translate import translate
from tests.unit.xds.cases import TESTDATA, load_case

NODE = "envoy-test"


async def test_over_grpc_first_response_arrives_and_delta_is_unimplemented() -> None:
    cache = SnapshotCache()
    cache.set(translate(load_case(TESTDATA / "two_ip_pods.in.yaml")))
    server = grpc.aio.server()
    add_to_server(server, cache)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = ads_pb2_grpc.AggregatedDiscoveryServiceStub(channel)
            call = stub.StreamAggregatedResources()
            request = discovery_pb2.DiscoveryRequest(type_url=CLUSTER_TYPE)
            request.node.id = NODE
            await call.write(request)
            response = await asyncio.wait_for(call.read(), 2)
            assert response.version_info == cache.current.version(CLUSTER_TYPE)
            await call.write(
                discovery_pb2.DiscoveryRequest(
                    type_url=CLUSTER_TYPE,
                    version_info=response.version_info,
                    response_nonce=response.nonce,
                )
            )
            await call.done_writing()
            assert await asyncio.wait_for(call.read(), 2) is grpc.aio.EOF
            assert cache.acked(NODE) == {CLUSTER_TYPE: response.version_info}
            delta = stub.DeltaAggregatedResources()
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await asyncio.wait_for(delta.read(), 2)
            assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await server.stop(None)
