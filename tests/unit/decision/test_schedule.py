"""schedule(): binding stickiness per AZ, pod states, capacity, unknown and exhausted AZs."""

import pytest

from control_plane.decision.create.capacity import Capacity
from control_plane.decision.create.schedule import Placement, schedule
from control_plane.errors import BadRequest, PodUnavailable
from control_plane.model import Binding, Pod, PodState

A1 = Pod(name="a1", az_name="az1")
A2 = Pod(name="a2", az_name="az1")
A3 = Pod(name="a3", az_name="az1")
B1 = Pod(name="b1", az_name="az2")
PODS = [A1, A2, B1]
ROOMY = Capacity(free_ram_mib=8192, free_vcpus=4, full=False)
SMALL = Capacity(free_ram_mib=1024, free_vcpus=8, full=False)
FULL = Capacity(free_ram_mib=0, free_vcpus=2, full=True)


def _binding(pod: Pod, *, active: bool = True) -> Binding:
    return Binding(
        id=f"b-{pod.name}", project_id="p1", az_name=pod.az_name, pod_name=pod.name, active=active
    )


def test_first_candidate_in_the_az_is_chosen_and_bound() -> None:
    assert schedule(PODS, [], "az2") == Placement(pod=B1, bind=True)


def test_binding_in_the_requested_az_is_reused_without_rebinding() -> None:
    assert schedule(PODS, [_binding(A2)], "az1") == Placement(pod=A2, bind=False)


def test_binding_in_another_az_is_ignored() -> None:
    assert schedule(PODS, [_binding(B1)], "az1") == Placement(pod=A1, bind=True)


def test_inactive_binding_is_ignored() -> None:
    assert schedule(PODS, [_binding(A2, active=False)], "az1") == Placement(pod=A1, bind=True)


def test_binding_to_a_draining_pod_moves_the_project_on() -> None:
    pods = [A1, Pod(name="a2", az_name="az1", state=PodState.DRAINING)]
    assert schedule(pods, [_binding(A2)], "az1") == Placement(pod=A1, bind=True, replaces="a2")


@pytest.mark.parametrize("state", [PodState.DRAINING, PodState.DISABLED])
def test_pods_not_enabled_are_skipped(state: PodState) -> None:
    pods = [Pod(name="a1", az_name="az1", state=state), A2, B1]
    assert schedule(pods, [], "az1") == Placement(pod=A2, bind=True)


def test_unknown_az_is_a_bad_request_naming_it() -> None:
    with pytest.raises(BadRequest, match="'az9'"):
        schedule(PODS, [], "az9")


def test_az_with_only_draining_pods_is_unavailable() -> None:
    pods = [Pod(name="a1", az_name="az1", state=PodState.DRAINING), B1]
    with pytest.raises(PodUnavailable, match="'az1'"):
        schedule(pods, [], "az1")


def test_no_az_takes_the_first_enabled_pod_anywhere() -> None:
    pods = [Pod(name="a1", az_name="az1", state=PodState.DISABLED), B1, A2]
    assert schedule(pods, [], None) == Placement(pod=B1, bind=True)


@pytest.mark.parametrize("az", [None, ""])
def test_no_az_reuses_a_binding_in_any_az(az: str | None) -> None:
    assert schedule(PODS, [_binding(B1)], az) == Placement(pod=B1, bind=False)


def test_no_pods_at_all_is_unavailable() -> None:
    with pytest.raises(PodUnavailable, match=r"^No availability zone accepts new resources"):
        schedule([], [], None)


def test_an_unbound_project_goes_to_the_pod_with_the_most_free_ram() -> None:
    capacity = {"a1": SMALL, "a2": ROOMY, "a3": FULL}
    assert schedule([A1, A2, A3, B1], [], "az1", capacity=capacity) == Placement(A2, bind=True)


def test_equal_free_ram_goes_by_free_vcpus_then_preference_order() -> None:
    more_cpus = Capacity(free_ram_mib=8192, free_vcpus=6, full=False)
    capacity = {"a1": ROOMY, "a2": more_cpus, "a3": more_cpus}
    assert schedule([A1, A2, A3], [], "az1", capacity=capacity) == Placement(A2, bind=True)


def test_pods_of_unknown_capacity_come_after_known_room_but_before_full_pods() -> None:
    assert schedule([A1, A2], [], "az1", capacity={"a2": SMALL}).pod == A2
    assert schedule([A1, A2], [], "az1", capacity={"a2": FULL}).pod == A1


