"""podsim pods serving Neutron over real HTTP in this process, and a Lister over them.

`NeutronCloud` holds a `split` cloud of two pods and a `solo` pod holding every item of both:
the gateway's merged walk over the split pods must be the solo pod's own walk, page by page.
"""

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from control_plane.decision.decisions import ListPage
from control_plane.decision.lists.cursors import CursorCache
from control_plane.decision.lists.lister import ListAnswer, Lister
from control_plane.decision.pods.client import PodClient
from control_plane.decision.resources import by_collection
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import Pod, Service
from podsim.app import build_app
from podsim.config import PodConfig
from tests.unit.decision.fakes import MemoryStore

GATEWAY = "http://gw:19995"
_ID_HEADER = "x-podsim-created-id"


@dataclass(frozen=True)
class Page:
    """One page as a client sees it: the items and the links' queries by rel."""

    status: int
    body: dict[str, Any]
    missing: tuple[str, ...] = ()

    def items(self, key: str) -> list[dict[str, Any]]:
        return self.body[key]

    def link(self, key: str, rel: str) -> str | None:
        """The href of the `rel` link, if the page has one."""
        for link in self.body.get(f"{key}_links", []):
            if link["rel"] == rel:
                return str(link["href"])
        return None


class SimNeutron:
    """One in-process podsim; `api` is its Neutron v2.0 root."""

    def __init__(self, name: str, az: str) -> None:
        self.name = name
        self.az = az
        self.server = TestServer(build_app(PodConfig(name=name, az=az, test_hooks=True)))

    async def start(self) -> None:
        await self.server.start_server()

    @property
    def endpoint(self) -> str:
        return f"http://{self.server.host}:{self.server.port}/network"

    def pod(self, az_name: str) -> Pod:
        endpoints = {"network": self.endpoint}
        return Pod(name=self.name, az_name=az_name, pod_az_name=self.az, endpoints=endpoints)


class NeutronCloud:
    """Split pods `east` and `west`, the `solo` pod, an HTTP session and a Lister."""

    def __init__(self) -> None:
        self.east = SimNeutron("east", "nova")
        self.west = SimNeutron("west", "nova")
        self.solo = SimNeutron("solo", "nova")
        self.http: aiohttp.ClientSession | None = None
        self.client = PodClient()
        self.pods: dict[str, Pod] = {}
        self.store = MemoryStore()
        self.table = RoutingTable(self.store, max_entries=10_000)
        self.cursors = CursorCache(100)

    async def start(self) -> None:
        for sim in (self.east, self.west, self.solo):
            await sim.start()
        self.http = aiohttp.ClientSession()
        self.pods = {sim.name: sim.pod("nova") for sim in (self.east, self.west)}
        self.store.pods = dict(self.pods)

    async def close(self) -> None:
        assert self.http is not None
        await self.http.close()
        await self.client.close()
        for sim in (self.east, self.west, self.solo):
            await sim.server.close()

    def lister(self, *, cursors: CursorCache | None = None, partial: bool = True) -> Lister:
        return Lister(
            fetch=self.client,
            routings=self.table,
            cursors=cursors if cursors is not None else self.cursors,
            timeout_s=5.0,
            partial=partial,
            max_limit=1000,
        )

    async def create(
        self, sim: SimNeutron, project: str, member: str, path: str, **attrs: object
    ) -> dict[str, Any]:
        """POST one resource to `sim` and to the solo pod under the same id."""
        made: dict[str, Any] = {}
        for target in (sim, self.solo):
            headers = {"X-Project-Id": project}
            if made:
                headers[_ID_HEADER] = made["id"]
            url = f"{target.endpoint}/v2.0/{path}"
            answer = await self._call("POST", url, headers, attrs, member)
            made = made or answer
            assert answer["id"] == made["id"]
        return made

    async def delete(self, sim: SimNeutron, project: str, path: str) -> None:
        """DELETE `/v2.0/<path>` from `sim` and from the solo pod."""
        assert self.http is not None
        for target in (sim, self.solo):
            url = f"{target.endpoint}/v2.0/{path}"
            async with self.http.delete(url, headers={"X-Project-Id": project}) as response:
                assert response.status == 204, await response.text()

    async def _call(
        self, method: str, url: str, headers: Mapping[str, str], attrs: object, member: str
    ) -> dict[str, Any]:
        assert self.http is not None
        async with self.http.request(
            method, url, headers=dict(headers), json={member: attrs}
        ) as response:
            body = await response.json()
            assert response.status == 201, body
            return body[member]

    async def solo_get(self, path_and_query: str, project: str | None) -> Page:
        """GET `/v2.0/...` from the solo pod, as Neutron itself answers it."""
        assert self.http is not None
        headers = {"X-Project-Id": project} if project else {}
        url = f"{self.solo.endpoint}{path_and_query}"
        async with self.http.get(url, headers=headers) as response:
            return Page(response.status, await response.json())

    async def gateway_get(
        self, path_and_query: str, project: str | None, lister: Lister | None = None
    ) -> Page:
        """The same request as the gateway's lister answers it over the split pods."""
        answer = await self.list(path_and_query, project, lister)
        return Page(answer.status, json.loads(answer.body), answer.missing)

    async def list(
        self, path_and_query: str, project: str | None, lister: Lister | None = None
    ) -> ListAnswer:
        path, _, query = path_and_query.partition("?")
        spec = by_collection(Service.NETWORK, path.split("/")[2])
        assert spec is not None, path
        headers = {":authority": "gw:19995", ":scheme": "http", "x-auth-token": "tok"}
        if project:
            headers["x-project-id"] = project
        page = ListPage(
            resource_type=spec.resource_type,
            project_id=project or "",
            path=path,
            query=query,
            detail=False,
            headers=headers,
            collection=spec.collection,
        )
        return await (lister or self.lister()).list("req-neutron", page, self.pods)


async def cloud() -> AsyncIterator[NeutronCloud]:
    """A started NeutronCloud, closed afterwards (a fixture's body)."""
    neutron = NeutronCloud()
    await neutron.start()
    try:
        yield neutron
    finally:
        await neutron.close()
