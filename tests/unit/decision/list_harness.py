"""A Lister over in-memory pods, and helpers to ask it for pages and walk every page."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from control_plane.decision.lists.cursors import CursorCache
from control_plane.decision.lists.lister import ListCall, Lister
from control_plane.decision.resources import by_collection
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import Pod, Service
from tests.unit.decision.fake_pods import FakeCloud, FakePod
from tests.unit.decision.fakes import MemoryStore

GATEWAY = "http://gw:19998"
HEADERS = {
    ":scheme": "http",
    ":authority": "gw:19998",
    ":method": "GET",
    "x-auth-token": "tok",
    "x-request-id": "envoy-id",
    "x-forwarded-proto": "http",
    "x-envoy-expected-rq-timeout-ms": "2000",
    "openstack-api-version": "compute 2.79",
}


@dataclass(frozen=True)
class Answer:
    """One page as the client sees it."""

    status: int
    body: dict[str, Any]
    missing: tuple[str, ...]

    def ids(self, collection: str) -> list[str]:
        return [item["id"] for item in self.body[collection]]

    def next_path(self, collection: str) -> str | None:
        links = self.body.get(f"{collection}_links")
        if not links:
            return None
        href = urlsplit(links[0]["href"])
        assert f"{href.scheme}://{href.netloc}" == GATEWAY
        return f"{href.path}?{href.query}"


class Harness:
    """Fake pods registered under user-facing AZs, a routing table and a Lister over them."""

    def __init__(
        self,
        *fakes: FakePod,
        azs: Mapping[str, str] | None = None,
        cursors: int = 100,
        partial: bool = True,
        timeout_s: float = 5.0,
        pods: Mapping[str, Pod] | None = None,
    ) -> None:
        self.fakes = {fake.name: fake for fake in fakes}
        self.cloud = FakeCloud(*fakes)
        azs = azs or {}
        self.pods = dict(pods or {f.name: f.pod(azs.get(f.name, f"az-{f.name}")) for f in fakes})
        self.store = MemoryStore(self.pods)
        self.table = RoutingTable(self.store, max_entries=10_000)
        self.cursors = CursorCache(cursors)
        self.lister = Lister(
            fetch=self.cloud,
            routings=self.table,
            cursors=self.cursors,
            timeout_s=timeout_s,
            partial=partial,
            max_limit=1000,
        )

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Answer:
        """Ask for one page, `path` as the client sends it (with its query)."""
        raw_path, _, query = path.partition("?")
        parts = raw_path.split("/")
        service = Service.COMPUTE if parts[1] == "v2.1" else Service.VOLUME
        spec = by_collection(service, parts[3])
        assert spec is not None, raw_path
        call = ListCall(
            request_id="req-test",
            resource_type=spec.resource_type,
            project_id=parts[2],
            path=raw_path,
            query=query,
            detail=raw_path.rstrip("/").endswith("/detail"),
            headers=dict(headers or HEADERS),
        )
        answer = await self.lister.list(call, self.pods)
        return Answer(answer.status, json.loads(answer.body), answer.missing)

    async def walk(self, path: str, collection: str, *, most_pages: int = 200) -> list[list[str]]:
        """Every page's ids from `path` on, following next links."""
        pages: list[list[str]] = []
        next_path: str | None = path
        while next_path is not None:
            answer = await self.get(next_path)
            assert answer.status == 200, answer.body
            pages.append(answer.ids(collection))
            next_path = answer.next_path(collection)
            assert next_path is None or pages[-1], "a page with a next link must make progress"
            assert len(pages) <= most_pages, "paging does not end"
        return pages
