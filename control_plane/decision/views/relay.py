"""Requests answered with a view across pods: limits and quota sets, services and hypervisors.

Reads ask every pod that is not DISABLED (they all hold some of the project's resources) and
need every answer: a total missing a pod would be wrong, so a pod's refusal or silence is the
answer, naming the pod. The combining rules live in aggregate.py; limits and quota sets are the
quota relay's (decision/quotas/).
"""

import json
import logging
from collections.abc import Mapping

from control_plane.decision.families import INVENTORIES, QUOTA_VIEWS
from control_plane.decision.lists.query import pods_to_ask
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout, usable_pods
from control_plane.decision.pods.reply import Reply
from control_plane.decision.quotas.relay import QuotaRelay
from control_plane.decision.resources import PROJECT_FROM_TOKEN
from control_plane.decision.shared.merge import Answer, refusal
from control_plane.decision.views.aggregate import combine_totals, tag_inventory
from control_plane.errors import fault_body
from control_plane.model import Pod

__all__ = ["ViewRelay"]

log = logging.getLogger("podgate.views")


class ViewRelay:
    """Answers totals and inventories from all pods at once."""

    def __init__(self, *, fanout: Fanout, quotas: QuotaRelay) -> None:
        self._fanout = fanout
        self._quotas = quotas

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """The combined answer, or the first pod's refusal naming it."""
        head = _head(call)
        if head in QUOTA_VIEWS:
            return await self._quotas.answer(call, pods)
        reading = call.method == "GET"
        targets = (
            pods_to_ask(pods.values(), call.service, None)
            if reading
            else usable_pods(pods, call.service)
        )
        if not targets:
            return Answer(503, fault_body(503, "No pod is available."))
        request = call.pod_request()
        replies = await self._fanout.all(targets, request)
        refused = next((reply for reply in replies if not reply.ok), None)
        if refused is not None:
            log.info(
                "%s %s %s refused by pod %s",
                call.request_id,
                call.method,
                call.remainder,
                refused.pod,
            )
            return refusal(refused)
        if call.method == "DELETE":
            return Answer(replies[0].status, b"")
        documents = []
        for pod, reply in zip(targets, replies, strict=True):
            document = _document(reply)
            if document is None:
                return refusal(Reply(reply.pod, 0))
            documents.append((pod, document))
        if head in INVENTORIES:
            body = tag_inventory(documents)
        else:
            body = combine_totals([document for _, document in documents])
        return Answer(200, json.dumps(body).encode())


def _head(call: AcrossPodsCall) -> str:
    """The path segment naming the view (after the version, where the token names the project)."""
    segments = [segment for segment in call.remainder.split("/") if segment]
    return segments[1 if call.service in PROJECT_FROM_TOKEN else 0]


def _document(reply: Reply) -> dict | None:
    try:
        document = json.loads(reply.body)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None
