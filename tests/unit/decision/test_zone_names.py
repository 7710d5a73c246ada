"""The pod's zone names shown as users know them, in Nova's single field and Neutron's lists."""

from control_plane.decision.resources import SPECS
from control_plane.model import Pod, ResourceType

RENAMING = Pod(name="pod2", az_name="az-west", pod_az_name="nova-west")
DEFAULT_ZONE = Pod(name="pod3", az_name="az-north", pod_az_name="")


def test_a_networks_zone_lists_show_the_users_zone_and_keep_others() -> None:
    network = {"id": "n1", "availability_zone_hints": ["nova-west"],
               "availability_zones": ["nova-west", "elsewhere"]}  # fmt: skip
    shown = SPECS[ResourceType.NETWORK].localised(network, RENAMING)
    assert shown == {"id": "n1", "availability_zone_hints": ["az-west"],
                     "availability_zones": ["az-west", "elsewhere"]}  # fmt: skip


def test_a_pod_without_a_zone_name_of_its_own_shows_every_zone_as_the_users() -> None:
    router = {"id": "r1", "availability_zone_hints": [], "availability_zones": ["nova", "nova"]}
    shown = SPECS[ResourceType.ROUTER].localised(router, DEFAULT_ZONE)
    assert shown == {"id": "r1", "availability_zone_hints": [], "availability_zones": ["az-north"]}


def test_nothing_to_rewrite_is_none() -> None:
    assert SPECS[ResourceType.PORT].localised({"id": "p1"}, RENAMING) is None
    assert not SPECS[ResourceType.PORT].shows_zones
    server = {"id": "s1", "OS-EXT-AZ:availability_zone": "az-west"}
    assert SPECS[ResourceType.SERVER].localised(server, RENAMING) is None


def test_a_servers_zone_is_rewritten_only_when_it_is_the_pods() -> None:
    spec = SPECS[ResourceType.SERVER]
    server = {"id": "s1", "OS-EXT-AZ:availability_zone": "nova-west"}
    assert spec.localised(server, RENAMING) == {**server, "OS-EXT-AZ:availability_zone": "az-west"}
