"""Requests on shared objects (flavors, key pairs, volume types): read from, or write to, all pods.

Reads ask every ENABLED pod at once and merge (shared.py). Writes go to every ENABLED pod at
once with the body unchanged and the caller's token, so a later create in any pod finds the
object; when a pod refuses a create, the copies the others made are deleted again and the
client gets that pod's fault, naming it. A key pair created without a public key is generated
by the first pod alone and its public key sent to the others, so every pod holds the same key.
"""

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout, PodRequest, usable_pods
from control_plane.decision.pods.reply import Reply
from control_plane.decision.resources import API_PREFIX, PROJECT_FROM_TOKEN
from control_plane.decision.shared.merge import (
    Answer,
    created_name,
    gateway_links,
    listed,
    own_ids,
    pick_one,
    refusal,
    with_public_key,
)
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
from control_plane.errors import fault_body
from control_plane.model import Pod

__all__ = ["SharedObjects"]

log = logging.getLogger("podgate.shared")

_KEYPAIRS = "os-keypairs"
_TYPES = "types"
# Cinder lists only public types unless asked for all (admins may).
_ALL_TYPES = "is_public=None"
_LIST_TAILS = ((), ("detail",))


class SharedObjects:
    """Answers requests on shared collections from all ENABLED pods."""

    def __init__(self, *, fanout: Fanout) -> None:
        self._fanout = fanout
        self._undoing: set[asyncio.Task[None]] = set()

    async def settle(self) -> None:
        """Wait for the undos still running (they outlive the answer they follow)."""
        await asyncio.gather(*self._undoing, return_exceptions=True)

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """The gateway's answer to `call`, links pointing at the gateway."""
        targets = usable_pods(pods, call.service)
        if not targets:
            return Answer(503, fault_body(503, "No pod is available."))
        # NOTE: all rounds of one request (type ids then the write, a generated key then its
        # copies) share one bound: Envoy waits for the answer only so long.
        request = call.pod_request(deadline=self._fanout.deadline())
        if call.method == "GET":
            answer = await self._read(targets, request, call.origin)
        else:
            answer = await self._write(call.request_id, targets, request)
        body = gateway_links(answer.body, call.service, call.origin, call.project_id)
        return Answer(answer.status, body)

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

    async def _write(self, request_id: str, targets: Sequence[Pod], request: PodRequest) -> Answer:
        collection, *rest = _segments(request)
        creates = request.method == "POST" and not rest
        if collection == _TYPES and rest:
            requests = await self._own_type_ids(targets, request, rest)
            replies = await self._fanout.each(requests)
        else:
            generated = _generates(collection, request)
            replies = await self._send_all(targets, request, generated=generated)
        if request.method == "DELETE" and any(reply.ok for reply in replies):
            # NOTE: a pod that never had the object is as good as one that deleted it.
            replies = [r for r in replies if r.status != 404]
        refused = [reply for reply in replies if not reply.ok]
        log.info(
            "%s %s %s on %d pods, refused by %s",
            request_id,
            request.method,
            request.remainder,
            len(replies),
            ",".join(r.pod for r in refused) or "none",
        )
        if not refused:
            return Answer(replies[0].status, replies[0].body)
        if creates:
            made = [reply for reply in replies if reply.ok]
            undo = self._undo(request_id, targets, request, collection, made)
            task = asyncio.create_task(undo)
            self._undoing.add(task)
            task.add_done_callback(self._undoing.discard)
        return refusal(refused[0])

    async def _own_type_ids(
        self, targets: Sequence[Pod], request: PodRequest, rest: Sequence[str]
    ) -> list[tuple[Pod, PodRequest]]:
        """A write to one volume type, each pod addressed by its own id for that type's name."""
        listing = replace(request, method="GET", remainder=f"/{_TYPES}", query=_ALL_TYPES, body=b"")
        ids = own_ids(await self._fanout.all(targets, listing), rest[0])
        below = "".join(f"/{segment}" for segment in rest[1:])
        return [
            (pod, replace(request, remainder=f"/{_TYPES}/{ids.get(pod.name, rest[0])}{below}"))
            for pod in targets
        ]

    async def _send_all(
        self, targets: Sequence[Pod], request: PodRequest, *, generated: bool
    ) -> list[Reply]:
        """Everyone at once, or the first pod before the others when it generates a key."""
        if not generated:
            return await self._fanout.all(targets, request)
        first = await self._fanout.one(targets[0], request)
        body = with_public_key(request.body, first) if first.ok else None
        if body is None:
            return [first]
        return [first, *await self._fanout.all(targets[1:], replace(request, body=body))]

    async def _undo(
        self,
        request_id: str,
        targets: Sequence[Pod],
        request: PodRequest,
        collection: str,
        made: Sequence[Reply],
    ) -> None:
        """Delete what a refused create made in the pods that accepted it (best effort).

        Runs after the answer, each pod within its own time bound.
        """
        by_name = {pod.name: pod for pod in targets}
        undos = []
        for reply in made:
            name = created_name(collection, reply)
            if name is None:
                log.warning("%s cannot undo the create in pod %s", request_id, reply.pod)
                continue
            undo = replace(
                request,
                method="DELETE",
                remainder=f"/{collection}/{name}",
                body=b"",
                deadline=None,
            )
            undos.append(self._fanout.one(by_name[reply.pod], undo))
        for undone in await asyncio.gather(*undos):
            if not undone.ok:
                log.warning(
                    "%s undoing the create in pod %s failed: %s",
                    request_id,
                    undone.pod,
                    undone.status,
                )


def _segments(request: PodRequest) -> tuple[str, ...]:
    """The path's segments from the collection on (a project-less API's version left out)."""
    segments = tuple(segment for segment in request.remainder.split("/") if segment)
    return segments[1:] if request.service in PROJECT_FROM_TOKEN else segments


def _generates(collection: str, request: PodRequest) -> bool:
    """A key pair create without a public key: the pod generates one."""
    if collection != _KEYPAIRS or request.method != "POST" or _segments(request)[1:]:
        return False
    try:
        keypair = json.loads(request.body).get("keypair")
    except (ValueError, AttributeError):
        return False
    return isinstance(keypair, dict) and keypair.get("public_key") is None
