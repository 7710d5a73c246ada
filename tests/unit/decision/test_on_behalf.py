"""A network resource an admin makes for another project is that project's."""

import json
from datetime import UTC, datetime

from control_plane.decision.classify import classify
from control_plane.decision.decide import on_behalf
from control_plane.identity.policy import Caller
from control_plane.model import Service

ADMIN = Caller("u1", "admin-project", frozenset({"admin"}), True, datetime.now(UTC))
MEMBER = Caller("u2", "p1", frozenset({"member"}), False, datetime.now(UTC))


def test_an_admins_network_for_a_project_is_that_projects() -> None:
    op = classify(Service.NETWORK, "POST", "/v2.0/networks")
    for field in ("project_id", "tenant_id"):
        body = json.dumps({"network": {"name": "n", field: "p2"}}).encode()
        assert on_behalf(op, body, ADMIN).project_id == "p2"


def test_a_members_or_a_bodys_without_an_owner_keeps_the_callers_project() -> None:
    op = classify(Service.NETWORK, "POST", "/v2.0/subnets")
    owned = json.dumps({"subnet": {"project_id": "p2"}}).encode()
    assert on_behalf(op, owned, MEMBER) is op
    assert on_behalf(op, json.dumps({"subnet": {}}).encode(), ADMIN) is op
    assert on_behalf(op, b"not json", ADMIN) is op
    assert on_behalf(op, json.dumps({"subnet": {"project_id": "../x"}}).encode(), ADMIN) is op


def test_compute_creates_are_never_on_behalf() -> None:
    op = classify(Service.COMPUTE, "POST", "/v2.1/p1/servers")
    body = json.dumps({"server": {"project_id": "p2"}}).encode()
    assert on_behalf(op, body, ADMIN) is op
