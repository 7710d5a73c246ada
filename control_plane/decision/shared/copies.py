"""Each pod's own id of a shared object, and answers shown with the gateway's ids (an adapter).

The store keeps every pod's id of the objects made through the gateway (`object_copies`); an
object made before, or directly in the pods, is found in the pods' lists by its name (Cinder's
names are unique), so requests naming it still reach every pod with that pod's id.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from control_plane.decision.pods.fanout import Fanout, PodRequest
from control_plane.decision.security_groups.relay import CopyStore
from control_plane.decision.shared.ids import shown_ids, with_gateway_ids
from control_plane.decision.shared.kinds import SharedKind
from control_plane.decision.shared.merge import own_ids
from control_plane.errors import AlreadyExists, FailedPrecondition
from control_plane.model import CopiedType, Copies, Pod

__all__ = ["SharedCopies"]


class SharedCopies:
    """Looks up and records the copies of shared objects."""

    def __init__(self, *, fanout: Fanout, store: CopyStore) -> None:
        self._fanout = fanout
        self._store = store

    async def gateway_id(self, kind: SharedKind, object_id: str) -> str:
        """The gateway's id of the object some pod (or the gateway) calls `object_id`."""
        if kind.copied_type is None or not kind.own_ids:
            return object_id
        found = await self._store.gateway_ids(kind.copied_type, [object_id])
        return found.get(object_id, object_id)

    async def own_ids(
        self, kind: SharedKind, targets: Sequence[Pod], request: PodRequest, object_id: str
    ) -> dict[str, str]:
        """Each pod's id of the `kind` object named `object_id`; pods without one left out.

        Flavors and key pairs have one name everywhere: every pod gets `object_id`.
        """
        if not kind.own_ids or kind.copied_type is None:
            return {pod.name: object_id for pod in targets}
        gateway_id = await self.gateway_id(kind, object_id)
        known = (await self._store.copies_of(kind.copied_type, [gateway_id])).get(gateway_id)
        ids = dict(known.ids) if known is not None else {}
        if all(pod.name in ids for pod in targets):
            return ids
        listing = replace(
            request,
            method="GET",
            remainder=f"/{kind.collection}",
            query=kind.every_object,
            body=b"",
        )
        replies = await self._fanout.all(targets, listing)
        return {**own_ids(replies, kind.list_key, {object_id, *ids.values()}), **ids}

    async def record(
        self, copied_type: CopiedType, project_id: str, ids: Mapping[str, str], gateway_id: str
    ) -> None:
        """Store every pod's id of a new object, shown as `gateway_id`.

        A flavor made again under the id of one deleted in the pods directly replaces its record.
        """
        copies = Copies(copied_type, gateway_id, project_id, ids)
        try:
            await self._store.record_copies(copies)
        except (AlreadyExists, FailedPrecondition):  # the store's way of saying so
            await self._store.forget_copies(copied_type, gateway_id)
            await self._store.record_copies(copies)

    async def take(self, copied_type: CopiedType, gateway_id: str) -> Copies | None:
        """Forget the object's copies (it is being deleted); what was recorded, if anything."""
        known = (await self._store.copies_of(copied_type, [gateway_id])).get(gateway_id)
        if known is not None:
            await self._store.forget_copies(copied_type, gateway_id)
        return known

    async def restore(self, copies: Copies) -> None:
        """Record again what `take` forgot: no pod deleted the object."""
        await self._store.record_copies(copies)

    async def shown(self, kind: SharedKind, body: bytes) -> bytes:
        """A pod's answer with every pod's own id of a shared object replaced by the gateway's."""
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return body
        wanted = shown_ids(document, kind)
        if not wanted:
            return body
        gateway = {
            copied_type: await self._store.gateway_ids(copied_type, sorted(ids))
            for copied_type, ids in wanted.items()
        }
        return json.dumps(with_gateway_ids(document, kind, gateway)).encode()
