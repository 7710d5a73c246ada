"""A test client of one podsim pod's Neutron (`/network/v2.0`), as a project or an admin."""

from typing import Any

import aiohttp

from harness.procs import SimPod
from tests.podsim import call

# The URL segment of each member's collection (Neutron's JSON keys use underscores).
_PATHS = {
    "network": "networks",
    "subnet": "subnets",
    "port": "ports",
    "router": "routers",
    "floatingip": "floatingips",
    "security_group": "security-groups",
    "security_group_rule": "security-group-rules",
}


class Neutron:
    """Requests carrying what keystonemiddleware would send for `project` (None: noauth)."""

    def __init__(
        self, http: aiohttp.ClientSession, pod: SimPod, project: str | None, *, admin: bool = False
    ) -> None:
        self.http = http
        self.api = f"{pod.network_url}/v2.0"
        self.headers: dict[str, str] = {}
        if project is not None:
            self.headers["X-Project-Id"] = project
        if admin and project is not None:
            self.headers["X-Roles"] = "admin,member"

    async def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """Status and decoded body of `method` on `path` (relative to /v2.0, or a full URL)."""
        url = path if path.startswith("http") else f"{self.api}/{path}"
        status, _, answer = await call(self.http, method, url, body, headers=self.headers)
        return status, answer

    async def create(self, member: str, **attrs: object) -> dict[str, Any]:
        """POST one `member`; asserts 201 and returns the created resource."""
        status, body = await self.call("POST", _PATHS[member], {member: attrs})
        assert status == 201, body
        return body[member]

    async def list(self, member: str, query: str = "") -> list[dict[str, Any]]:
        """GET the member's collection (one page as asked by `query`)."""
        status, body = await self.call("GET", f"{_PATHS[member]}{query}")
        assert status == 200, body
        return body[_PATHS[member].replace("-", "_")]

    async def fault(self, method: str, path: str, body: object = None) -> tuple[int, str, str]:
        """Status, NeutronError type and message of a refused request."""
        status, answer = await self.call(method, path, body)
        assert set(answer) == {"NeutronError"}, answer
        error = answer["NeutronError"]
        assert error["detail"] == "", error
        return status, error["type"], error["message"]

    async def network_with_subnet(
        self, cidr: str = "10.0.0.0/24", **network: object
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A network and one IPv4 subnet on it."""
        net = await self.create("network", **network)
        subnet = await self.create(
            "subnet", network_id=net["id"], ip_version=4, cidr=cidr, name=f"{cidr}"
        )
        return net, subnet
