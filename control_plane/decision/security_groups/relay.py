"""Security groups and their rules through the gateway: made in every pod, shown once.

The model is copies.py's. Creates go to every ENABLED pod at once; when one refuses, the copies
the others made are deleted again and the client gets the refusal as the pod worded it. The
home pod is the first of them by name. A group or rule the gateway did not make (made directly
in a pod, or a `default` group) is looked for in the pods; `default` groups, which Neutron makes
per project in each pod, are recorded as copies of one another when first seen.
"""

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout, PodRequest, usable_pods
from control_plane.decision.pods.reply import Reply
from control_plane.decision.security_groups.copies import (
    DEFAULT_GROUP,
    Listed,
    created,
    for_pod,
    named_groups,
    paired_rules,
    shown,
)
from control_plane.decision.shared.merge import Answer
from control_plane.errors import PodgateError, fault_body
from control_plane.model import CopiedType, Copies, Pod, Service

__all__ = ["CopyStore", "SecurityGroups"]

log = logging.getLogger("podgate.security_groups")

_GROUP, _RULE = CopiedType.SECURITY_GROUP, CopiedType.SECURITY_GROUP_RULE
_COLLECTIONS = {"security-groups": _GROUP, "security-group-rules": _RULE}
# Each type's collection path on a pod (Neutron's paths name no project).
_PATHS = {copied_type: f"/v2.0/{collection}" for collection, copied_type in _COLLECTIONS.items()}
_KEYS = {_GROUP: "security_groups", _RULE: "security_group_rules"}
_NOT_FOUND = {
    _GROUP: ("SecurityGroupNotFound", "Security group {id} does not exist"),
    _RULE: ("SecurityGroupRuleNotFound", "Security group rule {id} does not exist"),
}
_PAGING = frozenset({"limit", "marker", "page_reverse"})
# Asked for whatever `fields` the client wants: what telling copies apart reads.
_NEEDED_FIELDS = ("id", "name", "project_id", "security_group_id", "remote_group_id")


class CopyStore(Protocol):
    """The part of the store copies need."""

    async def record_copies(self, copies: Copies) -> None: ...

    async def copies_of(
        self, copied_type: CopiedType, gateway_ids: Sequence[str]
    ) -> dict[str, Copies]: ...

    async def gateway_ids(
        self, copied_type: CopiedType, copy_ids: Sequence[str]
    ) -> dict[str, str]: ...

    async def forget_copies(self, copied_type: CopiedType, gateway_id: str) -> None: ...


