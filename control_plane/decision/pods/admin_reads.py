"""The gateway's own reads of the pods' resources, as their admin: is one gone, which exist.

Nobody's request carries these reads, so they go as the gateway's service user (keystone mode:
service_token.py, whose admin role lets the pods show every project's resources) or, in noauth
mode, with no token at all (the pods trust the gateway; Neutron's noauth context is an admin).
Transport trouble, timeouts and unexpected answers are results, never exceptions.
"""

import asyncio
import logging
from collections.abc import Mapping

from control_plane.decision.pods.client import PodCallError, PodFetch, PodResponse
from control_plane.decision.pods.service_token import ServiceToken
from control_plane.decision.resources import SPECS, ResourceSpec
from control_plane.decision.routed.gone import shows_gone
from control_plane.decision.routed.reconcile import list_path, read_page
from control_plane.endpoints import pod_url
from control_plane.errors import PodgateError
from control_plane.model import Pod, Routing

__all__ = ["AdminReads"]

log = logging.getLogger("podgate.routings")

# A noauth pod takes any project in its URL; this one names the gateway in the pod's logs.
_NOAUTH_PROJECT = "podgate"
# Pages of one listing at most (a million resources of one type at 1000 a page).
_MAX_PAGES = 1000


class AdminReads:
    """GETs of resources and admin lists, each bounded by `timeout_s`."""

    def __init__(self, *, fetch: PodFetch, token: ServiceToken | None, timeout_s: float) -> None:
        self._fetch = fetch
        self._token = token
        self._timeout_s = timeout_s

    async def gone(self, pod: Pod, routing: Routing) -> bool | None:
        """Whether the pod shows the resource gone (True), present (False) or cannot tell."""
        spec = SPECS[routing.resource_type]
        try:
            project, headers = await self._credentials(routing.project_id)
        except PodgateError as exc:
            log.warning("no service token to check %s: %s", routing.resource_id, exc)
            return None
        url = pod_url(pod.endpoint(spec.service), project, spec.item_path(routing.resource_id))
        answer = await self._get(url, headers)
        if isinstance(answer, str):
            log.info("pod %s not asked about %s: %s", pod.name, routing.resource_id, answer)
            return None
        return shows_gone(spec, routing.resource_id, answer.status, answer.body)

    async def ids(self, pod: Pod, spec: ResourceSpec) -> frozenset[str] | str:
        """Every id of the type the pod has, any project's, or why they are unknown."""
        try:
            project, headers = await self._credentials(_NOAUTH_PROJECT)
        except PodgateError as exc:
            return str(exc)
        endpoint = pod.endpoint(spec.service)
        found: set[str] = set()
        marker: str | None = None
        for _ in range(_MAX_PAGES):
            remainder, query = list_path(spec, marker)
            answer = await self._get(pod_url(endpoint, project, remainder, query), headers)
            if isinstance(answer, str):
                return answer
            if answer.status != 200:
                return f"HTTP {answer.status} listing {spec.collection}"
            page = read_page(spec, answer.body)
            if page is None:
                return f"the {spec.collection} list is not one"
            found.update(page.ids)
            if page.next_marker is None:
                return frozenset(found)
            if page.next_marker == marker:
                return f"the {spec.collection} list repeats its marker"
            marker = page.next_marker
        return f"more than {_MAX_PAGES} pages of {spec.collection}"

    async def _credentials(self, noauth_project: str) -> tuple[str, dict[str, str]]:
        """The project a URL names and the headers: the service user's, or noauth's."""
        headers = {"accept": "application/json"}
        if self._token is None:
            return noauth_project, headers
        auth = await self._token.current()
        return auth.project_id, {**headers, "x-auth-token": auth.token}

    async def _get(self, url: str, headers: Mapping[str, str]) -> PodResponse | str:
        try:
            async with asyncio.timeout(self._timeout_s):
                answer = await self._fetch(url, headers)
        except PodCallError as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {self._timeout_s}s"
        if answer.status == 401 and self._token is not None:
            self._token.invalidate()
        return answer
