"""Requests answered with a view across pods: the pods' machinery (services, hypervisors,
hosts, aggregates, usage, pools, ...) combined and Cinder's volume summary added up, each by its
row's rule in the route-family table (families.py `Merge`); limits and quota sets are handed to
the quota relay (decision/quotas/).

Sums ask every pod that is not DISABLED (they all hold some of the project's resources) and
need every answer: a sum missing a pod would be wrong, so a pod's refusal or silence is the
answer, naming the pod. The combining rules live in admin.py (machinery) and summary.py.
"""

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from control_plane.decision.families import QUOTA_VIEWS, Merge
from control_plane.decision.family_index import matching
from control_plane.decision.lists.query import pods_to_ask
from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout, PodRequest, usable_pods
from control_plane.decision.pods.reply import Reply
from control_plane.decision.quotas.relay import QuotaRelay
from control_plane.decision.resources import API_PREFIX, PROJECT_FROM_TOKEN
from control_plane.decision.shared.merge import Answer, gateway_links, pick_one, refusal
from control_plane.decision.views.admin import counts, in_pod_zone, inventory, shown, usage
from control_plane.decision.views.ids import IdMap, id_map
from control_plane.decision.views.paged import page_of, paged_list
from control_plane.decision.views.summary import combine_summaries
from control_plane.decision.views.usage_pages import UsagePages, usage_pages
from control_plane.decision.zone_faults import NO_ZONE
from control_plane.errors import fault_body
from control_plane.model import Pod, PodState

__all__ = ["ViewRelay"]

log = logging.getLogger("podgate.views")

# What Nova says of an integer id that names no pod's object, by collection.
_NOT_FOUND = {
    "os-hypervisors": "Hypervisor with ID {} could not be found.",
    "os-services": "Service {} could not be found.",
    "os-aggregates": "Aggregate {} could not be found.",
}
_Combine = Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]]