class SecurityGroups:
    """Answers `/v2.0/security-groups[...]` and `/v2.0/security-group-rules[...]`."""

    def __init__(self, *, fanout: Fanout, store: CopyStore) -> None:
        self._fanout = fanout
        self._store = store

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """The gateway's answer to `call` (a path below `/v2.0/`)."""
        targets = usable_pods(pods, Service.NETWORK)
        if not targets:
            return _fault(503, "No availability zone can serve the request.")
        _, _, collection, *rest = call.remainder.split("/")
        copied_type = _COLLECTIONS[collection]
        request = call.pod_request(deadline=self._fanout.deadline())
        if not rest:
            if call.method == "GET":
                return await self._list(targets, request, copied_type, call.project_id)
            return await self._create(call.request_id, targets, request, copied_type)
        copies = await self._copies(targets, request, copied_type, rest[0])
        if copies is None:
            kind, message = _NOT_FOUND[copied_type]
            return _fault(404, message.format(id=rest[0]), kind)
        holding = [pod for pod in targets if pod.name in copies.ids]
        if not holding:
            return _fault(503, "No availability zone holding it can serve the request.")
        if call.method == "GET":
            return _answer(await self._fanout.one(holding[0], _at(request, copies, holding[0])))
        replies = await self._fanout.each([(pod, _at(request, copies, pod)) for pod in holding])
        if call.method == "DELETE" and all(r.ok or r.status == 404 for r in replies):
            await self._store.forget_copies(copied_type, copies.gateway_id)
            return Answer(204, b"")
        failed = [r for r in replies if not r.ok]
        home = next((r for r in replies if copies.ids[r.pod] == copies.gateway_id), replies[0])
        return _answer(failed[0] if failed else home)

    async def _create(
        self, request_id: str, targets: Sequence[Pod], request: PodRequest, copied_type: CopiedType
    ) -> Answer:
        """One copy per pod; the home pod's answer; every copy undone when a pod refuses."""
        sends = [(pod, request) for pod in targets]
        if copied_type is _RULE:
            names = named_groups(request.body)
            groups = {g: c for g in names if (c := await self._copies(targets, request, _GROUP, g))}
            sends = [
                (pod, replace(request, body=body))
                for pod in targets
                if (body := for_pod(request.body, groups, pod.name)) is not None
            ]
            if not sends:
                kind, message = _NOT_FOUND[_GROUP]
                return _fault(404, message.format(id=", ".join(names)), kind)
        replies = await self._fanout.each(sends)
        refused = [reply for reply in replies if not reply.ok]
        made = {r.pod: items for r in replies if r.ok and (items := created(copied_type, r.body))}
        home = replies[0]
        count = len(made.get(home.pod, []))
        if refused or len(made) != len(replies) or any(len(i) != count for i in made.values()):
            await self._undo(request_id, targets, request, copied_type, made)
            return _answer(refused[0] if refused else replies[0])
        # A bulk create's items come back in the order asked, in every pod: copies by position.
        for index in range(count):
            copy = {pod: items[index] for pod, items in made.items()}
            project = str(copy[home.pod].get("project_id") or request.project_id)
            ids = {pod: item["id"] for pod, item in copy.items()}
            await self._store.record_copies(Copies(copied_type, ids[home.pod], project, ids))
            if copied_type is _GROUP:
                await self._pair_rules(copy, home.pod, project)
        log.info("%s %d %s made in %d pods", request_id, count, copied_type, len(made))
        return _answer(home)

    async def _pair_rules(self, made: Mapping[str, Any], home: str, project: str) -> None:
        """The rules Neutron put in each new copy, recorded as copies of the home pod's."""
        rules: dict[str, dict[str, str]] = {}
        for pod, group in made.items():
            for home_rule, rule in paired_rules(made[home], group).items():
                rules.setdefault(home_rule, {home: home_rule})[pod] = rule
        for home_rule, ids in rules.items():
            await self._store.record_copies(Copies(_RULE, home_rule, project, ids))

    async def _undo(
        self,
        request_id: str,
        targets: Sequence[Pod],
        request: PodRequest,
        copied_type: CopiedType,
        made: Mapping[str, Sequence[Mapping[str, Any]]],
    ) -> None:
        by_name = {pod.name: pod for pod in targets}
        undos = [
            (by_name[pod], _delete(request, f"{_PATHS[copied_type]}/{item['id']}"))
            for pod, items in made.items()
            for item in items
        ]
        for reply in await self._fanout.each(undos):
            if not reply.ok and reply.status != 404:
                log.warning("%s undoing a copy in pod %s: %s", request_id, reply.pod, reply.status)

    async def _copies(
        self, targets: Sequence[Pod], request: PodRequest, copied_type: CopiedType, object_id: str
    ) -> Copies | None:
        """The object's copies: stored, or found in the pods (a `default` group's recorded)."""
        known = (await self._store.copies_of(copied_type, [object_id])).get(object_id)
        if known is not None:
            return known
        probe = _get(request, f"{_PATHS[copied_type]}/{object_id}")
        holders = [r for r in await self._fanout.all(targets, probe) if r.status == 200]
        if not holders:
            return None
        item = next(iter(created(copied_type, holders[0].body)), {})
        project = str(item.get("project_id") or request.project_id)
        copies = Copies(copied_type, object_id, project, {holders[0].pod: object_id})
        if copied_type is _GROUP and item.get("name") == DEFAULT_GROUP:
            copies = await self._defaults(targets, request, project, holders[0].pod, object_id)
        return copies

    async def _defaults(
        self, targets: Sequence[Pod], request: PodRequest, project: str, home: str, home_id: str
    ) -> Copies:
        """A project's `default` groups in every pod, recorded as copies of the home one."""
        query = urlencode({"name": DEFAULT_GROUP, "project_id": project})
        listing = _get(request, _PATHS[_GROUP], query)
        ids = {home: home_id}
        for reply in await self._fanout.all(targets, listing):
            for item in _items(reply, _KEYS[_GROUP]) or []:
                if item.get("name") == DEFAULT_GROUP and reply.pod not in ids:
                    ids[reply.pod] = item["id"]
        copies = Copies(_GROUP, home_id, project, ids)
        await self._record_quietly(copies)
        return copies

    async def _list(
        self, targets: Sequence[Pod], request: PodRequest, copied_type: CopiedType, project: str
    ) -> Answer:
        """Every pod's list, each object once, then the client's page of it."""
        params = parse_qsl(request.query, keep_blank_values=True)
        asked = [(k, v) for k, v in params if k not in _PAGING]
        fields = [v for k, v in asked if k == "fields"]
        if fields:
            asked += [("fields", f) for f in _NEEDED_FIELDS if f not in fields]
        replies = await self._fanout.all(targets, replace(request, query=urlencode(asked)))
        key = _KEYS[copied_type]
        lists = {r.pod: items for r in replies if (items := _items(r, key)) is not None}
        if not lists:
            return _answer(next((r for r in replies if r.status), replies[0]))
        listed = Listed(lists)
        gateway_ids = await self._store.gateway_ids(copied_type, listed.ids())
        if copied_type is _RULE:
            gateway_ids.update(await self._store.gateway_ids(_GROUP, listed.ids()))
        else:
            for owner, defaults in listed.defaults(gateway_ids).items():
                home = next(pod.name for pod in targets if pod.name in defaults)
                copies = Copies(_GROUP, defaults[home], owner, defaults)
                await self._record_quietly(copies)
                gateway_ids.update({copy: copies.gateway_id for copy in defaults.values()})
        items = shown(listed, gateway_ids)
        if fields:
            items = [{f: item[f] for f in fields if f in item} for item in items]
        return Answer(200, json.dumps(_page(key, items, dict(params))).encode())

    async def _record_quietly(self, copies: Copies) -> None:
        """Record copies found by a read; another request recording them first is as good."""
        if len(copies.ids) < 2:
            return
        try:
            await self._store.record_copies(copies)
        except PodgateError as exc:
            log.info("copies of %s not recorded: %s", copies.gateway_id, exc)


