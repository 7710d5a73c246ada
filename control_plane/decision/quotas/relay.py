"""Quota requests (`os-quota-sets`, `limits`, Neutron's `quotas`) answered across the pods.

Reads ask every pod not DISABLED and show the limits set through the gateway (the store's),
usage summed (view.py). A write reads the scope's usage in every pod first, is refused as the
API refuses a limit below usage, then gives each pod its share (allocate.py) and only once
every pod took its share stores the new limits: a refusal leaves the store as it was, and the
rebalancer puts back the shares of pods that took one. A DELETE resets every pod and forgets
the stored limits. Defaults and quota classes are the pods' configuration, alike everywhere:
read from the first pod that answers, written to every ENABLED pod.
"""

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from control_plane.decision.lists.query import pods_to_ask
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout, PodRequest, usable_pods
from control_plane.decision.pods.reply import Reply
from control_plane.decision.quotas.dialects import (
    DIALECTS,
    Addressed,
    Dialect,
    addressed,
    log_fields,
)
from control_plane.decision.quotas.view import (
    Requested,
    below_usage,
    limits_shown,
    plan,
    pod_body,
    requested,
    usage_of,
)
from control_plane.decision.shared.merge import Answer, pick_one, refusal
from control_plane.decision.zone_faults import NO_ZONE
from control_plane.errors import fault_body
from control_plane.model import Pod, PodState, QuotaScope

__all__ = ["QuotaRelay", "QuotaStore"]

log = logging.getLogger("podgate.quotas")


class QuotaStore(Protocol):
    """The limits over all pods set through the gateway."""

    async def quota_limits(self, scope: QuotaScope) -> dict[str, int]: ...

    async def set_quota_limits(self, scope: QuotaScope, limits: Mapping[str, int]) -> None: ...

    async def delete_quota_limits(self, scope: QuotaScope, *, every_user: bool = False) -> None: ...


