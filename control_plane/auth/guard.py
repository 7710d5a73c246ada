"""The Guard: every call on a control-plane gRPC port shows the credential its method needs.

Admin methods: the state dir's admin token, or (keystone mode) a Keystone token with the admin
role. ADS and ext_proc: Envoy's token. The worker link: the token the main process gave its
workers. Anything else is refused: UNAUTHENTICATED, and the servicer never runs.
"""

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc

from control_plane.auth.methods import Credential, required_credential
from control_plane.auth.principal import LOCAL_ADMIN, Principal, bind_principal
from control_plane.errors import Forbidden, PodgateError, Unauthorized
from control_plane.identity import Gate, IdentityUnavailable, require_admin
from control_plane.model import ENVOY_TOKEN_METADATA, TOKEN_METADATA
from control_plane.workers.messages import LINK_TOKEN_METADATA

__all__ = ["AdminCheck", "Guard"]

log = logging.getLogger("podgate.auth")

_CODES: tuple[tuple[type[PodgateError], grpc.StatusCode], ...] = (
    (Unauthorized, grpc.StatusCode.UNAUTHENTICATED),
    (Forbidden, grpc.StatusCode.PERMISSION_DENIED),
    (IdentityUnavailable, grpc.StatusCode.UNAVAILABLE),
)
_Handler = grpc.RpcMethodHandler


def _same(given: object, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one."""
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(given, expected)


class AdminCheck:
    """Who an admin caller is: the local admin token first, then Keystone (keystone mode).

    NOTE: keystone mode accepts the local admin token too. Whoever can read the state dir can
    already read the database and the gateway's Keystone password, and a first admin must be
    able to register pods before any Keystone role is set up.
    """

    def __init__(self, admin_token: str, gate: Gate) -> None:
        self._token = admin_token
        self._gate = gate

    async def who(self, token: str | None) -> str:
        """The caller's name for the audit log; raises Unauthorized / Forbidden."""
        if _same(token, self._token):
            return LOCAL_ADMIN
        caller = await self._gate.caller(token) if token else None
        if caller is None:  # noauth, or no token at all
            raise Unauthorized(
                "An admin credential is required: the admin token (X-Auth-Token) from the "
                "control plane's state dir or PODGATE_ADMIN_TOKEN, or a Keystone admin token."
            )
        require_admin(caller)
        return caller.user_id


class Guard(grpc.aio.ServerInterceptor):
    """One place that decides, per method, which credential a call must show."""

    def __init__(
        self, *, envoy_token: str, admin: AdminCheck | None = None, worker_token: str = ""
    ) -> None:
        self._envoy_token = envoy_token
        self._admin = admin
        self._worker_token = worker_token

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None  # not served here: UNIMPLEMENTED
        method = handler_call_details.method
        metadata: Mapping[str, Any] = dict(handler_call_details.invocation_metadata or ())
        need = required_credential(method)
        shown = {
            Credential.ENVOY: (metadata.get(ENVOY_TOKEN_METADATA), self._envoy_token),
            Credential.WORKER: (metadata.get(LINK_TOKEN_METADATA), self._worker_token),
        }
        if need in shown and _same(*shown[need]):
            return handler
        if need is Credential.ADMIN and self._admin is not None and handler.unary_unary:
            return _as_admin(handler, self._admin, metadata.get(TOKEN_METADATA))
        log.warning("control-plane call refused", extra={"method": method, "needs": str(need)})
        return _refusal(handler, f"{method} needs the {need or 'no'} credential")


def _as_admin(handler: _Handler, admin: AdminCheck, token: object) -> _Handler:
    """The handler, run only once the caller is known to be an admin (then the Principal)."""
    behavior = handler.unary_unary

    async def checked(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            who = await admin.who(token if isinstance(token, str) else None)
        except PodgateError as exc:
            code = next((c for kind, c in _CODES if isinstance(exc, kind)), None)
            log.warning("admin call refused", extra={"peer": context.peer(), "reason": exc.status})
            await context.abort(code or grpc.StatusCode.INTERNAL, exc.message)
        bind_principal(Principal(who=who, peer=context.peer()))
        return await behavior(request, context)

    return grpc.unary_unary_rpc_method_handler(
        checked,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _refusal(handler: _Handler, message: str) -> _Handler:
    """A handler of the same shape as `handler` that only answers UNAUTHENTICATED."""

    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    kinds = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    make = kinds[(handler.request_streaming, handler.response_streaming)]
    return make(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
