"""events: split external events by pod, merge the pods' answers by Nova's rules."""

import json
from datetime import UTC, datetime

import pytest

from control_plane.decision.events.parse import Delivery, check_caller, merge, parse_events, split
from control_plane.errors import BadRequest, Forbidden
from control_plane.identity.policy import Caller

EVENTS = (
    {"name": "network-changed", "server_uuid": "s1", "tag": "port-1"},
    {"name": "network-vif-plugged", "server_uuid": "s2", "status": "completed"},
    {"name": "volume-extended", "server_uuid": "s3", "tag": "vol-1"},
    {"name": "network-changed", "server_uuid": "s1", "tag": "port-2"},
    {"name": "network-changed", "server_uuid": "s9"},
)
PODS = {"s1": "pod-a", "s2": "pod-b", "s3": "pod-a"}


def _accepted(*events: dict) -> bytes:
    return json.dumps(
        {"events": [{**e, "status": "completed", "code": 200} for e in events]}
    ).encode()


def test_events_are_parsed_when_each_names_a_server() -> None:
    assert parse_events(json.dumps({"events": list(EVENTS)}).encode(), max_events=5) == EVENTS


def test_more_events_than_the_bound_are_a_400_naming_it() -> None:
    with pytest.raises(BadRequest, match="at most 4 per request"):
        parse_events(json.dumps({"events": list(EVENTS)}).encode(), max_events=4)


def _caller(*roles: str) -> Caller:
    return Caller(
        user_id="u",
        project_id="p",
        roles=frozenset(roles),
        is_admin="admin" in roles,
        expires_at=datetime.now(UTC),
    )


@pytest.mark.parametrize("roles", [("admin",), ("service",), ("member", "service")])
def test_admins_and_services_may_send_events(roles: tuple[str, ...]) -> None:
    check_caller(_caller(*roles), trust_noauth=False)


@pytest.mark.parametrize("roles", [(), ("member",), ("reader", "member")])
def test_other_callers_may_not_send_events(roles: tuple[str, ...]) -> None:
    with pytest.raises(Forbidden, match="os-server-external-events:create"):
        check_caller(_caller(*roles), trust_noauth=True)


def test_noauth_callers_send_events_only_where_the_operator_trusts_every_caller() -> None:
    with pytest.raises(Forbidden):
        check_caller(None, trust_noauth=False)
    check_caller(None, trust_noauth=True)


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b"{}", b'{"events": []}', b'{"events": {}}', b'{"events": [{"name": "x"}]}'],
)
def test_a_body_without_events_naming_servers_is_a_400(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_events(body, max_events=10)


def test_each_pod_gets_its_events_in_request_order_and_unknown_servers_none() -> None:
    shares = split(EVENTS, PODS)
    assert [(s.pod, s.positions) for s in shares] == [("pod-a", (0, 2, 3)), ("pod-b", (1,))]
    assert json.loads(shares[0].body()) == {"events": [EVENTS[0], EVENTS[2], EVENTS[3]]}


def test_all_accepted_is_200_in_request_order() -> None:
    events = EVENTS[:4]
    shares = split(events, PODS)
    deliveries = [
        Delivery(shares[1], 200, _accepted(EVENTS[1])),
        Delivery(shares[0], 200, _accepted(EVENTS[0], EVENTS[2], EVENTS[3])),
    ]
    status, body = merge(events, deliveries)
    assert status == 200
    assert [e["server_uuid"] for e in json.loads(body)["events"]] == ["s1", "s2", "s3", "s1"]


def test_an_unknown_server_fails_its_event_with_404_and_makes_it_207() -> None:
    shares = split(EVENTS, PODS)
    deliveries = [
        Delivery(shares[0], 200, _accepted(EVENTS[0], EVENTS[2], EVENTS[3])),
        Delivery(shares[1], 200, _accepted(EVENTS[1])),
    ]
    status, body = merge(EVENTS, deliveries)
    assert status == 207
    assert json.loads(body)["events"][4] == {**EVENTS[4], "status": "failed", "code": 404}


def test_a_pods_own_per_event_failures_are_kept() -> None:
    shares = split(EVENTS[:2], PODS)
    failed = {**EVENTS[0], "status": "failed", "code": 422}
    deliveries = [
        Delivery(shares[0], 207, json.dumps({"events": [failed]}).encode()),
        Delivery(shares[1], 200, _accepted(EVENTS[1])),
    ]
    status, body = merge(EVENTS[:2], deliveries)
    assert (status, json.loads(body)["events"][0]) == (207, failed)


def test_a_pods_none_found_fails_its_events_with_404() -> None:
    shares = split(EVENTS[:2], PODS)
    none_found = b'{"itemNotFound": {"message": "No instances found for any event", "code": 404}}'
    deliveries = [
        Delivery(shares[0], 404, none_found),
        Delivery(shares[1], 200, _accepted(EVENTS[1])),
    ]
    status, body = merge(EVENTS[:2], deliveries)
    assert status == 207
    assert [e["code"] for e in json.loads(body)["events"]] == [404, 200]


def test_a_pod_that_did_not_answer_fails_its_events_with_503() -> None:
    shares = split(EVENTS[:2], PODS)
    deliveries = [Delivery(shares[0], None), Delivery(shares[1], 200, _accepted(EVENTS[1]))]
    status, body = merge(EVENTS[:2], deliveries)
    assert status == 207
    assert json.loads(body)["events"][0] == {**EVENTS[0], "status": "failed", "code": 503}


def test_no_server_known_is_novas_404_fault() -> None:
    status, body = merge(EVENTS[4:], [])
    assert (status, json.loads(body)) == (
        404,
        {"itemNotFound": {"message": "No instances found for any event", "code": 404}},
    )


def test_nothing_delivered_because_pods_failed_is_a_503_naming_them() -> None:
    shares = split(EVENTS[:2], PODS)
    status, body = merge(EVENTS[:2], [Delivery(s, None) for s in shares])
    assert status == 503
    assert "pod-a, pod-b" in json.loads(body)["serviceUnavailable"]["message"]


def test_a_pod_refusing_the_request_is_answered_as_it_answered() -> None:
    shares = split(EVENTS[:2], PODS)
    forbidden = b'{"forbidden": {"message": "Policy does not allow", "code": 403}}'
    deliveries = [
        Delivery(shares[0], 200, _accepted(EVENTS[0])),
        Delivery(shares[1], 403, forbidden),
    ]
    assert merge(EVENTS[:2], deliveries) == (403, forbidden)


@pytest.mark.parametrize("body", [b"<html>", b'{"events": []}', b'{"events": ["x"]}'])
def test_an_unreadable_answer_counts_as_a_failed_pod(body: bytes) -> None:
    shares = split(EVENTS[:2], PODS)
    deliveries = [Delivery(shares[0], 200, body), Delivery(shares[1], 200, _accepted(EVENTS[1]))]
    status, answer = merge(EVENTS[:2], deliveries)
    assert (status, json.loads(answer)["events"][0]["code"]) == (207, 503)
