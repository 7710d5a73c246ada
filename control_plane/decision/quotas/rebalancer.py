"""Keeps each pod's share of a project's limits following where the project's usage is.

Every `[quotas] rebalance_s`, for every project (and Nova user) with limits set through the
gateway: read its usage and limits in every pod not DISABLED, compute the pods' limits again
(allocate.py) and give each pod whose limits differ its new ones, as the gateway's service user
(keystone mode) or without a token (noauth: the pods trust the gateway). A pod registered since
gets its share on the next round; a scope whose pods do not all answer waits for the next round.
One log line per pod whose limits change, and `podgate_quota_rebalances` counts them.
"""

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from control_plane.decision.lists.query import pods_to_ask
from control_plane.decision.pods.fanout import Fanout, PodRequest
from control_plane.decision.pods.service_token import ServiceToken
from control_plane.decision.quotas.dialects import DIALECTS, Dialect, log_fields
from control_plane.decision.quotas.view import Requested, plan, pod_body, pod_limits_of, usage_of
from control_plane.errors import PodgateError
from control_plane.metrics import Metrics
from control_plane.model import Pod, PodState, QuotaScope

__all__ = ["Rebalancer", "ScopeStore"]

log = logging.getLogger("podgate.quotas")

# Scopes read and written at once in a round (each asks every pod).
_AT_ONCE = 8


class ScopeStore(Protocol):
    """The scopes with limits set through the gateway, and their limits."""

    async def quota_scopes(self) -> list[QuotaScope]: ...

    async def quota_limits(self, scope: QuotaScope) -> dict[str, int]: ...


class Rebalancer:
    """Moves the pods' shares of every stored limit after the usage, one round at a time."""

    def __init__(
        self,
        *,
        store: ScopeStore,
        fanout: Fanout,
        pods: Callable[[], Mapping[str, Pod]],
        every_s: float,
        metrics: Metrics,
        token: ServiceToken | None = None,
    ) -> None:
        self._store = store
        self._fanout = fanout
        self._pods = pods
        self._every_s = every_s
        self._metrics = metrics
        self._token = token

    async def run(self) -> None:
        """Rebalance every `every_s` until cancelled."""
        while True:
            try:
                await self.rebalance()
            except Exception:
                log.exception("quota rebalancing failed; the pods keep their shares")
            await asyncio.sleep(self._every_s)

    async def rebalance(self) -> int:
        """One round over every stored scope; how many pods got new limits."""
        scopes = await self._store.quota_scopes()
        if not scopes:
            return 0
        try:
            auth = await self._token.current() if self._token is not None else None
        except PodgateError as exc:
            log.warning("quota rebalancing skipped: %s", exc)
            return 0
        headers = {"accept": "application/json", "content-type": "application/json"}
        if auth is not None:
            headers["x-auth-token"] = auth.token
        slots = asyncio.Semaphore(_AT_ONCE)

        async def one(scope: QuotaScope) -> int:
            # A noauth pod takes the target project in its URL; Keystone's needs the token's.
            project = auth.project_id if auth is not None else scope.project_id
            async with slots:
                return await self._scope(scope, project, headers)

        return sum(await asyncio.gather(*(one(scope) for scope in scopes)))

    async def _scope(self, scope: QuotaScope, project: str, headers: Mapping[str, str]) -> int:
        dialect = DIALECTS[scope.service]
        counted = pods_to_ask(self._pods().values(), scope.service, None)
        limits = await self._store.quota_limits(scope)
        if not counted or not limits:
            return 0
        remainder, query = dialect.detail_request(scope.project_id, scope.user_id)
        read = PodRequest(scope.service, "GET", project, remainder, query, headers)
        replies = await self._fanout.all(counted, read)
        if self._token is not None and any(reply.status == 401 for reply in replies):
            self._token.invalidate()
        documents: dict[str, dict[str, Any]] = {}
        for reply in replies:
            document = _document(reply.body) if reply.ok else None
            if document is None:
                log.warning(
                    "quota not rebalanced: no usage from a pod",
                    extra={**log_fields(scope), "pod": reply.pod, "http_status": reply.status},
                )
                return 0
            documents[reply.pod] = document
        usage = {pod: usage_of(dialect, document) for pod, document in documents.items()}
        current = {pod: pod_limits_of(dialect, document) for pod, document in documents.items()}
        open_pods = [pod.name for pod in counted if pod.state == PodState.ENABLED]
        given = plan(dialect, limits, usage, open_pods)
        changes = [
            (pod, new) for pod in counted if (new := _changed(given[pod.name], current[pod.name]))
        ]
        if not changes:
            return 0
        set_remainder, set_query = dialect.set_request(scope.project_id, scope.user_id)
        writes = [
            (pod, _write(dialect, scope, project, set_remainder, set_query, headers, new))
            for pod, new in changes
        ]
        replies = await self._fanout.each(writes)
        done = 0
        for (pod, new), reply in zip(changes, replies, strict=True):
            before = {name: current[pod.name].get(name) for name in new}
            if not reply.ok:
                log.warning(
                    "quota not rebalanced: the pod refused its share",
                    extra={**log_fields(scope), "pod": pod.name, "http_status": reply.status},
                )
                continue
            done += 1
            self._metrics.quota_rebalances.labels(str(scope.service), pod.name).inc()
            log.info(
                "quota rebalanced",
                extra={
                    **log_fields(scope),
                    "pod": pod.name,
                    "before": json.dumps(before),
                    "after": json.dumps(new),
                    "usage": json.dumps({name: usage[pod.name].get(name, 0) for name in new}),
                },
            )
        return done


def _changed(wanted: Mapping[str, int], current: Mapping[str, int]) -> dict[str, int]:
    return {name: limit for name, limit in wanted.items() if current.get(name) != limit}


def _write(
    dialect: Dialect,
    scope: QuotaScope,
    project: str,
    remainder: str,
    query: str,
    headers: Mapping[str, str],
    limits: Mapping[str, int],
) -> PodRequest:
    body = pod_body(dialect, Requested(limits, {dialect.key: {}}), limits)
    return PodRequest(scope.service, "PUT", project, remainder, query, headers, body)


def _document(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None
