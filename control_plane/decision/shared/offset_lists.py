"""Nova's lists from every pod: offset-paged (os-volumes, os-snapshots, os-server-groups, an
admin's os-security-groups of every project) or not (os-networks, os-tenant-networks).

Each pod not DISABLED (a DRAINING pod still holds its volumes and groups) is asked for its
whole list, `offset` and `limit` taken out; offset_paging.py merges them and cuts the page. A
pod that gives no list is named in the answer's missing pods; when none gives one, the first
refusal is the answer, as the pod worded it.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import replace

from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout
from control_plane.decision.shared.merge import Answer, listed, pick_one
from control_plane.decision.shared.offset_paging import OFFSET_LISTS, offset_page, offset_paging
from control_plane.decision.zone_faults import NO_ZONE
from control_plane.errors import fault_body
from control_plane.model import Pod, PodState

__all__ = ["OffsetLists"]

log = logging.getLogger("podgate.lists")


class OffsetLists:
    """Answers Nova's offset-paged lists, merged from the pods that may hold their items."""

    def __init__(self, *, fanout: Fanout) -> None:
        self._fanout = fanout

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """One page of the merged list; the pods' own refusal of a bad `offset` or `limit`."""
        targets = sorted(
            (p for p in pods.values() if p.state != PodState.DISABLED and p.serves(call.service)),
            key=lambda p: p.name,
        )
        if not targets:
            return Answer(503, fault_body(503, NO_ZONE))
        request = call.pod_request(deadline=self._fanout.deadline())
        collection = call.remainder.strip("/").split("/")[0]
        paging = offset_paging(collection, call.query)
        if paging is None:
            return pick_one([await self._fanout.one(targets[0], request)])
        key = OFFSET_LISTS[collection]
        replies = await self._fanout.all(targets, replace(request, query=paging.pod_query))
        by_name = {pod.name: pod for pod in targets}
        lists = [(by_name[r.pod], items) for r in replies if (items := listed(r, key)) is not None]
        missing = tuple(r.pod for r in replies if listed(r, key) is None)
        if not lists:
            return pick_one(replies)
        page = offset_page(key, lists, paging)
        log.info(
            "%s %s listed from %d pods, %d items, missing %s",
            call.request_id,
            call.remainder,
            len(lists),
            len(page[key]),
            ",".join(missing) or "none",
        )
        return Answer(200, json.dumps(page).encode(), missing)
