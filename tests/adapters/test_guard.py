"""The Guard over a real grpc.aio server: each method refuses all but its own credential."""

from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime

import grpc
import pytest

from control_plane.auth.guard import AdminCheck, Guard
from control_plane.auth.principal import LOCAL_ADMIN, current_principal
from control_plane.errors import Forbidden, Unauthorized
from control_plane.identity import Caller, NoAuthGate

ENVOY, WORKER, ADMIN = "envoy-secret", "worker-secret", "admin-secret"
_ADMIN_METHOD = "/podgate.admin.v1.PodAdmin/ListPods"
_ENVOY_METHOD = "/envoy.service.ext_proc.v3.ExternalProcessor/Process"
_WORKER_METHOD = "/podgate.internal.v1.Workers/Follow"
_UNLISTED = "/grpc.health.v1.Health/Check"


class RoleGate:
    """Keystone stand-in: "kadmin" is an admin, "kmember" is not, anything else is 401."""

    async def caller(self, token: str | None) -> Caller | None:
        if token not in ("kadmin", "kmember"):
            raise Unauthorized("no such token")
        return Caller(token, "p", frozenset(), token == "kadmin", datetime.now(UTC))


async def _who(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    principal = current_principal()
    return principal.who.encode() if principal else b"-"


async def _echo(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
) -> AsyncIterator[bytes]:
    async for request in requests:
        yield request


def _handlers() -> grpc.GenericRpcHandler:
    unary = grpc.unary_unary_rpc_method_handler(_who)
    stream = grpc.stream_stream_rpc_method_handler(_echo)
    table = {_ADMIN_METHOD: unary, _UNLISTED: unary, _ENVOY_METHOD: stream, _WORKER_METHOD: stream}

    class Handlers(grpc.GenericRpcHandler):
        def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
            return table.get(details.method)

    return Handlers()


@pytest.fixture(params=["noauth", "keystone"])
async def channel(request: pytest.FixtureRequest) -> AsyncIterator[grpc.aio.Channel]:
    gate = RoleGate() if request.param == "keystone" else NoAuthGate()
    guard = Guard(envoy_token=ENVOY, admin=AdminCheck(ADMIN, gate), worker_token=WORKER)
    server = grpc.aio.server(interceptors=[guard])
    server.add_generic_rpc_handlers((_handlers(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
            yield opened
    finally:
        await server.stop(None)


async def _unary(channel: grpc.aio.Channel, method: str, metadata: tuple) -> bytes:
    return await channel.unary_unary(method)(b"x", metadata=metadata, timeout=5)


async def _stream(channel: grpc.aio.Channel, method: str, metadata: tuple) -> list[bytes]:
    call = channel.stream_stream(method)(iter([b"x"]), metadata=metadata, timeout=5)
    return [reply async for reply in call]


async def _code(call: Awaitable[object]) -> grpc.StatusCode | None:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return None


async def test_admin_methods_take_the_local_admin_token_only(channel: grpc.aio.Channel) -> None:
    assert await _unary(channel, _ADMIN_METHOD, (("x-auth-token", ADMIN),)) == LOCAL_ADMIN.encode()
    for metadata in ((), (("x-auth-token", ENVOY),), (("x-podgate-envoy-token", ENVOY),)):
        code = await _code(_unary(channel, _ADMIN_METHOD, metadata))
        assert code == grpc.StatusCode.UNAUTHENTICATED, metadata


async def test_envoy_methods_take_the_envoy_token_only(channel: grpc.aio.Channel) -> None:
    assert await _stream(channel, _ENVOY_METHOD, (("x-podgate-envoy-token", ENVOY),)) == [b"x"]
    for metadata in ((), (("x-podgate-envoy-token", ADMIN),), (("x-auth-token", ADMIN),)):
        code = await _code(_stream(channel, _ENVOY_METHOD, metadata))
        assert code == grpc.StatusCode.UNAUTHENTICATED, metadata


async def test_the_worker_link_takes_the_link_token_only(channel: grpc.aio.Channel) -> None:
    assert await _stream(channel, _WORKER_METHOD, (("x-podgate-link-token", WORKER),)) == [b"x"]
    code = await _code(_stream(channel, _WORKER_METHOD, (("x-podgate-envoy-token", ENVOY),)))
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_an_unlisted_method_is_refused_whatever_it_shows(channel: grpc.aio.Channel) -> None:
    for metadata in ((("x-auth-token", ADMIN),), (("x-podgate-envoy-token", ENVOY),)):
        code = await _code(_unary(channel, _UNLISTED, metadata))
        assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_keystone_admins_pass_by_role_and_members_do_not() -> None:
    check = AdminCheck(ADMIN, RoleGate())
    assert await check.who("kadmin") == "kadmin"
    assert await check.who(ADMIN) == LOCAL_ADMIN
    with pytest.raises(Forbidden, match="admin"):
        await check.who("kmember")
    with pytest.raises(Unauthorized):
        await check.who(None)
