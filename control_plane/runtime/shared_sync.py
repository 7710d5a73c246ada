"""Shared objects kept alike in every ENABLED pod over time: a new pod gets the earlier ones.

Every `shared_sync_s`, and within a second of a pod being registered or enabled again, each
ENABLED pod's flavors, volume types, group types and QoS specs are listed (admin view) and
compared (decision/shared/drift.py): what the gateway made and a pod lacks is made there (a
flavor with its id, extra specs and project access; a type with its extra specs and access; QoS
specs with their associations), each new Cinder id recorded; what still differs is each pod's
drift, shown by `podgate status` and the `podgate_shared_objects_missing` gauge. Key pairs belong
to their users, whose list only they (or an admin naming them) can read: they are not copied.
Calls carry the gateway's service token (keystone mode) or none (noauth: the pods trust it).
Runs in the main process only (decision workers would race each other's creates).
"""

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import Protocol

from control_plane.decision.pods.fanout import Fanout, PodRequest, usable_pods
from control_plane.decision.pods.reply import Reply
from control_plane.decision.pods.service_token import ServiceToken
from control_plane.decision.security_groups.relay import CopyStore
from control_plane.decision.shared.drift import Listing, Plan, Repair, create_body, plan
from control_plane.decision.shared.kinds import SHARED_KINDS, SharedKind
from control_plane.decision.shared.merge import created_name, listed
from control_plane.errors import PodgateError
from control_plane.metrics import Metrics
from control_plane.model import CopiedType, Copies, Pod

__all__ = ["SharedSync", "SyncStore"]

log = logging.getLogger("podgate.shared_sync")

# A noauth pod takes any project in its URL; this one names the gateway in the pod's logs.
_NOAUTH_PROJECT = "podgate"
_COPIED = tuple(kind for kind in SHARED_KINDS.values() if kind.copied_type is not None)
_WATCH_S = 1.0


class SyncStore(CopyStore, Protocol):
    """The copies the sync reads and records (the Store)."""

    async def every_copy(self, copied_type: CopiedType) -> list[Copies]: ...


