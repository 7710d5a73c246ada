"""Writes to shared objects: made in every ENABLED pod under one identity, or refused, naming
the pod.

A create goes to every pod at once with the caller's token, except where the first pod makes
something the others must share: a flavor created without an id (the others get the first pod's
id in `flavor.id`) and a key pair without a public key (the others get the generated key).
When a pod refuses a create, the copies the others made are deleted again and the client gets
that pod's fault, naming it. Each pod's id of a Cinder object is recorded (copies.py). A write
naming an object reaches each pod with its own id; a refusal names the pod and the pods that
did it already (these answers are for admins, who know the pods).
"""

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from control_plane.decision.pods.fanout import Fanout, PodRequest
from control_plane.decision.pods.reply import Reply
from control_plane.decision.shared.copies import SharedCopies
from control_plane.decision.shared.kinds import SharedKind
from control_plane.decision.shared.merge import Answer, created_name, refusal, with_public_key
from control_plane.errors import fault_body
from control_plane.model import Pod

__all__ = ["SharedWrites"]

log = logging.getLogger("podgate.shared")


class SharedWrites:
    """Creates, changes and deletes of shared objects across the ENABLED pods."""

    def __init__(self, *, fanout: Fanout, copies: SharedCopies) -> None:
        self._fanout = fanout
        self._copies = copies
        self._undoing: set[asyncio.Task[None]] = set()

    async def settle(self) -> None:
        """Wait for the undos still running (they outlive the answer they follow)."""
        await asyncio.gather(*self._undoing, return_exceptions=True)

    async def create(
        self, request_id: str, kind: SharedKind, targets: Sequence[Pod], request: PodRequest
    ) -> Answer:
        """One copy per pod; the first pod's answer; the copies undone when a pod refuses."""
        replies = await self._made(kind, targets, request)
        refused = [reply for reply in replies if not reply.ok]
        field = "name" if kind.copied_type is None else "id"
        made = {
            r.pod: name for r in replies if r.ok and (name := created_name(kind.member, field, r))
        }
        _log_outcome(request_id, request, replies, refused)
        if refused or (kind.copied_type is not None and len(made) != len(targets)):
            self._undo_later(request_id, targets, request, kind, made)
            if refused:
                return refusal(refused[0])
            unnamed = next(pod.name for pod in targets if pod.name not in made)
            message = f"Pod {unnamed} made no copy the others could share; nothing was made."
            return Answer(500, fault_body(500, message))
        if kind.copied_type is not None:
            gateway_id = made[replies[0].pod]
            await self._copies.record(kind.copied_type, request.project_id, made, gateway_id)
        return Answer(replies[0].status, replies[0].body)

    async def each(
        self,
        request_id: str,
        kind: SharedKind,
        sends: Sequence[tuple[Pod, PodRequest]],
        gateway_id: str,
    ) -> Answer:
        """A change or delete of one object, each pod addressed by its own id.

        A delete forgets the object's copies first, so that no sync round in between makes it
        again in a pod that deleted it; they are restored only when no pod deleted it.
        """
        request = sends[0][1]
        deletes = request.method == "DELETE" and len(_segments(request)) == 2
        taken = None
        if deletes and kind.copied_type is not None:
            taken = await self._copies.take(kind.copied_type, gateway_id)
        replies = await self._fanout.each(sends)
        if request.method == "DELETE" and any(reply.ok for reply in replies):
            # NOTE: a pod that never had the object (or key) is as good as one that removed it.
            replies = [r for r in replies if r.status != 404]
        refused = [reply for reply in replies if not reply.ok]
        _log_outcome(request_id, request, replies, refused)
        if refused:
            done = [reply.zone for reply in replies if reply.ok]
            if taken is not None and not done:
                await self._copies.restore(taken)
            return refusal(refused[0], done, "deleted" if deletes else "done")
        return Answer(replies[0].status, await self._copies.shown(kind, replies[0].body))

    async def _made(
        self, kind: SharedKind, targets: Sequence[Pod], request: PodRequest
    ) -> list[Reply]:
        """Everyone at once, or the first pod before the others when it makes what they share."""
        shares = _shares(kind, request.body)
        if shares is None:
            return await self._fanout.all(targets, request)
        first = await self._fanout.one(targets[0], request)
        body = shares(first) if first.ok else None
        if body is None:
            return [first]
        return [first, *await self._fanout.all(targets[1:], replace(request, body=body))]

    def _undo_later(
        self,
        request_id: str,
        targets: Sequence[Pod],
        request: PodRequest,
        kind: SharedKind,
        made: dict[str, str],
    ) -> None:
        task = asyncio.create_task(self._undo(request_id, targets, request, kind, made))
        self._undoing.add(task)
        task.add_done_callback(self._undoing.discard)

    async def _undo(
        self,
        request_id: str,
        targets: Sequence[Pod],
        request: PodRequest,
        kind: SharedKind,
        made: dict[str, str],
    ) -> None:
        """Delete what a refused create made in the pods that accepted it (best effort).

        Runs after the answer, each pod within its own time bound.
        """
        by_name = {pod.name: pod for pod in targets}
        undos = [
            self._fanout.one(
                by_name[pod],
                replace(
                    request,
                    method="DELETE",
                    remainder=f"/{kind.collection}/{name}",
                    body=b"",
                    deadline=None,
                ),
            )
            for pod, name in made.items()
        ]
        for undone in await asyncio.gather(*undos):
            if not undone.ok:
                log.warning(
                    "%s undoing the create in pod %s failed: %s",
                    request_id,
                    undone.pod,
                    undone.status,
                )


def _shares(kind: SharedKind, body: bytes) -> Callable[[Reply], bytes | None] | None:
    """How the others' body follows the first pod's answer; None: all pods get `body` at once.

    A flavor without an id gets the first pod's; a key pair without a public key its key.
    """
    try:
        member = json.loads(body).get(kind.member)
    except (ValueError, AttributeError):
        return None
    if not isinstance(member, dict):
        return None
    if kind.takes_id and member.get("id") is None:
        return lambda first: _with_id(body, kind, first)
    if kind.copied_type is None and member.get("public_key") is None:
        return lambda first: with_public_key(body, first)
    return None


def _with_id(body: bytes, kind: SharedKind, first: Reply) -> bytes | None:
    """The create body with the id the first pod gave its copy."""
    made = created_name(kind.member, "id", first)
    if made is None:
        return None
    request = json.loads(body)
    request[kind.member]["id"] = made
    return json.dumps(request).encode()


def _segments(request: PodRequest) -> list[str]:
    return [segment for segment in request.remainder.split("/") if segment]


def _log_outcome(
    request_id: str, request: PodRequest, replies: Sequence[Reply], refused: Sequence[Reply]
) -> None:
    log.info(
        "%s %s %s on %d pods, refused by %s",
        request_id,
        request.method,
        request.remainder,
        len(replies),
        ",".join(r.pod for r in refused) or "none",
    )
