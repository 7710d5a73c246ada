"""Validate users' tokens with Keystone, caching answers so the hot path rarely waits for it.

Keystone is asked with the gateway's own credentials (GET /v3/auth/tokens, X-Subject-Token), in
threads of the validator's own because keystoneauth1 blocks. Concurrent validations of one token
share one Keystone call. Accepted tokens are cached until min(expiry, TTL), rejected ones for the
negative TTL, in separate LRUs (cache.py); an outage is never cached. Keystone calls are admitted
fairly per client address (admission.py), so a flood of random tokens fails fast for the flooder
and does not delay anyone else. Cache keys are SHA-256 digests: the raw token is neither kept nor
logged.
"""

import asyncio
import hashlib
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeGuard

from keystoneauth1 import access
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from control_plane.errors import Unauthorized
from control_plane.identity.admission import Admission
from control_plane.identity.cache import TokenCache
from control_plane.identity.policy import AdminRule, Caller, Scope
from control_plane.identity.session import IdentityUnavailable, service_session
from control_plane.settings import KeystoneSettings

__all__ = ["TokenCacheStats", "TokenValidator"]

log = logging.getLogger("podgate.identity")

# Keystone's own wording (keystonemiddleware answers the same).
_REJECTED = "The request you have made requires authentication."
_UNAVAILABLE = "The identity service is unavailable."
# What Keystone answers on GET /v3/auth/tokens for a token it does not accept.
_REJECTED_STATUSES = frozenset({400, 401, 404})
# Every Keystone token format (Fernet, JWS, UUID) is base64url or hex, JWS parts joined by dots:
# anything else, or far longer than any of them, is refused without a Keystone call.
_TOKEN = re.compile(r"[A-Za-z0-9_=.-]{1,8192}")


@dataclass(frozen=True, slots=True)
class TokenCacheStats:
    """Counters for metrics; each miss is one Keystone call, joins waited for another's call."""

    hits: int
    misses: int
    joined: int
    size: int


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
        self._cache = TokenCache(
            size=settings.token_cache_size, negative_size=settings.negative_cache_size
        )
        self._admission = Admission(
            total=settings.validation_concurrency,
            per_client=settings.validation_concurrency_per_client,
            backlog=settings.validation_backlog,
            backlog_per_client=settings.validation_backlog_per_client,
            wait_s=settings.validation_wait_s,
        )
        # Threads of its own, as many as admitted calls: nothing else queues before Keystone.
        self._threads = ThreadPoolExecutor(
            settings.validation_concurrency, thread_name_prefix="keystone-tokens"
        )
        self._admin_rule = AdminRule(
            role=settings.admin_role,
            project_id=settings.admin_project_id,
            project_name=settings.admin_project_name,
            project_domain_name=settings.admin_project_domain_name,
            any_project=settings.admin_on_any_project,
        )
        self._pending: dict[bytes, asyncio.Future[Caller]] = {}
        self._hits = self._misses = self._joined = 0

    @property
    def stats(self) -> TokenCacheStats:
        return TokenCacheStats(self._hits, self._misses, self._joined, len(self._cache))

    async def validate(self, token: str | None, *, client: str = "") -> Caller:
        """The token's caller; Unauthorized if absent or rejected, IdentityUnavailable on outage.

        `client`: the requesting address, whose share of Keystone calls a miss uses (IdentityBusy
        when it has none left).
        """
        if not _well_formed(token):
            raise Unauthorized(_REJECTED)
        key = hashlib.sha256(token.encode()).digest()
        answer = self._cache.answer(key, time.monotonic())
        if answer is not None:
            self._hits += 1
            if answer.caller is None:
                raise Unauthorized(_REJECTED)
            return answer.caller
        pending = self._pending.get(key)
        if pending is None:
            self._misses += 1
            pending = asyncio.ensure_future(self._lookup(key, token, client))
            self._pending[key] = pending
            pending.add_done_callback(partial(self._settled, key))
        else:
            self._joined += 1
        return await asyncio.shield(pending)

    async def _lookup(self, key: bytes, token: str, client: str) -> Caller:
        loop = asyncio.get_running_loop()
        async with self._admission.slot(client):
            try:
                caller = await loop.run_in_executor(self._threads, self._fetch, token)
            except Unauthorized:
                self._cache.reject(key, time.monotonic() + self._negative_ttl)
                raise
        lifetime = (caller.expires_at - datetime.now(UTC)).total_seconds()
        self._cache.accept(key, caller, time.monotonic() + min(self._ttl, lifetime))
        return caller

    def _settled(self, key: bytes, future: asyncio.Future[Caller]) -> None:
        """Forget the finished call; mark its error retrieved even if every waiter went away."""
        self._pending.pop(key, None)
        if not future.cancelled():
            future.exception()

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
        return _caller(access.create(resp=resp), self._admin_rule)


def _well_formed(token: str | None) -> TypeGuard[str]:
    """Could be a Keystone token (and is safe to put in a header)."""
    return token is not None and _TOKEN.fullmatch(token) is not None


def _unavailable(exc: ks_exc.ClientException) -> IdentityUnavailable:
    log.warning(
        "keystone token validation failed",
        extra={"error": type(exc).__name__, "http_status": getattr(exc, "http_status", None)},
    )
    return IdentityUnavailable(_UNAVAILABLE)


def _caller(info: access.AccessInfo, rule: AdminRule) -> Caller:
    """The caller a validated token names; cloud admin by `rule`."""
    roles = frozenset(info.role_names or ())
    if info.user_id is None or info.expires is None:
        raise Unauthorized(_REJECTED)
    scope = Scope(
        system=bool(info.system_scoped),
        project_id=info.project_id or "",
        project_name=info.project_name or "",
        project_domain_name=info.project_domain_name or "",
    )
    return Caller(
        user_id=info.user_id,
        project_id=scope.project_id,
        roles=roles,
        is_admin=rule.admits(roles, scope),
        expires_at=info.expires,
        project_admin=rule.admits_project_admin(roles, scope),
    )
