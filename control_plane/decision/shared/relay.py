"""Requests on shared objects (flavors, key pairs, volume and group types, QoS specs): read from,
or written to, all ENABLED pods.

Reads ask every ENABLED pod at once and merge (merge.py, paging.py); a request naming one object
reaches each pod with that pod's id of it (copies.py), and answers show the gateway's ids. Writes
are writes.py's.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout, PodRequest, usable_pods
from control_plane.decision.resources import API_PREFIX, PROJECT_FROM_TOKEN
from control_plane.decision.security_groups.relay import CopyStore
from control_plane.decision.shared.copies import SharedCopies
from control_plane.decision.shared.kinds import SharedKind, copied_kind, kind_of
from control_plane.decision.shared.merge import Answer, gateway_links, listed, pick_one, refusal
from control_plane.decision.shared.paging import (
    SHARED_LISTS,
    Paging,
    SharedList,
    merge_in_order,
    next_query,
    paging,
    take_page,
    unpaged,
)
from control_plane.decision.shared.writes import SharedWrites
from control_plane.decision.zone_faults import NO_ZONE
from control_plane.errors import fault_body
from control_plane.model import Pod

__all__ = ["SharedObjects"]

_LIST_TAILS = ((), ("detail",))


class SharedObjects:
    """Answers requests on shared collections from all ENABLED pods."""

    def __init__(self, *, fanout: Fanout, store: CopyStore) -> None:
        self._fanout = fanout
        self._copies = SharedCopies(fanout=fanout, store=store)
        self._writes = SharedWrites(fanout=fanout, copies=self._copies)

    async def settle(self) -> None:
        """Wait for the undos still running (they outlive the answer they follow)."""
        await self._writes.settle()

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """The gateway's answer to `call`, links pointing at the gateway."""
        targets = usable_pods(pods, call.service)
        if not targets:
            return Answer(503, fault_body(503, NO_ZONE))
        # NOTE: all rounds of one request (ids then the write, a generated key then its copies)
        # share one bound: Envoy waits for the answer only so long.
        request = call.pod_request(deadline=self._fanout.deadline())
        collection, *rest = _segments(request)
        kind = kind_of(request.service, collection)
        if kind is not None and rest and rest[0] not in kind.literals:
            answer = await self._one_object(call.request_id, kind, targets, request, rest)
        elif call.method == "GET":
            answer = await self._read(targets, request, call.origin)
            if kind is not None:
                answer = Answer(answer.status, await self._copies.shown(kind, answer.body))
        elif kind is not None and call.method == "POST" and not rest:
            answer = await self._writes.create(call.request_id, kind, targets, request)
        else:
            replies = await self._fanout.all(targets, request)
            refused = [reply for reply in replies if not reply.ok]
            answer = refusal(refused[0]) if refused else pick_one(replies)
        body = gateway_links(answer.body, call.service, call.origin, call.project_id)
        return Answer(answer.status, body)

    async def _one_object(
        self,
        request_id: str,
        kind: SharedKind,
        targets: Sequence[Pod],
        request: PodRequest,
        rest: Sequence[str],
    ) -> Answer:
        """A request naming one object: each pod asked with its own id of it."""
        object_id = rest[0]
        ids = await self._copies.own_ids(kind, targets, request, object_id)
        holding = [pod for pod in targets if pod.name in ids]
        if not holding:
            # Nobody knows it: the pods say so in their own words.
            return pick_one(await self._fanout.all(targets, request))
        below = "".join(f"/{segment}" for segment in rest[1:])
        queries = await self._own_queries(kind, targets, request)
        sends = [
            (
                pod,
                replace(
                    request, remainder=f"/{kind.collection}/{ids[pod.name]}{below}", query=query
                ),
            )
            for pod in holding
            if (query := queries.get(pod.name)) is not None
        ]
        if not sends:
            return pick_one(await self._fanout.all(targets, request))
        writes = request.method != "GET" or (len(rest) > 1 and rest[1] in kind.writing_gets)
        if writes:
            gateway_id = await self._copies.gateway_id(kind, object_id)
            return await self._writes.each(request_id, kind, sends, gateway_id)
        answer = pick_one(await self._fanout.each(sends))
        return Answer(answer.status, await self._copies.shown(kind, answer.body))

    async def _own_queries(
        self, kind: SharedKind, targets: Sequence[Pod], request: PodRequest
    ) -> dict[str, str]:
        """Each pod's query, the other objects it names given by that pod's ids (QoS
        `vol_type_id`); pods without a copy of one of them are left out."""
        queries = {pod.name: [] for pod in targets}
        for key, value in parse_qsl(request.query, keep_blank_values=True):
            named = kind.query_ids.get(key)
            ids = {}
            if named is not None and value:
                ids = await self._copies.own_ids(copied_kind(named), targets, request, value)
            for name in list(queries):
                if ids and name not in ids:
                    del queries[name]
                else:
                    queries[name].append((key, ids.get(name, value)))
        return {name: urlencode(params) for name, params in queries.items()}

    async def _read(self, targets: Sequence[Pod], request: PodRequest, origin: str) -> Answer:
        collection, *rest = _segments(request)
        shared = SHARED_LISTS.get((request.service, collection))
        if shared is None or tuple(rest) not in _LIST_TAILS:
            return pick_one(await self._fanout.all(targets, request))
        if not shared.pages(request.service, request.headers):
            return await self._list(targets, request, shared, unpaged(request.query), None)
        client = paging(request.query)
        if client is None:
            # NOTE: a `limit` or `marker` no pod accepts: they say so in their own words.
            return pick_one(await self._fanout.all(targets, request))
        base = f"{origin}/{API_PREFIX[request.service]}/{request.project_id}{request.remainder}"
        if request.service in PROJECT_FROM_TOKEN:
            base = f"{origin}{request.remainder}"
        return await self._list(targets, request, shared, client, base)

    async def _list(
        self,
        targets: Sequence[Pod],
        request: PodRequest,
        shared: SharedList,
        client: Paging,
        base: str | None,
    ) -> Answer:
        """Every pod's whole list merged; the client's page of it when `base` (its URL) is set."""
        replies = await self._fanout.all(targets, replace(request, query=client.pod_query))
        answered = [items for r in replies if (items := listed(r, shared.key)) is not None]
        if not answered:
            return pick_one(replies)
        merged = merge_in_order(answered, shared.identity, shared.order(client))
        if base is None:
            return Answer(200, json.dumps({shared.key: merged}).encode())
        aliases = {
            shared.marker_of(item): shared.identity(item) for items in answered for item in items
        }
        page = take_page(merged, client, shared, aliases)
        if page is None:
            # The marker names no object: the pods refuse it as they do.
            return pick_one(await self._fanout.all(targets, request))
        document = page.document(
            shared, lambda marker: f"{base}?{next_query(request.query, marker)}"
        )
        return Answer(200, json.dumps(document).encode())


def _segments(request: PodRequest) -> tuple[str, ...]:
    """The path's segments from the collection on (a project-less API's version left out)."""
    segments = tuple(segment for segment in request.remainder.split("/") if segment)
    return segments[1:] if request.service in PROJECT_FROM_TOKEN else segments
