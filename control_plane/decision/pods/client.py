"""HTTP requests from the control plane to pods, over one pooled aiohttp session.

This is the decision service's only outgoing HTTP: GETs for lists and version documents
(`PodFetch`), other methods for requests the gateway splits itself (`PodSend`), both faked in
tests. Transport trouble leaves as PodCallError; every HTTP status, error or not, is an answer
for the caller to judge. So does an answer body above the configured bound: it is never read
whole, so a pod cannot make the gateway hold hundreds of megabytes.
"""

import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from control_plane.settings import DecisionSettings

__all__ = [
    "PodCallError",
    "PodClient",
    "PodFetch",
    "PodResponse",
    "PodSend",
    "forwarded_headers",
]

# RFC 9110 §7.6.1 hop-by-hop headers, plus what must describe the pod request, not the client's.
_DROPPED = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
     "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "x-request-id"}
)  # fmt: skip
_DROPPED_PREFIXES = (":", "x-podgate-", "x-envoy-", "x-forwarded-")
# Below the pods' keep-alive (gunicorn 2 s), as Envoy's upstream idle timeout: a POST is never
# sent into a connection the pod is closing (aiohttp repeats only idempotent requests).
_KEEPALIVE_S = 1.0
_DEFAULT_MAX_ANSWER = DecisionSettings().max_pod_answer_bytes
_CHUNK = 256 * 1024


class PodCallError(Exception):
    """The pod could not be reached or did not answer in HTTP."""


@dataclass(frozen=True, slots=True)
class PodResponse:
    """A pod's answer: status and raw body."""

    status: int
    body: bytes


class PodFetch(Protocol):
    """GET a URL from a pod; raises PodCallError when there is no HTTP answer."""

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse: ...


class PodSend(Protocol):
    """Send a request with a body to a pod; raises PodCallError when there is no HTTP answer."""

    async def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> PodResponse: ...


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The client's headers a pod should see: its token, microversion, accept, ...

    Hop-by-hop headers, Host, Content-Length, pseudo-headers and the gateway's own
    (x-podgate-*, x-envoy-*, x-forwarded-*, x-request-id) stay behind.
    """
    return {
        key: value
        for key, value in headers.items()
        if key.lower() not in _DROPPED and not key.lower().startswith(_DROPPED_PREFIXES)
    }


class PodClient:
    """A PodFetch over one connection pool, created on first use on the running loop.

    `tls` gives each URL's certificate check (pod_tls.PodTls); by default the system's CAs.
    """

    def __init__(
        self,
        *,
        connections: int = 100,
        tls: Callable[[str], ssl.SSLContext | bool] | None = None,
        max_answer_bytes: int = _DEFAULT_MAX_ANSWER,
    ) -> None:
        self._connections = connections
        self._tls = tls or _system_check
        self._max_answer_bytes = max_answer_bytes
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        """GET `url`; the caller bounds the time (asyncio.timeout) as it sees fit."""
        return await self.send("GET", url, headers, None)

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> PodResponse:
        """`method` on `url` with `body` (a PodSend); the caller bounds the time."""
        session = self._session_here()
        check = self._tls(url)
        try:
            # NOTE: an empty body must go as no body: aiohttp would label b"" as
            # application/octet-stream, and real Nova answers that GET with 415.
            async with session.request(
                method, url, headers=headers, data=body or None, allow_redirects=False, ssl=check
            ) as response:
                return PodResponse(response.status, await self._bounded_body(response))
        except (aiohttp.ClientError, OSError) as exc:
            raise PodCallError(f"{type(exc).__name__}: {exc}") from exc

    async def _bounded_body(self, response: aiohttp.ClientResponse) -> bytes:
        """The whole body, or PodCallError as soon as it is known to exceed the bound.

        The connection of a refused answer is closed, not drained: its rest is never read.
        """
        limit = self._max_answer_bytes
        if response.content_length is not None and response.content_length > limit:
            response.close()
            raise PodCallError(f"answer of {response.content_length} bytes above {limit}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                response.close()
                raise PodCallError(f"answer above {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def close(self) -> None:
        """Close the pool; a later call opens a new one."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _session_here(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # NOTE: no cookie jar: a cookie one user's request got must never ride on another's.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._connections, ttl_dns_cache=60, keepalive_timeout=_KEEPALIVE_S
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None),
                raise_for_status=False,
            )
        return self._session


def _system_check(url: str) -> bool:
    """aiohttp's own default: verify against the system's CAs."""
    return True