class QuotaRelay:
    """Answers quota requests from every pod and the stored limits."""

    def __init__(self, *, fanout: Fanout, store: QuotaStore) -> None:
        self._fanout = fanout
        self._store = store

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """The gateway's answer to one quota request."""
        dialect = DIALECTS[call.service]
        path = addressed(call.service, call.remainder, call.query, call.project_id)
        counted = pods_to_ask(pods.values(), call.service, None)
        if not counted:
            return Answer(503, fault_body(503, NO_ZONE, call.service))
        if path.addressed in (Addressed.DEFAULTS, Addressed.CLASS):
            targets = counted[:1] if call.method == "GET" else usable_pods(pods, call.service)
            return await self._configuration(call, targets)
        scope = QuotaScope(call.service, path.project_id, path.user_id)
        if call.method == "GET":
            return await self._read(call, dialect, scope, counted)
        if call.method == "DELETE":
            return await self._reset(call, scope, counted)
        return await self._write(call, dialect, scope, counted)

    async def _configuration(self, call: AcrossPodsCall, targets: Sequence[Pod]) -> Answer:
        """Defaults and quota classes: alike in every pod, so one pod's answer is everyone's
        (read from the first, written to every ENABLED pod)."""
        replies = await self._fanout.all(targets, call.pod_request())
        return _refused(call, replies) or pick_one(replies)

    async def _read(
        self, call: AcrossPodsCall, dialect: Dialect, scope: QuotaScope, counted: Sequence[Pod]
    ) -> Answer:
        replies = await self._fanout.all(counted, call.pod_request())
        documents = _documents(call, replies)
        if isinstance(documents, Answer):
            return documents
        stored = await self._stored(scope)
        return Answer(200, json.dumps(limits_shown(dialect, documents, stored)).encode())

    async def _stored(self, scope: QuotaScope) -> dict[str, int]:
        """The scope's limits; a Nova user's own, else its project's (as Nova reads them)."""
        limits = await self._store.quota_limits(scope)
        if not scope.user_id:
            return limits
        project = await self._store.quota_limits(replace(scope, user_id=""))
        return {**project, **limits}

    async def _write(
        self, call: AcrossPodsCall, dialect: Dialect, scope: QuotaScope, counted: Sequence[Pod]
    ) -> Answer:
        wanted = requested(dialect, call.body)
        if wanted is None:  # the pods refuse it as they would
            replies = await self._fanout.all(counted, call.pod_request())
            return _refused(call, replies) or pick_one(replies)
        usage = await self._usage(call, dialect, scope, counted)
        if isinstance(usage, Answer):
            return usage
        refused = below_usage(dialect, wanted, usage)
        if refused is not None:
            return Answer(400, fault_body(400, refused, call.service))
        open_pods = [pod.name for pod in counted if pod.state == PodState.ENABLED]
        given = plan(dialect, wanted.limits, usage, open_pods)
        replies = await self._fanout.each(
            [(pod, _put(call, dialect, wanted, given[pod.name])) for pod in counted]
        )
        documents = _documents(call, replies)
        if isinstance(documents, Answer):
            return documents
        await self._store.set_quota_limits(scope, wanted.limits)
        log.info(
            "%s quota set over all pods",
            call.request_id,
            extra={
                **log_fields(scope),
                "limits": json.dumps(wanted.limits),
                "pods": json.dumps(given),
            },
        )
        stored = await self._stored(scope)
        return Answer(200, json.dumps(limits_shown(dialect, documents, stored)).encode())

    async def _usage(
        self, call: AcrossPodsCall, dialect: Dialect, scope: QuotaScope, counted: Sequence[Pod]
    ) -> dict[str, dict[str, int]] | Answer:
        """Each pod's usage in the scope, read with the caller's credentials."""
        remainder, query = dialect.detail_request(scope.project_id, scope.user_id)
        request = PodRequest(
            call.service, "GET", call.project_id, remainder, query, call.pod_request().headers
        )
        documents = _documents(call, await self._fanout.all(counted, request))
        if isinstance(documents, Answer):
            return documents
        return {
            pod.name: usage_of(dialect, document)
            for pod, document in zip(counted, documents, strict=True)
        }

    async def _reset(
        self, call: AcrossPodsCall, scope: QuotaScope, counted: Sequence[Pod]
    ) -> Answer:
        replies = await self._fanout.all(counted, call.pod_request())
        refused = _refused(call, replies)
        if refused is not None:
            return refused
        await self._store.delete_quota_limits(scope, every_user=not scope.user_id)
        log.info(
            "%s quota back to the defaults in every pod",
            call.request_id,
            extra={
                "service": str(scope.service),
                "project": scope.project_id,
                "user": scope.user_id,
            },
        )
        return Answer(replies[0].status, replies[0].body)


def _put(
    call: AcrossPodsCall, dialect: Dialect, wanted: Requested, limits: Mapping[str, int]
) -> PodRequest:
    """The client's PUT with one pod's limits in its body."""
    return replace(call.pod_request(), body=pod_body(dialect, wanted, limits))


def _refused(call: AcrossPodsCall, replies: Sequence[Reply]) -> Answer | None:
    """The first pod's refusal (logged), if any."""
    refused = next((reply for reply in replies if not reply.ok), None)
    if refused is None:
        return None
    log.info(
        "%s %s %s refused by pod %s", call.request_id, call.method, call.remainder, refused.pod
    )
    return refusal(refused)


def _documents(call: AcrossPodsCall, replies: Sequence[Reply]) -> list[dict[str, Any]] | Answer:
    """Every pod's JSON answer, or the first refusal (a pod not answering JSON refuses)."""
    refused = _refused(call, replies)
    if refused is not None:
        return refused
    documents = []
    for reply in replies:
        try:
            document = json.loads(reply.body)
        except (ValueError, RecursionError):
            document = None
        if not isinstance(document, dict):
            return refusal(replace(reply, status=0, body=b""))
        documents.append(document)
    return documents
