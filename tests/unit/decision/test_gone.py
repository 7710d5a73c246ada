"""What counts as gone: the follow-up of a pod's answer, and the answers that settle it."""

import json

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.resources import SPECS, ResourceSpec
from control_plane.decision.routed.gone import (
    FollowUp,
    after_answer,
    check_delays,
    shows_gone,
    watches,
)
from control_plane.model import ResourceType, Service

ID = "9d3a4c1e-0000-4000-8000-000000000001"
SERVER, VOLUME, NETWORK = (
    SPECS[ResourceType.SERVER],
    SPECS[ResourceType.VOLUME],
    SPECS[ResourceType.NETWORK],
)


def _fault(name: str, message: str, code: int = 404) -> bytes:
    return json.dumps({name: {"message": message, "code": code}}).encode()


def _neutron(kind: str, message: str) -> bytes:
    return json.dumps({"NeutronError": {"type": kind, "message": message, "detail": ""}}).encode()


@pytest.mark.parametrize(
    ("service", "method", "status", "follow_up"),
    [
        (Service.COMPUTE, "GET", 404, FollowUp.CONFIRM),
        (Service.VOLUME, "DELETE", 404, FollowUp.CONFIRM),
        (Service.COMPUTE, "DELETE", 204, FollowUp.POLL),
        (Service.VOLUME, "DELETE", 202, FollowUp.POLL),
        (Service.NETWORK, "DELETE", 204, FollowUp.FORGET),
        (Service.NETWORK, "GET", 404, FollowUp.CONFIRM),
        (Service.COMPUTE, "GET", 200, FollowUp.NOTHING),
        (Service.COMPUTE, "DELETE", 409, FollowUp.NOTHING),
        (Service.COMPUTE, "GET", 503, FollowUp.NOTHING),
        (Service.COMPUTE, "PUT", 404, FollowUp.NOTHING),
        (Service.NETWORK, "DELETE", 202, FollowUp.NOTHING),
    ],
)
def test_follow_up_of_an_answer(
    service: Service, method: str, status: int, follow_up: FollowUp
) -> None:
    assert after_answer(service, method, status) is follow_up


@pytest.mark.parametrize(
    ("spec", "status", "body", "gone"),
    [
        # Nova's and Cinder's own faults for this id
        (SERVER, 404, _fault("itemNotFound", f"Instance {ID} could not be found."), True),
        (VOLUME, 404, _fault("itemNotFound", f"Volume {ID} could not be found."), True),
        # Neutron's typed fault
        (NETWORK, 404, _neutron("NetworkNotFound", f"Network {ID} could not be found."), True),
        # present
        (SERVER, 200, b'{"server": {}}', False),
        (NETWORK, 200, b"not even json", False),
        # a web server in front of the pod (wrong endpoint path): not the API's fault
        (SERVER, 404, b"<html><body>404 Not Found</body></html>", None),
        (SERVER, 404, b"404 Not Found\n\nThe resource could not be found.", None),
        (SERVER, 404, b"", None),
        (SERVER, 404, b"[]", None),
        # the API's fault, but about something else
        (SERVER, 404, _fault("itemNotFound", "Flavor 7 could not be found."), None),
        (SERVER, 404, _fault("itemNotFound", f"Instance {ID} could not be found.", 400), None),
        (NETWORK, 404, _neutron("SubnetNotFound", f"Subnet {ID} could not be found."), None),
        (NETWORK, 404, _fault("itemNotFound", f"Network {ID} could not be found."), None),
        (VOLUME, 404, _neutron("VolumeNotFound", f"Volume {ID} could not be found."), None),
        # errors tell nothing
        (SERVER, 500, _fault("computeFault", "oops", 500), None),
        (SERVER, 403, _fault("forbidden", "no", 403), None),
    ],
)
def test_answers_that_show_a_resource_gone(
    spec: ResourceSpec, status: int, body: bytes, gone: bool | None
) -> None:
    assert shows_gone(spec, ID, status, body) is gone


def _op(method: str, path: str) -> ResourceOperation:
    service = Service.NETWORK if path.startswith("/v2.0") else Service.COMPUTE
    op = classify(service, method, path)
    assert isinstance(op, ResourceOperation)
    return op


@pytest.mark.parametrize(
    ("method", "path", "watched"),
    [
        ("GET", f"/v2.1/p/servers/{ID}", True),
        ("DELETE", f"/v2.1/p/servers/{ID}", True),
        ("GET", f"/v2.1/p/servers/{ID}/", True),
        ("GET", f"/v2.0/networks/{ID}", True),
        # below the resource: a 404 there says nothing about the server
        ("GET", f"/v2.1/p/servers/{ID}/os-volume_attachments/x", False),
        ("DELETE", f"/v2.1/p/servers/{ID}/os-volume_attachments/x", False),
        ("GET", f"/v2.1/p/servers/{ID}/metadata", False),
        ("PUT", f"/v2.1/p/servers/{ID}", False),
        ("POST", f"/v2.1/p/servers/{ID}/action", False),
    ],
)
def test_only_the_resources_own_path_is_watched(method: str, path: str, watched: bool) -> None:
    assert watches(_op(method, path), method) is watched


def test_checks_double_until_the_total_is_reached() -> None:
    assert check_delays(1.0, 20.0) == (1.0, 2.0, 4.0, 8.0, 5.0)
    assert check_delays(1.0, 1.0) == (1.0,)
    assert check_delays(1.0, 0.0) == ()
    assert sum(check_delays(0.5, 120.0)) == pytest.approx(120.0)


def test_every_resource_type_has_a_gone_rule() -> None:
    for resource_type in ResourceType:
        spec = SPECS[resource_type]
        if spec.fault_type:
            body = _neutron(spec.fault_type, spec.not_found(ID))
        else:
            body = _fault("itemNotFound", spec.not_found(ID))
        assert shows_gone(spec, ID, 404, body) is True
