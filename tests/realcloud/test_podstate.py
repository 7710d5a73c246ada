"""The pods' state before a Tempest run: what counts as Tempest's leftovers, what differs."""

from realcloud.cleanup import SEEDED
from realcloud.podstate import Flavor, Leftovers, Owned, PodState, differences, leftovers

NANO, MICRO = SEEDED
LIVE = {"admin-project", "demo-project"}


def pod(
    *,
    flavors: tuple[Flavor, ...] = SEEDED,
    types: dict[str, str] | None = None,
    keypairs: tuple[tuple[str, str], ...] = (),
    servers: tuple[Owned, ...] = (),
    volumes: tuple[Owned, ...] = (),
) -> PodState:
    return PodState(
        frozenset(flavors),
        {"__DEFAULT__": "t0"} if types is None else types,
        frozenset(keypairs),
        servers,
        volumes,
    )


def test_the_seeded_state_has_no_leftovers_and_no_differences() -> None:
    state = pod(servers=(Owned("s1", "realcloud-az1", "demo-project"),))
    assert leftovers(state, LIVE, SEEDED) == Leftovers()
    assert differences({"Pod1": state, "Pod2": pod()}, LIVE, SEEDED) == []


def test_leftovers_are_tempest_named_objects_and_resources_of_deleted_projects() -> None:
    state = pod(
        flavors=(*SEEDED, Flavor("f9", "tempest-ServersTest-flavor-1", 64, 1, 0)),
        types={"__DEFAULT__": "t0", "tempest-Retype-volume-type-2": "t2", "gold": "t3"},
        keypairs=(("u1", "tempest-key-3"), ("u1", "mine")),
        servers=(Owned("s1", "x", "gone-project"), Owned("s2", "y", "demo-project")),
        volumes=(Owned("v1", "", "gone-project"), Owned("v2", "", "admin-project")),
    )
    assert leftovers(state, LIVE, SEEDED) == Leftovers(
        servers=("s1",),
        volumes=("v1",),
        flavors=("f9",),
        volume_types=("t2",),  # an operator's "gold" stays
        keypairs=(("u1", "tempest-key-3"),),
    )


def test_a_seeded_flavor_is_never_a_leftover_even_with_a_tempest_name() -> None:
    renamed = Flavor(NANO.id, "tempest-nano", NANO.ram, NANO.vcpus, NANO.disk)
    assert leftovers(pod(flavors=(renamed, MICRO)), LIVE, (renamed, MICRO)).flavors == ()


def test_differences_name_extra_missing_and_one_pod_only_objects() -> None:
    pod1 = pod(
        flavors=(NANO, Flavor("99", "operator-flavor", 64, 1, 0)),
        types={"__DEFAULT__": "t0", "gold": "t3"},
        keypairs=(("u1", "mine"),),
    )
    assert differences({"Pod1": pod1, "Pod2": pod()}, LIVE, SEEDED) == [
        "Pod1: flavor 99 'operator-flavor' (64 MB, 1 vCPU, 0 GB) is not seeded",
        "Pod1: seeded flavor 84 'm1.micro' (192 MB, 1 vCPU, 1 GB) is missing",
        "volume type 'gold' only in Pod1",
        "key pair 'mine (user u1)' only in Pod1",
    ]


def test_leftovers_that_survived_the_clean_up_are_differences_even_in_both_pods() -> None:
    stuck = pod(
        types={"__DEFAULT__": "t0", "tempest-type-1": "t1"},
        servers=(Owned("s1", "x", "gone"),),
        volumes=(Owned("v1", "", "gone"),),
    )
    assert differences({"Pod1": stuck, "Pod2": stuck}, LIVE, SEEDED) == [
        "Pod1: server s1 of a deleted project is still there",
        "Pod1: volume v1 of a deleted project is still there",
        "Pod1: Tempest's volume type 'tempest-type-1' is still there",
        "Pod2: server s1 of a deleted project is still there",
        "Pod2: volume v1 of a deleted project is still there",
        "Pod2: Tempest's volume type 'tempest-type-1' is still there",
    ]


def test_neutron_leftovers_are_deleted_in_the_order_that_frees_each_next() -> None:
    state = PodState(
        frozenset(SEEDED),
        {"__DEFAULT__": "t0"},
        frozenset(),
        (),
        (),
        {
            "networks": (
                Owned("n1", "tempest-net", "gone-project"),
                Owned("pub", "public", "admin-project"),
            ),
            "routers": (Owned("r1", "tempest-router", "gone-project"),),
            "security-groups": (
                Owned("sg1", "default", "gone-project"),
                Owned("sg2", "default", "demo-project"),
            ),
            "ports": (Owned("p1", "", "gone-project"),),
            "floatingips": (Owned("f1", "", "gone-project"),),
        },
    )
    gone = leftovers(state, LIVE, SEEDED)
    assert gone.neutron == (
        ("floatingips", "f1"),
        ("routers", "r1"),
        ("ports", "p1"),
        ("networks", "n1"),
        ("security-groups", "sg1"),
    )
    assert "Pod1: networks n1 of a deleted project is still there" in differences(
        {"Pod1": state, "Pod2": pod()}, LIVE, SEEDED
    )