class ViewRelay:
    """Answers totals and the pods' machinery from the pods at once."""

    def __init__(self, *, fanout: Fanout, quotas: QuotaRelay) -> None:
        self._fanout = fanout
        self._quotas = quotas

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """The combined answer, or the refusal of the pod that refused (named when it matters)."""
        if _head(call) in QUOTA_VIEWS:
            return await self._quotas.answer(call, pods)
        rule, resource_id = _rule(call)
        ids = id_map(pods.values())
        match rule:
            case Merge.BY_ID:
                owner = ids.owner(resource_id)
                if owner is not None:
                    return await self._by_id(call, pods, ids, resource_id, *owner)
                if resource_id.isdigit():
                    head = _segments(call)[0]
                    return Answer(404, fault_body(404, _NOT_FOUND[head].format(resource_id)))
                return await self._inventory(call, pods, ids)
            case Merge.INVENTORY:
                return await self._inventory(call, pods, ids)
            case Merge.OWNED:
                return await self._owned(call, pods, ids)
            case Merge.UNIFORM:
                return await self._uniform(call, pods)
            case Merge.USAGE if pages := usage_pages(_segments(call), call.query, call.headers):
                return await self._usage_pages(call, pods, pages)
            case Merge.USAGE | Merge.COUNTS:
                return await self._combined(call, pods, usage if rule is Merge.USAGE else counts)
        return await self._summary(call, pods)

    async def _summary(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """Cinder's volume summary: every pod's counts and sizes added; every pod needed (a sum
        missing one would be wrong)."""
        targets = _readers(call, pods)
        if not targets:
            return _no_pod()
        replies = await self._fanout.all(targets, call.pod_request())
        refused = _refused(call, replies, lambda reply: not reply.ok)
        if refused is not None:
            return refused
        documents = _documents(replies)
        if isinstance(documents, Answer):
            return documents
        return _json(200, combine_summaries(documents))

    async def _combined(
        self, call: AcrossPodsCall, pods: Mapping[str, Pod], combine: _Combine
    ) -> Answer:
        """Usage, statistics and audit logs: every pod's counts in one; a pod's refusal (a
        request it judges invalid) counts when no pod answered."""
        targets = _readers(call, pods)
        if not targets:
            return _no_pod()
        replies = await self._fanout.all(targets, call.pod_request())
        refused = _refused(call, replies, _failed)
        if refused is not None:
            return refused
        answered = [reply for reply in replies if reply.ok]
        if not answered:
            return _own_refusal(replies)
        documents = _documents(answered)
        if isinstance(documents, Answer):
            return documents
        return _json(answered[0].status, combine(documents))

    async def _usage_pages(
        self, call: AcrossPodsCall, pods: Mapping[str, Pod], pages: UsagePages
    ) -> Answer:
        """Paged usage: the pods walked in turn as Nova walks its cells (usage_pages.py). A pod
        refusing the marker does not have it; the others after the one that has it start from
        their first server."""
        targets = _readers(call, pods)
        if not targets:
            return _no_pod()
        remaining, marker = pages.request.size, pages.request.marker
        documents: list[dict[str, Any]] = []
        refused: list[Reply] = []
        asked = call.pod_request()
        for pod in targets:
            if documents and remaining <= 0:
                break
            request = replace(asked, query=pages.pod_query(remaining, marker))
            reply = await self._fanout.one(pod, request)
            if _failed(reply):
                return refusal(reply)
            if not reply.ok:
                refused.append(reply)
                continue
            parsed = _documents([reply])
            if isinstance(parsed, Answer):
                return parsed
            documents.append(parsed[0])
            marker = None
            remaining -= len(pages.served(parsed[0]))
        if not documents:
            return _own_refusal(refused)
        href = f"{call.origin}/{API_PREFIX[call.service]}/{call.project_id}{call.remainder}"
        return _json(200, pages.answer(documents, href=href, query=call.query))

    async def _inventory(self, call: AcrossPodsCall, pods: Mapping[str, Pod], ids: IdMap) -> Answer:
        """Every pod asked; what the pods that have it answered, in one (paged across pods where
        Nova pages); else a pod's own refusal (one without the host or UUID answers 404)."""
        # A DRAINING pod takes no new resources, but its machinery is still an admin's to run.
        targets = _readers(call, pods)
        if not targets:
            return _no_pod()
        request = call.pod_request()
        paged = paged_list(_segments(call), call.query, call.headers)
        if paged is not None:
            request = replace(request, query=paged[1].pod_query)
        replies = await self._fanout.each([(pod, _in_zone(request, pod)) for pod in targets])
        refused = _refused(call, replies, _failed)
        if refused is not None:
            return refused
        answered = [(pod, reply) for pod, reply in zip(targets, replies, strict=True) if reply.ok]
        if not answered:
            return _own_refusal(replies)
        if not any(reply.body for _, reply in answered):
            return Answer(answered[0][1].status, b"")
        documents = _documents([reply for _, reply in answered])
        if isinstance(documents, Answer):
            return documents
        combined = [shown(pod, doc, ids) for (pod, _), doc in zip(answered, documents, strict=True)]
        if paged is None:
            return _linked(call, _json(answered[0][1].status, inventory(combined)))
        listed, wanted = paged
        href = f"{call.origin}/{API_PREFIX[call.service]}/{call.project_id}{call.remainder}"
        page = page_of(listed, wanted, combined, href=href, query=call.query)
        if page is None:
            return Answer(400, fault_body(400, f"Marker {wanted.marker} could not be found."))
        return _linked(call, _json(200, page))

    async def _by_id(
        self,
        call: AcrossPodsCall,
        pods: Mapping[str, Pod],
        ids: IdMap,
        gateway_id: str,
        pod_name: str,
        local_id: str,
    ) -> Answer:
        """To the pod an integer id names, with that pod's own id in the path."""
        pod = pods[pod_name]
        if pod.state == PodState.DISABLED or not pod.serves(call.service):
            return Answer(503, fault_body(503, f"Pod {pod_name} is not available."))
        log.info(
            "%s %s %s: id %s is pod %s's %s",
            call.request_id, call.method, call.remainder, gateway_id, pod_name, local_id,
        )  # fmt: skip
        segments = _segments(call)
        local = [local_id if segment == gateway_id else segment for segment in segments]
        request = replace(call.pod_request(), remainder="/" + "/".join(local))
        return _linked(call, await self._one(pod, _zone_named(request, pod), ids))

    async def _owned(self, call: AcrossPodsCall, pods: Mapping[str, Pod], ids: IdMap) -> Answer:
        """A new aggregate: in the pod of the zone it names, else the oldest ENABLED pod."""
        writers = _writers(call, pods)
        if not writers:
            return _no_pod()
        body = _json_object(call.body)
        member = body.get("aggregate") if isinstance(body, dict) else None
        zone = member.get("availability_zone") if isinstance(member, dict) else None
        pod = next((pod for pod in writers if zone and pod.az_name == zone), writers[0])
        log.info("%s aggregate created in pod %s", call.request_id, pod.name)
        return await self._one(pod, _zone_named(call.pod_request(), pod), ids)

    async def _uniform(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """What every pod holds alike: read from the oldest, written to every one."""
        writers = _writers(call, pods)
        if not writers:
            return _no_pod()
        if call.method == "GET":
            (reply,) = await self._fanout.all(writers[:1], call.pod_request())
            return Answer(reply.status, reply.body) if reply.status else refusal(reply)
        replies = await self._fanout.all(writers, call.pod_request())
        refused = _refused(call, replies, lambda reply: not reply.ok)
        return refused or Answer(replies[0].status, replies[0].body)

    async def _one(self, pod: Pod, request: PodRequest, ids: IdMap) -> Answer:
        """One pod's answer, as the gateway shows it."""
        (reply,) = await self._fanout.all([pod], request)
        if not reply.ok:
            return Answer(reply.status, reply.body) if reply.status else refusal(reply)
        documents = _documents([reply]) if reply.body else []
        if isinstance(documents, Answer):
            return documents
        if not documents:
            return Answer(reply.status, b"")
        return _json(reply.status, shown(pod, documents[0], ids))


def _rule(call: AcrossPodsCall) -> tuple[Merge, str]:
    """The rule of the table row the request belongs to, and the id its path names."""
    head, *below = _segments(call)
    for family, resource_id in matching(call.service, head, below):
        if call.method in family.methods:
            return family.merge, resource_id
    raise ValueError(f"no view row for {call.method} {call.remainder}")


def _segments(call: AcrossPodsCall) -> list[str]:
    return [segment for segment in call.remainder.split("/") if segment]


def _readers(call: AcrossPodsCall, pods: Mapping[str, Pod]) -> list[Pod]:
    """Every pod not DISABLED, oldest first: each holds some of what is read, and the first
    items listed are the oldest pod's, where new aggregates go (a client adding the first
    listed host to a new aggregate finds them in the same pod)."""
    return _by_age(pods_to_ask(pods.values(), call.service, None))


def _writers(call: AcrossPodsCall, pods: Mapping[str, Pod]) -> list[Pod]:
    """The ENABLED pods, oldest first (then by name): the first is where new objects go."""
    return _by_age(usable_pods(pods, call.service))


def _by_age(pods: list[Pod]) -> list[Pod]:
    return sorted(
        pods, key=lambda pod: (pod.created_at is None, pod.created_at or datetime.min, pod.name)
    )


def _in_zone(request: PodRequest, pod: Pod) -> PodRequest:
    """The request with a `zone` filter naming the zone as `pod` calls it (Nova's os-hosts)."""
    if not pod.pod_az_name or "zone=" not in request.query:
        return request
    params = parse_qsl(request.query, keep_blank_values=True)
    renamed = [
        (key, pod.pod_az_name if key == "zone" and value == pod.az_name else value)
        for key, value in params
    ]
    return replace(request, query=urlencode(renamed))


def _zone_named(request: PodRequest, pod: Pod) -> PodRequest:
    """The request with the zone its body names as `pod` calls it (aggregates)."""
    body = _json_object(request.body) if request.body else None
    renamed = in_pod_zone(body, pod) if body is not None else None
    return request if renamed is None else replace(request, body=json.dumps(renamed).encode())


def _own_refusal(replies: Sequence[Reply]) -> Answer:
    """No pod has it: a pod's own refusal, unchanged; one that judged the request (400, 409,
    ...) before one that only lacks what it names (404)."""
    judged = [reply for reply in replies if 400 <= reply.status < 500 and reply.status != 404]
    return pick_one(judged or replies)


def _failed(reply: Reply) -> bool:
    """No answer, or the pod's own failure: what a combined answer cannot do without."""
    return reply.status == 0 or reply.status >= 500


def _refused(
    call: AcrossPodsCall, replies: Sequence[Reply], failed: Callable[[Reply], bool]
) -> Answer | None:
    refused = next((reply for reply in replies if failed(reply)), None)
    if refused is None:
        return None
    log.info(
        "%s %s %s refused by pod %s", call.request_id, call.method, call.remainder, refused.pod
    )
    return refusal(refused)


def _documents(replies: Sequence[Reply]) -> list[dict[str, Any]] | Answer:
    """The replies' JSON objects, or the refusal of the first pod whose body is not one."""
    documents = []
    for reply in replies:
        document = _json_object(reply.body)
        if document is None:
            return refusal(replace(reply, status=0, body=b""))
        documents.append(document)
    return documents


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _json(status: int, document: Mapping[str, Any]) -> Answer:
    return Answer(status, json.dumps(document).encode())


def _linked(call: AcrossPodsCall, answer: Answer) -> Answer:
    """The answer with its links (a migration's, a server's) pointing at the gateway."""
    if b'"href"' not in answer.body:
        return answer
    body = gateway_links(answer.body, call.service, call.origin, call.project_id)
    return Answer(answer.status, body)


def _no_pod() -> Answer:
    return Answer(503, fault_body(503, NO_ZONE))


def _head(call: AcrossPodsCall) -> str:
    """The path segment naming the view (after the version, where the token names the project)."""
    segments = [segment for segment in call.remainder.split("/") if segment]
    return segments[1 if call.service in PROJECT_FROM_TOKEN else 0]
