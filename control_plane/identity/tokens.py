"""Validate users' tokens with Keystone, caching answers so the hot path rarely waits for it.

Keystone is asked with the gateway's own credentials (GET /v3/auth/tokens, X-Subject-Token), in a
thread because keystoneauth1 blocks. Concurrent validations of one token share one Keystone call.
Accepted tokens are cached until min(expiry, TTL), rejected ones for the negative TTL; an outage is
never cached. Cache keys are SHA-256 digests: the raw token is neither kept nor logged.
"""

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeGuard

from keystoneauth1 import access
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from control_plane.errors import Unauthorized
from control_plane.identity.policy import ADMIN_ROLE, Caller
from control_plane.identity.session import IdentityUnavailable, service_session
from control_plane.settings import KeystoneSettings

__all__ = ["TokenCacheStats", "TokenValidator"]

log = logging.getLogger("podgate.identity")

# Keystone's own wording (keystonemiddleware answers the same).
_REJECTED = "The request you have made requires authentication."
_UNAVAILABLE = "The identity service is unavailable."
# What Keystone answers on GET /v3/auth/tokens for a token it does not accept.
_REJECTED_STATUSES = frozenset({400, 401, 404})
# Fernet tokens are ~200 bytes; anything far longer or unprintable never reaches Keystone.
_MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class TokenCacheStats:
    """Counters for metrics; each miss is one Keystone call, joins waited for another's call."""

    hits: int
    misses: int
    joined: int
    size: int


@dataclass(frozen=True, slots=True)
class _Entry:
    """A cached answer: the caller, or None when Keystone rejected the token."""

    caller: Caller | None
    until: float


class TokenValidator:
    """Turns an X-Auth-Token into a Caller, asking Keystone only on a cache miss."""

    def __init__(
        self, settings: KeystoneSettings, *, session: ks_session.Session | None = None
    ) -> None:
        self._session = session or service_session(settings)
        self._identity = {
            "service_type": "identity",
            "interface": settings.interface,
            "region_name": settings.region_name,
        }
        self._ttl = settings.token_cache_ttl_s
        self._negative_ttl = settings.negative_cache_ttl_s
        self._max_entries = settings.token_cache_size
        self._cache: OrderedDict[bytes, _Entry] = OrderedDict()
        self._pending: dict[bytes, asyncio.Future[Caller]] = {}
        self._hits = self._misses = self._joined = 0

    @property
    def stats(self) -> TokenCacheStats:
        return TokenCacheStats(self._hits, self._misses, self._joined, len(self._cache))

    async def validate(self, token: str | None) -> Caller:
        """The token's caller; Unauthorized if absent or rejected, IdentityUnavailable on outage."""
        if not _well_formed(token):
            raise Unauthorized(_REJECTED)
        key = hashlib.sha256(token.encode()).digest()
        entry = self._cache.get(key)
        if entry is not None and entry.until > time.monotonic():
            self._cache.move_to_end(key)
            self._hits += 1
            if entry.caller is None:
                raise Unauthorized(_REJECTED)
            return entry.caller
        pending = self._pending.get(key)
        if pending is None:
            self._misses += 1
            pending = asyncio.ensure_future(self._lookup(key, token))
            self._pending[key] = pending
            pending.add_done_callback(partial(self._settled, key))
        else:
            self._joined += 1
        return await asyncio.shield(pending)

    async def _lookup(self, key: bytes, token: str) -> Caller:
        try:
            caller = await asyncio.to_thread(self._fetch, token)
        except Unauthorized:
            self._store(key, _Entry(None, time.monotonic() + self._negative_ttl))
            raise
        lifetime = (caller.expires_at - datetime.now(UTC)).total_seconds()
        self._store(key, _Entry(caller, time.monotonic() + min(self._ttl, lifetime)))
        return caller

    def _settled(self, key: bytes, future: asyncio.Future[Caller]) -> None:
        """Forget the finished call; mark its error retrieved even if every waiter went away."""
        self._pending.pop(key, None)
        if not future.cancelled():
            future.exception()

    def _store(self, key: bytes, entry: _Entry) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)

    def _fetch(self, token: str) -> Caller:
        """One blocking Keystone validation (runs in a worker thread)."""
        try:
            resp = self._session.get(
                "/auth/tokens?nocatalog",
                endpoint_filter=self._identity,
                headers={"X-Subject-Token": token},
                log=False,
            )
        except ks_exc.HttpError as exc:
            # NOTE: a failing POST is the gateway's own (re-)authentication, not the user's token.
            if exc.method == "GET" and exc.http_status in _REJECTED_STATUSES:
                raise Unauthorized(_REJECTED) from exc
            raise _unavailable(exc) from exc
        except ks_exc.ClientException as exc:
            raise _unavailable(exc) from exc
        return _caller(access.create(resp=resp))


def _well_formed(token: str | None) -> TypeGuard[str]:
    """Worth asking Keystone about (and safe to put in a header)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    return token.isascii() and token.isprintable()


def _unavailable(exc: ks_exc.ClientException) -> IdentityUnavailable:
    log.warning(
        "keystone token validation failed",
        extra={"error": type(exc).__name__, "http_status": getattr(exc, "http_status", None)},
    )
    return IdentityUnavailable(_UNAVAILABLE)


def _caller(info: access.AccessInfo) -> Caller:
    roles = frozenset(info.role_names or ())
    if info.user_id is None or info.expires is None:
        raise Unauthorized(_REJECTED)
    return Caller(
        user_id=info.user_id,
        project_id=info.project_id or "",
        roles=roles,
        is_admin=ADMIN_ROLE in roles,
        expires_at=info.expires,
    )
