"""Security groups as copies: a rule reaches each pod's copy, lists show each object once."""

import json

from control_plane.decision.security_groups.copies import (
    Listed,
    for_pod,
    named_groups,
    own_ids,
    paired_rules,
    shown,
)
from control_plane.model import CopiedType, Copies

WEB = Copies(CopiedType.SECURITY_GROUP, "g-home", "p1", {"pod1": "g-home", "pod2": "g-two"})
DB = Copies(CopiedType.SECURITY_GROUP, "d-home", "p1", {"pod1": "d-home", "pod2": "d-two"})


def test_a_rule_names_each_pods_own_copies_of_its_groups() -> None:
    rule = {"security_group_rule": {"security_group_id": "g-home", "remote_group_id": "d-home",
                                    "direction": "ingress"}}  # fmt: skip
    body = json.dumps(rule).encode()
    assert named_groups(body) == ["d-home", "g-home"]
    sent = json.loads(for_pod(body, {"g-home": WEB, "d-home": DB}, "pod2") or b"")
    assert sent["security_group_rule"] == {"security_group_id": "g-two", "remote_group_id": "d-two",
                                           "direction": "ingress"}  # fmt: skip


def test_a_pod_without_a_copy_of_a_named_group_gets_nothing() -> None:
    body = json.dumps({"security_group_rules": [{"security_group_id": "g-home"}]}).encode()
    only_home = Copies(CopiedType.SECURITY_GROUP, "g-home", "p1", {"pod1": "g-home"})
    assert for_pod(body, {"g-home": only_home}, "pod2") is None
    assert json.loads(for_pod(body, {"g-home": only_home}, "pod1") or b"") == json.loads(body)


def test_a_create_names_groups_by_each_pods_id() -> None:
    assert own_ids({"g-home": WEB, "d-home": DB}, "pod2") == {"g-home": "g-two", "d-home": "d-two"}
    assert own_ids({"g-home": WEB}, "pod9") == {}


def test_default_rules_pair_by_what_they_allow() -> None:
    def rule(rule_id: str, ethertype: str) -> dict:
        return {"id": rule_id, "direction": "egress", "ethertype": ethertype, "protocol": None}

    home = {"security_group_rules": [rule("h4", "IPv4"), rule("h6", "IPv6")]}
    other = {"security_group_rules": [rule("o6", "IPv6"), rule("o4", "IPv4")]}
    assert paired_rules(home, other) == {"h4": "o4", "h6": "o6"}


def test_a_list_hides_copies_and_the_rules_of_copies() -> None:
    listed = Listed(
        {
            "pod1": [{"id": "g-home", "name": "web"}, {"id": "r1", "security_group_id": "g-home"}],
            "pod2": [
                {"id": "g-two", "name": "web"},
                {"id": "r2", "security_group_id": "g-two"},
                {"id": "only-here", "name": "made-in-pod2"},
            ],
        }
    )
    gateway_ids = {"g-home": "g-home", "g-two": "g-home"}
    assert [item["id"] for item in shown(listed, gateway_ids)] == ["g-home", "r1", "only-here"]


def test_unrecorded_default_groups_are_found_per_project() -> None:
    listed = Listed(
        {
            "pod1": [{"id": "d1", "name": "default", "project_id": "p1"}],
            "pod2": [{"id": "d2", "name": "default", "project_id": "p1"}],
        }
    )
    assert listed.defaults({}) == {"p1": {"pod1": "d1", "pod2": "d2"}}
    assert listed.defaults({"d1": "d1", "d2": "d1"}) == {}
