"""Drive DecisionService.Process the way Envoy does: one scripted message at a time."""

import asyncio
from collections.abc import AsyncIterator, Mapping

from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.decision.extproc import DecisionService


class FakeContext:
    """The one thing Process reads from its gRPC context: the call's metadata."""

    def __init__(self, service: str | None) -> None:
        self._metadata = (("x-podgate-service", service),) if service else ()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata


class Stream:
    """One ext_proc stream; `send` hands Process a message and returns its answer."""

    def __init__(self, service: DecisionService, listener: str | None) -> None:
        self._queue: asyncio.Queue[ep.ProcessingRequest] = asyncio.Queue()
        self._responses = service.Process(self._requests(), FakeContext(listener))

    async def _requests(self) -> AsyncIterator[ep.ProcessingRequest]:
        while True:
            yield await self._queue.get()

    async def send(self, message: ep.ProcessingRequest) -> ep.ProcessingResponse:
        self._queue.put_nowait(message)
        return await asyncio.wait_for(anext(self._responses), timeout=5)

    async def close(self) -> None:
        """Envoy ends the stream (the request is over or its client went away)."""
        await self._responses.aclose()


def _header_map(headers: Mapping[str, str]) -> base_pb2.HeaderMap:
    return base_pb2.HeaderMap(
        headers=[base_pb2.HeaderValue(key=k, raw_value=v.encode()) for k, v in headers.items()]
    )


def request_headers(
    method: str,
    path: str,
    *,
    request_id: str | None = "rid-1",
    end_of_stream: bool = False,
    extra: Mapping[str, str] | None = None,
) -> ep.ProcessingRequest:
    headers = {":method": method, ":path": path, ":authority": "gw", **(extra or {})}
    if request_id is not None:
        headers["x-request-id"] = request_id
    return ep.ProcessingRequest(
        request_headers=ep.HttpHeaders(headers=_header_map(headers), end_of_stream=end_of_stream)
    )


def request_body(body: bytes) -> ep.ProcessingRequest:
    return ep.ProcessingRequest(request_body=ep.HttpBody(body=body, end_of_stream=True))


def response_headers(status: int) -> ep.ProcessingRequest:
    headers = {":status": str(status), "content-type": "application/json"}
    return ep.ProcessingRequest(response_headers=ep.HttpHeaders(headers=_header_map(headers)))


def response_body(body: bytes) -> ep.ProcessingRequest:
    return ep.ProcessingRequest(response_body=ep.HttpBody(body=body, end_of_stream=True))


def set_headers(mutation: ep.HeaderMutation) -> dict[str, str]:
    """A header mutation's set_headers as a dict (values from raw_value, as Envoy reads them)."""
    return {option.header.key: option.header.raw_value.decode() for option in mutation.set_headers}
