"""A Decision rendered as the ext_proc message Envoy gets (protobuf only, no deciding here).

Envoy 1.40 hands header values over in `raw_value` and reads ours from there; a rewritten body
needs a matching `content-length`, and a new route needs `clear_route_cache`.
"""

from collections.abc import Mapping

from envoy.extensions.filters.http.ext_proc.v3 import processing_mode_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.decision.decisions import Mode, Placed, Route, Target
from control_plane.model import POD_HEADER

__all__ = [
    "buffer",
    "continue_with",
    "immediate",
    "new_body",
    "placed",
    "read_headers",
    "routed",
    "set_headers",
]

_PM = processing_mode_pb2.ProcessingMode


def _mode(*, request_body: bool, response_body: bool) -> processing_mode_pb2.ProcessingMode:
    """Headers always; the bodies asked for, buffered (a response body needs its headers)."""
    return _PM(
        request_header_mode=_PM.SEND,
        response_header_mode=_PM.SEND if response_body else _PM.SKIP,
        request_body_mode=_PM.BUFFERED if request_body else _PM.NONE,
        response_body_mode=_PM.BUFFERED if response_body else _PM.NONE,
        request_trailer_mode=_PM.SKIP,
        response_trailer_mode=_PM.SKIP,
    )


_MODES = {
    # Creates need the body (to schedule and rewrite) and the response (to record the routing).
    Mode.CREATE: _mode(request_body=True, response_body=True),
    # Attach checks, fan-outs with a body and external events need the request body only.
    Mode.BODY: _mode(request_body=True, response_body=False),
}
# A resource shown by a pod that renames its zone (the answer's AZ needs the user-facing name)
# or that links to its own paths (relink.py).
_SHOW_MODE = _mode(request_body=False, response_body=True)
# A resource's GET or DELETE: the answer's status may show it gone (headers, no body).
_WATCH_MODE = _PM(
    request_header_mode=_PM.SEND,
    response_header_mode=_PM.SEND,
    request_body_mode=_PM.NONE,
    response_body_mode=_PM.NONE,
    request_trailer_mode=_PM.SKIP,
    response_trailer_mode=_PM.SKIP,
)


def read_headers(message: ep.HttpHeaders) -> dict[str, str]:
    """Header values as text; Envoy 1.40 sends them in `raw_value` only."""
    return {
        header.key: header.raw_value.decode("latin-1") if header.raw_value else header.value
        for header in message.headers.headers
    }


def set_headers(mutation: ep.HeaderMutation, headers: Mapping[str, str]) -> None:
    """Add `headers` to a mutation's set list (raw_value, as Envoy reads it)."""
    for key, value in headers.items():
        option = mutation.set_headers.add()
        option.header.key = key
        option.header.raw_value = value.encode("latin-1")


def routed(phase: str, route: Route, *, watch: bool = False) -> ep.ProcessingResponse:
    """Send the request on as `route` says, answering the `phase` message (request_headers or
    request_body); a shown resource, a pod's links or an acceptance ask Envoy for the pod's
    answer on the way, a `watch`ed one for its status."""
    showing = route.shown is not None or route.relink or route.moves
    mode = _SHOW_MODE if showing else _WATCH_MODE if watch else None
    return _sent(phase, route.target, route.headers, None, mode)


def placed(create: Placed) -> ep.ProcessingResponse:
    """Send a create to its pod with the body the pod gets, answering the request body."""
    return _sent("request_body", create.target, {}, create.body, None)


def _sent(
    phase: str,
    destination: Target,
    headers: Mapping[str, str],
    body: bytes | None,
    mode: processing_mode_pb2.ProcessingMode | None,
) -> ep.ProcessingResponse:
    response = ep.ProcessingResponse()
    if mode is not None:
        response.mode_override.CopyFrom(mode)
    common = getattr(response, phase).response
    mutated = {POD_HEADER: destination.cluster, ":path": destination.path, **headers}
    if body is not None:
        common.body_mutation.body = body
        mutated["content-length"] = str(len(body))
    set_headers(common.header_mutation, mutated)
    common.clear_route_cache = True
    return response


def buffer(mode: Mode, headers: Mapping[str, str] | None = None) -> ep.ProcessingResponse:
    """Ask Envoy for the body (and maybe the response) before deciding; set `headers` now."""
    response = ep.ProcessingResponse(
        request_headers=ep.HeadersResponse(), mode_override=_MODES[mode]
    )
    if headers:
        set_headers(response.request_headers.response.header_mutation, headers)
    return response


def continue_with(phase: str, headers: Mapping[str, str] | None = None) -> ep.ProcessingResponse:
    """Let the message pass, with `headers` set on it when given."""
    response = ep.ProcessingResponse(**{phase: {}})
    if headers:
        set_headers(getattr(response, phase).response.header_mutation, headers)
    return response


def new_body(phase: str, body: bytes) -> ep.ProcessingResponse:
    """Let the message pass with `body` instead of its own (the pod's answer, rewritten)."""
    response = continue_with(phase, {"content-length": str(len(body))})
    getattr(response, phase).response.body_mutation.body = body
    return response


def immediate(status: int, body: bytes, headers: Mapping[str, str]) -> ep.ProcessingResponse:
    """A JSON response Envoy sends to the client itself (a fault, a merged list, a document)."""
    response = ep.ProcessingResponse()
    answer = response.immediate_response
    answer.status.code = status
    answer.body = body
    set_headers(answer.headers, {"content-type": "application/json", **headers})
    return response
