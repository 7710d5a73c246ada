"""Tokens checked as Nova and Cinder check them (`--keystone-url`): keystonemiddleware, then the
URL's project against the token's.

keystonemiddleware asks Keystone (GET /v3/auth/tokens, with the pod's own service token) about
each token it has not cached, keeps the answer for `token_cache_time` (300 s by default: a token
revoked meanwhile still works until then), and answers 401 with its JSON error and a
`WWW-Authenticate` header to a request without a token or with one Keystone refuses. Nova and
Cinder then refuse a URL naming another project than the token's with 400 (wsgi.py,
`_process_stack`). Version documents need no token. Without `--keystone-url` podsim checks
nothing (noauth tests, and pods a gateway must not trust).
"""

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from podsim.faults import fault_body

__all__ = ["KeystoneAuth", "TokenCheck", "token_checks"]

_log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Version documents: outside keystonemiddleware in Nova's, Cinder's and Neutron's paste pipelines.
_OPEN = frozenset(
    {"/", "/compute", "/compute/", "/compute/v2.1", "/compute/v2.1/", "/volume", "/volume/"}
    | {"/volume/v3", "/volume/v3/", "/network", "/network/"}
)
# keystonemiddleware's own words (auth_token/__init__.py, AuthProtocol.process_request).
_UNAUTHORIZED = {
    "error": {
        "code": 401,
        "title": "Unauthorized",
        "message": "The request you have made requires authentication.",
    }
}
_NOVA_MISMATCH = (
    "Malformed request URL: URL's project_id '{url}' doesn't match Context's project_id '{token}'"
)
_CINDER_MISMATCH = "Malformed request url"


@dataclass(frozen=True, slots=True)
class KeystoneAuth:
    """Where tokens are checked and as whom ([keystone_authtoken] of nova.conf/cinder.conf)."""

    auth_url: str
    username: str
    password: str = field(repr=False)
    project_name: str
    token_cache_time_s: float = 300.0


@dataclass(frozen=True, slots=True)
class _Cached:
    project_id: str | None  # None: Keystone refused the token ("" for a system-scoped one)
    until: float


class TokenCheck:
    """The middleware; one Keystone session per pod, opened on first use."""

    def __init__(self, auth: KeystoneAuth) -> None:
        self._auth = auth
        self._url = auth.auth_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._service_token = ""
        self._cache: dict[bytes, _Cached] = {}
        self._lock = asyncio.Lock()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in _OPEN:
            return await handler(request)
        token = request.headers.get("X-Auth-Token", "")
        project = await self._project_of(token) if token else None
        if project is None:
            www = f'Keystone uri="{self._url.removesuffix("/v3")}"'
            return web.json_response(_UNAUTHORIZED, status=401, headers={"WWW-Authenticate": www})
        in_url = request.match_info.get("project_id")
        if in_url and in_url != project:
            nova = request.path.startswith("/compute/")
            text = _NOVA_MISMATCH.format(url=in_url, token=project) if nova else _CINDER_MISMATCH
            return web.json_response(fault_body(400, text), status=400)
        return await handler(request)

    async def close(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def _project_of(self, token: str) -> str | None:
        """The token's project as Keystone last said, within the cache time."""
        key = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached is not None and cached.until > now:
            return cached.project_id
        project = await self._validate(token)
        self._cache[key] = _Cached(project, now + self._auth.token_cache_time_s)
        return project

    async def _validate(self, token: str) -> str | None:
        session = self._http()
        for _ in range(2):
            headers = {"X-Auth-Token": await self._own_token(), "X-Subject-Token": token}
            url = f"{self._url}/auth/tokens?nocatalog"
            async with session.get(url, headers=headers) as response:
                if response.status == 200:
                    project = (await response.json())["token"].get("project") or {}
                    return str(project.get("id", ""))
                if response.status != 401:
                    return None
            self._service_token = ""  # ours expired: a new one, once
        return None

    async def _own_token(self) -> str:
        async with self._lock:
            if not self._service_token:
                self._service_token = await self._authenticate()
            return self._service_token

    async def _authenticate(self) -> str:
        auth = self._auth
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": auth.username,
                            "password": auth.password,
                            "domain": {"id": "default"},
                        }
                    },
                },
                "scope": {"project": {"name": auth.project_name, "domain": {"id": "default"}}},
            }
        }
        async with self._http().post(
            f"{self._url}/auth/tokens?nocatalog",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        ) as response:
            if response.status != 201:
                _log.warning("keystone refused podsim's service user: %s", response.status)
                raise web.HTTPServiceUnavailable(reason="The identity service is unavailable.")
            return response.headers["X-Subject-Token"]

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._session


def token_checks(auth: KeystoneAuth | None) -> list[TokenCheck]:
    """The pod's token check, if it has one."""
    return [] if auth is None else [TokenCheck(auth)]
