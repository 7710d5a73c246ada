"""follow: which named resources placement follows, the pod they share, and the 400s naming
zones (never pods) when they share none."""

import pytest

from control_plane.decision.create.follow import Followed, beside, followed, in_zone, shared_pod
from control_plane.decision.decisions import Reference
from control_plane.errors import BadRequest, PodUnavailable
from control_plane.model import Pod, ResourceType, Routing

EAST_A = Pod(name="east-a", az_name="az-east")
EAST_B = Pod(name="east-b", az_name="az-east")
WEST = Pod(name="west", az_name="az-west")
PODS = {pod.name: pod for pod in (EAST_A, EAST_B, WEST)}

VOLUME = Reference(ResourceType.VOLUME, "v1")
NETWORK = Reference(ResourceType.NETWORK, "n1")
SUBNET = Reference(ResourceType.SUBNET, "sub1")
PORT = Reference(ResourceType.PORT, "port1")


def routing(reference: Reference, pod: Pod, project: str = "p1") -> Routing:
    return Routing(reference.resource_id, reference.resource_type, project, pod.name)


def test_the_projects_own_resources_are_followed_in_the_order_named() -> None:
    routings = {VOLUME: routing(VOLUME, WEST), PORT: routing(PORT, WEST)}
    assert followed([PORT, VOLUME, PORT], routings, "p1", PODS) == (
        Followed(PORT, WEST),
        Followed(VOLUME, WEST),
    )


def test_unknown_names_and_other_projects_volumes_and_ports_do_not_count() -> None:
    routings = {VOLUME: routing(VOLUME, WEST, "p2"), PORT: routing(PORT, EAST_A, "p2")}
    assert followed([VOLUME, PORT, NETWORK], routings, "p1", PODS) == ()


def test_other_projects_networks_and_subnets_are_followed() -> None:
    routings = {NETWORK: routing(NETWORK, WEST, "admin"), SUBNET: routing(SUBNET, WEST, "p2")}
    assert followed([NETWORK, SUBNET], routings, "p1", PODS) == (
        Followed(NETWORK, WEST),
        Followed(SUBNET, WEST),
    )


def test_a_named_resource_in_a_pod_that_is_gone_is_a_503() -> None:
    gone = Routing("v1", ResourceType.VOLUME, "p1", "old-pod")
    with pytest.raises(PodUnavailable):
        followed([VOLUME], {VOLUME: gone}, "p1", PODS)


def test_nothing_named_is_nothing_to_follow() -> None:
    assert shared_pod(()) is None


def test_resources_of_one_pod_share_it() -> None:
    assert shared_pod((Followed(NETWORK, EAST_B), Followed(VOLUME, EAST_B))) == EAST_B


def test_resources_in_two_zones_are_a_400_naming_the_zones() -> None:
    with pytest.raises(BadRequest) as refused:
        shared_pod((Followed(NETWORK, EAST_A), Followed(VOLUME, WEST)))
    assert refused.value.message == (
        "Network n1 and volume v1 are in different availability zones: az-east, az-west."
    )


def test_resources_in_two_pods_of_one_zone_are_a_400_naming_no_pod() -> None:
    with pytest.raises(BadRequest) as refused:
        shared_pod((Followed(PORT, EAST_A), Followed(SUBNET, EAST_B)))
    message = refused.value.message
    assert message == (
        "Port port1 and subnet sub1 are in availability zone az-east but cannot be used together."
    )
    assert "east-a" not in message and "east-b" not in message


def test_an_attach_names_the_resource_it_is_attached_to() -> None:
    router = Followed(Reference(ResourceType.ROUTER, "r1"), WEST)
    beside(router, [Followed(NETWORK, WEST)])
    with pytest.raises(BadRequest, match=r"^Router r1 and floating IP f1 are in different"):
        beside(router, [Followed(Reference(ResourceType.FLOATING_IP, "f1"), EAST_A)])


def test_a_zone_asked_for_must_be_the_named_resources() -> None:
    in_zone(Followed(VOLUME, WEST), None)
    in_zone(Followed(VOLUME, WEST), "az-west")
    with pytest.raises(BadRequest) as refused:
        in_zone(Followed(VOLUME, WEST), "az-east")
    assert refused.value.message == "Volume v1 is in availability zone az-west, not az-east."