def _page(key: str, items: list[dict[str, Any]], params: Mapping[str, str]) -> dict[str, Any]:
    """The client's page, by id as Neutron pages without a sort (no links when unpaged)."""
    if "limit" not in params and "marker" not in params:
        return {key: items}
    items = sorted(items, key=lambda item: str(item.get("id")))
    marker = params.get("marker")
    if marker:
        items = [item for item in items if str(item.get("id")) > marker]
    limit = params.get("limit", "")
    size = int(limit) if limit.isdigit() and int(limit) > 0 else len(items)
    return {key: items[:size]}


def _at(request: PodRequest, copies: Copies, pod: Pod) -> PodRequest:
    """The request with the object named by `pod`'s own id."""
    head, _, _ = request.remainder.rpartition(f"/{copies.gateway_id}")
    rest = request.remainder[len(head) + len(copies.gateway_id) + 1 :]
    return replace(request, remainder=f"{head}/{copies.ids[pod.name]}{rest}")


def _get(request: PodRequest, remainder: str, query: str = "") -> PodRequest:
    return replace(request, method="GET", remainder=remainder, query=query, body=b"")


def _delete(request: PodRequest, remainder: str) -> PodRequest:
    return replace(request, method="DELETE", remainder=remainder, query="", body=b"", deadline=None)


def _items(reply: Reply, key: str) -> list[dict[str, Any]] | None:
    if reply.status != 200:
        return None
    try:
        document = json.loads(reply.body)
    except (ValueError, RecursionError):
        return None
    items = document.get(key) if isinstance(document, dict) else None
    if not isinstance(items, list):
        return None
    return [item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]


def _answer(reply: Reply) -> Answer:
    """A pod's answer as it gave it; none at all is a 503."""
    if reply.status == 0:
        return _fault(503, "The network service is not available.")
    return Answer(reply.status, reply.body)


def _fault(status: int, message: str, kind: str = "") -> Answer:
    return Answer(status, fault_body(status, message, Service.NETWORK, kind))
