"""FastPathSet: the bounded, change-notifying set of routings Envoy routes by itself."""

from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import ResourceType, Routing
from control_plane.settings import FastPathSettings
from control_plane.xds.fast_path_set import FastPathSet
from tests.unit.decision.fakes import MemoryStore

SERVER = ResourceType.SERVER


def _routing(resource_id: str, pod: str = "a", project: str = "p1") -> Routing:
    return Routing(resource_id=resource_id, resource_type=SERVER, project_id=project, pod_name=pod)


def _ids(fast_path_set: FastPathSet) -> list[str]:
    return [routing.resource_id for routing in fast_path_set.routings()]


class _Changes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def test_least_recently_used_drops_out_at_the_cap() -> None:
    changes = _Changes()
    fast_path_set = FastPathSet(max_entries=2, on_change=changes)
    fast_path_set.add(_routing("s1"))
    fast_path_set.add(_routing("s2"))
    fast_path_set.add(_routing("s1"))  # used again: s2 is now the oldest
    fast_path_set.add(_routing("s3"))
    assert _ids(fast_path_set) == ["s1", "s3"]
    assert changes.count == 3  # re-using s1 changed nothing Envoy sees


def test_a_moved_routing_is_a_change() -> None:
    changes = _Changes()
    fast_path_set = FastPathSet(max_entries=5, on_change=changes)
    fast_path_set.add(_routing("s1", pod="a"))
    fast_path_set.add(_routing("s1", pod="b"))
    assert fast_path_set.routings() == (_routing("s1", pod="b"),)
    assert changes.count == 2


def test_deleted_resources_stay_out() -> None:
    changes = _Changes()
    fast_path_set = FastPathSet(max_entries=5, on_change=changes)
    fast_path_set.add(_routing("s1"))
    fast_path_set.delete(SERVER, "s1")
    fast_path_set.add(_routing("s1"))
    fast_path_set.seed([_routing("s1")])
    assert _ids(fast_path_set) == []
    assert changes.count == 2


def test_forget_drops_without_keeping_out() -> None:
    fast_path_set = FastPathSet(max_entries=5)
    fast_path_set.add(_routing("s1"))
    fast_path_set.forget(SERVER, "s1")
    assert _ids(fast_path_set) == []
    fast_path_set.add(_routing("s1"))
    assert _ids(fast_path_set) == ["s1"]


def test_seed_notifies_once_and_keeps_the_newest() -> None:
    changes = _Changes()
    fast_path_set = FastPathSet(max_entries=2, on_change=changes)
    fast_path_set.seed([_routing("s1"), _routing("s2"), _routing("s3")])
    assert _ids(fast_path_set) == ["s2", "s3"]
    assert changes.count == 1
    fast_path_set.seed([])
    assert changes.count == 1


def test_zero_entries_turns_the_fast_path_off() -> None:
    changes = _Changes()
    fast_path_set = FastPathSet(max_entries=0, on_change=changes)
    fast_path_set.add(_routing("s1"))
    assert len(fast_path_set) == 0 and changes.count == 0


async def test_routing_table_feeds_the_fast_path_set() -> None:
    store = MemoryStore()
    await store.put_routing(_routing("stored"))
    fast_path_set = FastPathSet(max_entries=10)
    table = RoutingTable(store, max_entries=10, fast_path_set=fast_path_set)
    await table.record(_routing("created"))
    assert await table.lookup(SERVER, "stored") == _routing("stored")
    assert await table.lookup(SERVER, "missing") is None
    assert _ids(fast_path_set) == ["created", "stored"]
    await table.learn([_routing("listed")])
    assert "listed" not in _ids(fast_path_set)  # a list is no request for it
    table.deleted(SERVER, "created")
    table.forget(SERVER, "stored")
    assert _ids(fast_path_set) == []
    assert await table.lookup(SERVER, "created") == _routing("created")
    assert _ids(fast_path_set) == []  # deleted: stays with the decision service


def test_keystone_mode_verifies_pods_unless_told_otherwise() -> None:
    verify, trust, off = (
        FastPathSettings(max_entries=7, pod_auth=p) for p in ("verify", "trust", "off")
    )
    assert FastPathSettings(max_entries=7) == verify  # the safe policy is the default
    assert [s.entries("keystone") for s in (verify, trust, off)] == [7, 7, 0]
    assert [s.verifies_pods("keystone") for s in (verify, trust, off)] == [True, False, False]
    assert [s.entries("noauth") for s in (verify, trust, off)] == [7, 7, 7]
    assert not verify.verifies_pods("noauth")  # no token to check


def test_ids_dropped_at_the_cap_and_used_again_are_counted() -> None:
    fast_path_set = FastPathSet(max_entries=2)
    fast_path_set.seed([_routing("known1"), _routing("known2")])
    fast_path_set.add(_routing("new1"))  # known1 is the oldest seen, however busy in Envoy
    fast_path_set.add(_routing("new2"))
    assert _ids(fast_path_set) == ["new1", "new2"]
    assert fast_path_set.readmissions == 0
    fast_path_set.add(_routing("known1"))  # its next GET went through the decision service
    fast_path_set.add(_routing("new3"))  # never in the set: not a comeback
    assert _ids(fast_path_set) == ["known1", "new3"]
    assert fast_path_set.readmissions == 1
