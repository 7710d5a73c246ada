"""owned(): another project's resource is not found, unless the caller is an admin."""

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import NotFound
from control_plane.model import ResourceType, Routing, Service
from tests.unit.decision.fake_pods import FakePod
from tests.unit.decision.fakes import MemoryStore, owner


async def test_another_projects_server_is_found_only_for_an_admin() -> None:
    pod = FakePod("pa", "nova").pod("az1")
    store = MemoryStore({"pa": pod})
    store.routings[("server", "s1")] = Routing("s1", ResourceType.SERVER, "owner", "pa")
    table = RoutingTable(store, max_entries=10)
    op = classify(Service.COMPUTE, "GET", "/v2.1/admins/servers/s1")
    with pytest.raises(NotFound, match="Instance s1 could not be found"):
        await owner(table, {"pa": pod}, op)
    target = await owner(table, {"pa": pod}, op, any_project=True)
    assert target.pod == pod
    assert target.path.endswith("/admins/servers/s1")  # the admin's own URL, as the APIs take it
