"""A project's security groups follow it into every pod: one copy per pod, one id at the gateway.

Neutron gives every copy its own id and takes none from the client, so the gateway keeps, per
group and per rule, each pod's id (model.Copies, stored): the id users see is the copy's in its
*home* pod (the first pod that made it). Requests name gateway ids; each pod is addressed with
its own (`for_pod`). Lists show each object once: a pod's copy of a known object is hidden, and
the per-pod `default` groups Neutron makes on its own show as one, the home pod's.
A new group's default rules (Neutron adds egress rules to every group) are paired across pods by
what they allow (`paired_rules`), so deleting one deletes it everywhere. Pure: no I/O.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from control_plane.model import CopiedType, Copies

__all__ = [
    "DEFAULT_GROUP",
    "GROUP_REFERENCES",
    "Listed",
    "created",
    "for_pod",
    "named_groups",
    "own_ids",
    "paired_rules",
    "shown",
]

DEFAULT_GROUP = "default"
# The fields of a rule naming a group, mapped to each pod's copy.
GROUP_REFERENCES = ("security_group_id", "remote_group_id")
# What a rule allows: two rules of copies of one group with these equal are copies too.
_RULE_SIGNATURE = (
    "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
    "remote_ip_prefix", "remote_address_group_id", "normalized_cidr",
)  # fmt: skip
_MEMBER = {
    CopiedType.SECURITY_GROUP: "security_group",
    CopiedType.SECURITY_GROUP_RULE: "security_group_rule",
}


def created(copied_type: CopiedType, body: bytes) -> list[dict[str, Any]]:
    """The objects a pod's create answer shows: one, or a bulk create's in order (none: [])."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []
    if not isinstance(document, dict):
        return []
    one, many = document.get(_MEMBER[copied_type]), document.get(f"{_MEMBER[copied_type]}s")
    items = [one] if isinstance(one, dict) else many if isinstance(many, list) else []
    if not items or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        return []
    return items


def named_groups(body: bytes) -> list[str]:
    """The groups a rule create names (one rule or Neutron's bulk form)."""
    return sorted({value for rule in _rules(body) for value in _references(rule)})


def for_pod(body: bytes, groups: Mapping[str, Copies], pod: str) -> bytes | None:
    """A rule create as `pod` must get it: each group named by the pod's copy; None when the
    pod has no copy of a group the rule names."""
    document = json.loads(body)
    for rule in _rules(body, document):
        for field in GROUP_REFERENCES:
            value = rule.get(field)
            if isinstance(value, str) and value:
                copies = groups.get(value)
                if copies is None or pod not in copies.ids:
                    return None
                rule[field] = copies.ids[pod]
    return json.dumps(document).encode()


def own_ids(copies: Mapping[str, Copies], pod: str) -> dict[str, str]:
    """`pod`'s own id of each group named by its gateway id (groups it has no copy of left out)."""
    return {name: group.ids[pod] for name, group in copies.items() if pod in group.ids}


def paired_rules(home: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, str]:
    """The other copy's id of each of `home`'s embedded rules, matched by what they allow."""
    others: dict[tuple[Any, ...], list[str]] = {}
    for rule in _embedded(other):
        others.setdefault(_signature(rule), []).append(rule["id"])
    pairs = {}
    for rule in _embedded(home):
        matches = others.get(_signature(rule))
        if matches:
            pairs[rule["id"]] = matches.pop(0)
    return pairs


class Listed:
    """The pods' lists of one collection, as read: items by pod, in the pods' order."""

    def __init__(self, items: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self.items = items

    def ids(self) -> list[str]:
        """Every id and group reference the items show (what the store is asked about)."""
        found = []
        for items in self.items.values():
            for item in items:
                found.extend(
                    v for f in ("id", *GROUP_REFERENCES) if isinstance(v := item.get(f), str)
                )
        return found

    def defaults(self, known: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """The `default` groups no copy record knows yet: project -> pod -> id."""
        found: dict[str, dict[str, str]] = {}
        for pod, items in self.items.items():
            for item in items:
                if item.get("name") == DEFAULT_GROUP and item.get("id") not in known:
                    project = item.get("project_id") or item.get("tenant_id")
                    if isinstance(project, str) and isinstance(item.get("id"), str):
                        found.setdefault(project, {})[pod] = item["id"]
        return found


def shown(listed: Listed, gateway_ids: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each object once: an item that is another object's copy, or a rule of such a copy, is
    hidden; every other item is shown as its pod gave it (home copies, and objects of one pod)."""
    kept = []
    seen = set()
    for items in listed.items.values():
        for item in items:
            if any(_is_copy(item.get(field), gateway_ids) for field in ("id", *GROUP_REFERENCES)):
                continue
            if item.get("id") in seen:
                continue
            seen.add(item.get("id"))
            kept.append(dict(item))
    return kept


def _is_copy(value: object, gateway_ids: Mapping[str, str]) -> bool:
    """`value` is a pod's id of an object whose gateway id is another one."""
    return isinstance(value, str) and gateway_ids.get(value, value) != value


def _rules(body: bytes, document: Any = None) -> Iterable[dict[str, Any]]:
    """The rule objects of a rule create body (a `document` already parsed is edited in place)."""
    if document is None:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return []
    if not isinstance(document, dict):
        return []
    one = document.get("security_group_rule")
    many = document.get("security_group_rules")
    rules = [one] if isinstance(one, dict) else many if isinstance(many, list) else []
    return [rule for rule in rules if isinstance(rule, dict)]


def _references(rule: Mapping[str, Any]) -> list[str]:
    return [v for f in GROUP_REFERENCES if isinstance(v := rule.get(f), str) and v]


def _embedded(group: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rules = group.get("security_group_rules")
    if not isinstance(rules, list):
        return []
    return [r for r in rules if isinstance(r, dict) and isinstance(r.get("id"), str)]


def _signature(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(str(rule.get(field)) for field in _RULE_SIGNATURE)