class SharedSync:
    """Compares and repairs the pods' shared objects; `drift` tells what still differs."""

    def __init__(
        self,
        *,
        fanout: Fanout,
        pods: Callable[[], Mapping[str, Pod]],
        store: SyncStore,
        interval_s: float,
        token: ServiceToken | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._fanout = fanout
        self._pods = pods
        self._store = store
        self._interval_s = interval_s
        self._token = token
        self._metrics = metrics or Metrics()
        self._drift: dict[str, tuple[str, ...]] = {}
        self._gauged: dict[str, set[str]] = {}

    def drift(self) -> Mapping[str, tuple[str, ...]]:
        """Pod name -> what it lacks ("flavors: big, small"), as the last check found it."""
        return self._drift

    async def run(self) -> None:
        """Check every `interval_s`, and as soon as an ENABLED pod appears, until cancelled."""
        synced: frozenset[str] = frozenset()
        due = 0.0
        loop = asyncio.get_running_loop()
        while True:
            pods = self._pods()
            enabled = frozenset(pod.name for s in _SERVICES for pod in usable_pods(pods, s))
            if enabled - synced or loop.time() >= due:
                try:
                    await self.sync_once()
                except Exception:
                    log.exception("shared-object sync failed; the next check tries again")
                synced, due = enabled, loop.time() + self._interval_s
            await asyncio.sleep(_WATCH_S)

    async def sync_once(self) -> None:
        """One round over every copied kind: pairs recorded, copies made, drift measured."""
        try:
            auth = await self._token.current() if self._token is not None else None
        except PodgateError as exc:
            log.warning("shared-object sync skipped: %s", exc)
            return
        headers = {"accept": "application/json", "content-type": "application/json"}
        if auth is not None:
            headers["x-auth-token"] = auth.token
        project = auth.project_id if auth is not None else _NOAUTH_PROJECT
        drift: dict[str, list[str]] = {}
        for kind in _COPIED:
            missing = await self._sync_kind(kind, project, headers)
            for pod, names in missing.items():
                drift.setdefault(pod, []).append(f"{kind.list_key}: {', '.join(names)}")
            self._gauge(kind, missing)
        self._report({pod: tuple(lines) for pod, lines in sorted(drift.items())})

    async def _sync_kind(
        self, kind: SharedKind, project: str, headers: Mapping[str, str]
    ) -> Mapping[str, tuple[str, ...]]:
        """Repair one kind; what each pod still lacks."""
        assert kind.copied_type is not None
        targets = usable_pods(self._pods(), kind.service)
        if len(targets) < 2:
            return {}
        if kind.version_header is not None:
            headers = {**headers, kind.version_header[0]: kind.version_header[1]}
        base = PodRequest(kind.service, "GET", project, "", "", headers)
        tail = "/detail" if "detail" in kind.literals else ""
        listing = replace(base, remainder=f"/{kind.collection}{tail}", query=kind.every_object)
        replies = await self._fanout.all(targets, listing)
        if self._token is not None and any(reply.status == 401 for reply in replies):
            self._token.invalidate()  # the next round gets a new token
        listings = [
            Listing(reply.pod, tuple(items))
            for reply in replies
            if (items := listed(reply, kind.list_key)) is not None
        ]
        recorded = await self._store.every_copy(kind.copied_type)
        work = plan(kind, listings, recorded)
        for adoption in work.adoptions:
            await self._record(kind.copied_type, adoption.gateway_id, dict(adoption.ids), project)
        for pairing in work.pairings:
            await self._record(kind.copied_type, pairing.gateway_id, {pairing.pod: pairing.copy_id})
        by_name = {pod.name: pod for pod in targets}
        made = await asyncio.gather(
            *(self._repair(kind, base, by_name, repair) for repair in work.repairs)
        )
        return _still_missing(work, [r for r, ok in zip(work.repairs, made, strict=True) if ok])

    async def _repair(
        self, kind: SharedKind, base: PodRequest, pods: Mapping[str, Pod], repair: Repair
    ) -> bool:
        """Make the copy, then what hangs off it; whether the copy was made."""
        assert kind.copied_type is not None
        body = json.dumps(create_body(kind, repair.item)).encode()
        create = replace(base, method="POST", remainder=f"/{kind.collection}", body=body)
        reply = await self._fanout.one(pods[repair.target], create)
        if not reply.ok:
            log.warning(
                "shared %s %s not made in pod %s: %s %s",
                kind.member,
                repair.name,
                repair.target,
                reply.status,
                reply.body[:200].decode(errors="replace"),
            )
            return False
        copy_id = created_name(kind.member, "id", reply)
        if copy_id is None:
            return False
        await self._record(kind.copied_type, repair.gateway_id, {repair.target: copy_id})
        source_id = str(repair.item.get("id"))
        source, target = pods[repair.source], pods[repair.target]
        for follow in _FOLLOW_UPS.get(kind.copied_type, ()):
            await follow(self, kind, base, (source, source_id), (target, copy_id), repair.item)
        log.info("shared %s %s made in pod %s", kind.member, repair.name, repair.target)
        return True

    async def _extra_specs(
        self,
        kind: SharedKind,
        base: PodRequest,
        source: tuple[Pod, str],
        target: tuple[Pod, str],
        item: Mapping[str, object],
    ) -> None:
        """A flavor's extra specs (its list entry shows none)."""
        path = f"/{kind.collection}/{{}}/os-extra_specs"
        specs = await self._read(source, replace(base, remainder=path), "extra_specs")
        if isinstance(specs, dict) and specs:
            body = json.dumps({"extra_specs": specs}).encode()
            await self._write(target, replace(base, method="POST", remainder=path, body=body))

    async def _access(
        self,
        kind: SharedKind,
        base: PodRequest,
        source: tuple[Pod, str],
        target: tuple[Pod, str],
        item: Mapping[str, object],
    ) -> None:
        """The projects a private flavor or volume type is given to."""
        public, read, listed_as, field, action, key = _ACCESS[kind.member]
        if item.get(public, True) is not False:
            return
        path = f"/{kind.collection}/{{}}/{read}"
        entries = await self._read(source, replace(base, remainder=path), listed_as)
        for entry in entries if isinstance(entries, list) else []:
            project = entry.get(field) if isinstance(entry, dict) else None
            if isinstance(project, str):
                body = json.dumps({action: {key: project}}).encode()
                grant = replace(
                    base, method="POST", remainder=f"/{kind.collection}/{{}}/action", body=body
                )
                await self._write(target, grant)

    async def _associations(
        self,
        kind: SharedKind,
        base: PodRequest,
        source: tuple[Pod, str],
        target: tuple[Pod, str],
        item: Mapping[str, object],
    ) -> None:
        """The volume types QoS specs are associated with, each by the target pod's id."""
        path = f"/{kind.collection}/{{}}/associations"
        found = await self._read(source, replace(base, remainder=path), "qos_associations")
        types = CopiedType.VOLUME_TYPE
        for entry in found if isinstance(found, list) else []:
            if not isinstance(entry, dict) or entry.get("association_type") != "volume_type":
                continue
            gateway = await self._store.gateway_ids(types, [str(entry.get("id"))])
            copies = await self._store.copies_of(types, list(gateway.values()))
            own = next((c.ids.get(target[0].name) for c in copies.values()), None)
            if own is not None:
                associate = replace(
                    base, remainder=f"/{kind.collection}/{{}}/associate", query=f"vol_type_id={own}"
                )
                await self._write(target, associate)

    async def _read(self, at: tuple[Pod, str], request: PodRequest, key: str) -> object:
        reply = await self._fanout.one(at[0], _at(request, at[1]))
        document = _document(reply) if reply.status == 200 else None
        return document.get(key) if isinstance(document, dict) else None

    async def _write(self, at: tuple[Pod, str], request: PodRequest) -> None:
        reply = await self._fanout.one(at[0], _at(request, at[1]))
        if not reply.ok:
            log.warning(
                "shared object %s in pod %s: %s", request.remainder, reply.pod, reply.status
            )

    async def _record(
        self, copied_type: CopiedType, gateway_id: str, ids: dict[str, str], project: str = ""
    ) -> None:
        """Record `ids` as copies of `gateway_id` (a new object: as `project`'s)."""
        known = (await self._store.copies_of(copied_type, [gateway_id])).get(gateway_id)
        project = known.project_id if known is not None else project or _NOAUTH_PROJECT
        try:
            await self._store.record_copies(Copies(copied_type, gateway_id, project, ids))
        except PodgateError as exc:  # recorded meanwhile (a user's request found it first)
            log.info("copy of %s %s not recorded: %s", copied_type, gateway_id, exc)

    def _gauge(self, kind: SharedKind, missing: Mapping[str, tuple[str, ...]]) -> None:
        """One sample per pod lacking objects of `kind`; none for the others (deleted pods too)."""
        gauge = self._metrics.shared_objects_missing
        for pod, names in missing.items():
            gauge.labels(pod, kind.list_key).set(len(names))
        for pod in self._gauged.get(kind.list_key, set()) - set(missing):
            with suppress(KeyError):
                gauge.remove(pod, kind.list_key)
        self._gauged[kind.list_key] = set(missing)

    def _report(self, drift: dict[str, tuple[str, ...]]) -> None:
        """Log what changed, one line per pod."""
        for pod in sorted(set(drift) | set(self._drift)):
            if drift.get(pod) != self._drift.get(pod):
                if pod in drift:
                    log.warning("pod %s differs in shared objects: %s", pod, "; ".join(drift[pod]))
                else:
                    log.info("pod %s holds every shared object again", pod)
        self._drift = drift


def _still_missing(work: Plan, made: Sequence[Repair]) -> dict[str, tuple[str, ...]]:
    """The plan's drift less the copies just made."""
    done = {(repair.target, repair.name) for repair in made}
    missing = {
        pod: tuple(name for name in names if (pod, name) not in done)
        for pod, names in work.missing.items()
    }
    return {pod: names for pod, names in missing.items() if names}


def _at(request: PodRequest, object_id: str) -> PodRequest:
    return replace(request, remainder=request.remainder.format(object_id))


def _document(reply: Reply) -> object:
    try:
        return json.loads(reply.body)
    except (ValueError, RecursionError):
        return None


# member -> (its public flag, the access list's path and key, the project field, the action
# granting access and its key)
_ACCESS = {
    "flavor": (
        "os-flavor-access:is_public",
        "os-flavor-access",
        "flavor_access",
        "tenant_id",
        "addTenantAccess",
        "tenant",
    ),
    "volume_type": (
        "os-volume-type-access:is_public",
        "os-volume-type-access",
        "volume_type_access",
        "project_id",
        "addProjectAccess",
        "project",
    ),
}
_FOLLOW_UPS = {
    CopiedType.FLAVOR: (SharedSync._extra_specs, SharedSync._access),
    CopiedType.VOLUME_TYPE: (SharedSync._access,),
    CopiedType.QOS_SPECS: (SharedSync._associations,),
}
_SERVICES = tuple(dict.fromkeys(kind.service for kind in _COPIED))
