"""model: which services a pod offers, and where."""

from control_plane.model import Pod, PodState, Service


def test_a_pod_serves_the_services_it_has_a_nonempty_endpoint_for() -> None:
    pod = Pod(name="p", az_name="az", endpoints={"compute": "http://h:8774/v2.1", "volumev3": ""})
    assert (pod.serves(Service.COMPUTE), pod.serves(Service.VOLUME)) == (True, False)
    assert (pod.endpoint(Service.COMPUTE), pod.endpoint(Service.VOLUME)) == (
        "http://h:8774/v2.1",
        "",
    )


def test_serving_does_not_depend_on_the_pod_state() -> None:
    pod = Pod(name="p", az_name="az", state=PodState.DISABLED, endpoints={"volumev3": "http://h"})
    assert pod.serves(Service.VOLUME) and not pod.serves(Service.COMPUTE)
    assert pod.endpoint(Service.COMPUTE) == ""