def test_without_any_capacity_known_the_oldest_pod_wins() -> None:
    assert schedule([A1, A2, A3], [], "az1", capacity={}) == Placement(A1, bind=True)


def test_no_az_takes_the_roomiest_pod_of_the_oldest_pods_zone() -> None:
    capacity = {"a1": SMALL, "a2": ROOMY, "b1": ROOMY}
    assert schedule(PODS, [], None, capacity=capacity) == Placement(A2, bind=True)


def test_no_az_goes_to_another_zone_only_when_the_oldest_pods_zone_is_full() -> None:
    capacity = {"a1": FULL, "a2": FULL, "b1": SMALL}
    assert schedule(PODS, [], None, capacity=capacity) == Placement(B1, bind=True)


def test_a_bound_pod_with_room_keeps_the_project_even_if_another_has_more() -> None:
    capacity = {"a1": ROOMY, "a2": SMALL}
    assert schedule(PODS, [_binding(A2)], "az1", capacity=capacity) == Placement(A2, bind=False)


def test_a_bound_pod_of_unknown_capacity_keeps_the_project() -> None:
    assert schedule(PODS, [_binding(A2)], "az1", capacity={"a1": ROOMY}).pod == A2


def test_a_full_bound_pod_rebinds_the_project_to_the_roomiest_other_pod() -> None:
    capacity = {"a1": SMALL, "a2": FULL, "a3": ROOMY}
    placement = schedule([A1, A2, A3], [_binding(A2)], "az1", capacity=capacity)
    assert placement == Placement(A3, bind=True, replaces="a2")


def test_a_full_bound_pod_moves_the_project_to_a_pod_of_unknown_capacity() -> None:
    placement = schedule([A1, A2], [_binding(A1)], "az1", capacity={"a1": FULL})
    assert placement == Placement(A2, bind=True, replaces="a1")


def test_a_full_bound_pod_keeps_the_project_when_every_other_pod_is_full() -> None:
    capacity = {"a1": FULL, "a2": FULL, "a3": Capacity(100, 1, full=True)}
    placement = schedule([A1, A2, A3], [_binding(A2)], "az1", capacity=capacity)
    assert placement == Placement(A2, bind=False)


def test_a_draining_bound_pod_rebinds_to_the_roomiest_enabled_pod() -> None:
    draining = Pod(name="a1", az_name="az1", state=PodState.DRAINING)
    capacity = {"a1": ROOMY, "a2": SMALL, "a3": ROOMY}
    placement = schedule([draining, A2, A3], [_binding(A1)], "az1", capacity=capacity)
    assert placement == Placement(A3, bind=True, replaces="a1")


def test_a_draining_bound_pod_rebinds_even_to_a_full_pod() -> None:
    draining = Pod(name="a1", az_name="az1", state=PodState.DRAINING)
    placement = schedule([draining, A2], [_binding(A1)], "az1", capacity={"a2": FULL})
    assert placement == Placement(A2, bind=True, replaces="a1")


def test_a_full_bound_pod_in_another_az_does_not_move_the_project_here() -> None:
    capacity = {"a1": SMALL, "a2": ROOMY, "b1": FULL}
    placement = schedule(PODS, [_binding(B1)], "az1", capacity=capacity)
    assert placement == Placement(A2, bind=True)


def test_an_unhealthy_pod_is_skipped_however_roomy() -> None:
    capacity = {"a1": SMALL, "a2": ROOMY}
    placement = schedule(PODS, [], "az1", {"a2"}, capacity)
    assert placement == Placement(A1, bind=True)


def test_an_unhealthy_bound_pod_still_refuses_its_az_even_when_others_have_room() -> None:
    capacity = {"a1": ROOMY, "a2": FULL}
    with pytest.raises(PodUnavailable, match=r"az1, which holds the project's resources") as no:
        schedule(PODS, [_binding(A2)], "az1", {"a2"}, capacity)
    assert no.value.detail == "pod a2 is not answering"


def test_an_unhealthy_bound_pod_blocks_only_its_own_az_when_none_is_named() -> None:
    capacity = {"a1": ROOMY, "b1": SMALL}
    placement = schedule(PODS, [_binding(A1), _binding(B1)], None, {"a1"}, capacity)
    assert placement == Placement(B1, bind=False)
