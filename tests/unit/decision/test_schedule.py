"""schedule(): binding stickiness per AZ, pod states, unknown and exhausted AZs."""

import pytest

from control_plane.decision.create.schedule import Placement, schedule
from control_plane.errors import BadRequest, PodUnavailable
from control_plane.model import Binding, Pod, PodState

A1 = Pod(name="a1", az_name="az1")
A2 = Pod(name="a2", az_name="az1")
B1 = Pod(name="b1", az_name="az2")
PODS = [A1, A2, B1]


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
    assert schedule(pods, [_binding(A2)], "az1") == Placement(pod=A1, bind=True)


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
    with pytest.raises(PodUnavailable, match="No pod accepts"):
        schedule([], [], None)
