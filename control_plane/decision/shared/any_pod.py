"""Requests whose answer is the same from every pod: one ENABLED pod answers them.

Nova's image proxy (`images`, microversions up to 2.35) reads and writes the image service, and
in a multi-pod setup every pod uses the same one (Glance is shared, as Trio2o had it); Nova's
`extensions` list is the same in every pod. So the first ENABLED pod by name is asked, the next
one only when a pod does not answer at all; whatever it says (a fault included) is the answer,
its links pointing at the gateway. Asking one pod keeps a write (an image's metadata, its delete)
a single write.
"""

import logging
from collections.abc import Mapping

from control_plane.decision.pods.fanout import AcrossPodsCall, Fanout, usable_pods
from control_plane.decision.shared.merge import Answer, gateway_links
from control_plane.decision.zone_faults import NO_ZONE
from control_plane.errors import fault_body
from control_plane.model import Pod

__all__ = ["AnyPod"]

log = logging.getLogger("podgate.shared")


class AnyPod:
    """Answers a request from the first ENABLED pod that answers it."""

    def __init__(self, *, fanout: Fanout) -> None:
        self._fanout = fanout

    async def answer(self, call: AcrossPodsCall, pods: Mapping[str, Pod]) -> Answer:
        """The first answering pod's answer, links pointing at the gateway; 503 when none."""
        request = call.pod_request(deadline=self._fanout.deadline())
        for pod in usable_pods(pods, call.service):
            reply = await self._fanout.one(pod, request)
            if reply.status == 0:
                continue
            log.info(
                "%s %s %s answered by pod %s: %d",
                call.request_id,
                call.method,
                call.remainder,
                pod.name,
                reply.status,
            )
            body = gateway_links(reply.body, call.service, call.origin, call.project_id)
            return Answer(reply.status, body)
        return Answer(503, fault_body(503, NO_ZONE))
