"""Security groups and their rules; each project's `default` group, made on first use.

Neutron makes a project's `default` group (ingress from itself, egress anywhere, for IPv4 and
IPv6) when the project first lists groups or rules, creates a group, a network or a port
(neutron/db/securitygroups_db.py); a new group of its own gets the two egress rules.
"""

import ipaddress

from podsim.network.faults import NeutronFault, http_bad_request, in_use, invalid_input, not_found
from podsim.network.model import COMMON, Caller, NetKind, NetState, Record, names, public, touch
from podsim.network.query import to_bool

_ETHERTYPES = ("IPv4", "IPv6")
_DIRECTIONS = ("ingress", "egress")
_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132,
              "gre": 47, "ah": 51, "esp": 50, "any": None}  # fmt: skip


def group_not_found(group_id: str) -> NeutronFault:
    return not_found("SecurityGroupNotFound", f"Security group {group_id} does not exist")


def rule_not_found(rule_id: str) -> NeutronFault:
    return not_found("SecurityGroupRuleNotFound", f"Security group rule {rule_id} does not exist")


def ensure_default(state: NetState, project_id: str | None) -> Record | None:
    """The project's `default` group, made (with its four rules) if it has none yet."""
    if not project_id:
        return None
    for group in state.where("security_groups", project_id=project_id, name="default"):
        return group
    group = _new_group(state, project_id, "default", "Default security group", stateful=True)
    for ethertype in _ETHERTYPES:
        _add_rule(state, group, direction="ingress", ethertype=ethertype, remote=group["id"])
    return group


def _new_group(
    state: NetState, project_id: str, name: str, description: str, *, stateful: bool
) -> Record:
    fields = {"name": name, "description": description, "stateful": stateful, "shared": False}
    group = state.add("security_groups", project_id, fields)
    for ethertype in _ETHERTYPES:
        _add_rule(state, group, direction="egress", ethertype=ethertype, remote=None)
    return group


def _add_rule(
    state: NetState, group: Record, *, direction: str, ethertype: str, remote: str | None
) -> Record:
    record = state.add(
        "security_group_rules",
        group["project_id"],
        _rule_fields(group, direction=direction, ethertype=ethertype, remote_group_id=remote),
    )
    del record["tags"]
    return record


def _rule_fields(group: Record, **given: object) -> Record:
    fields: Record = {
        "security_group_id": group["id"],
        "direction": None,
        "ethertype": "IPv4",
        "protocol": None,
        "port_range_min": None,
        "port_range_max": None,
        "remote_ip_prefix": None,
        "remote_group_id": None,
        "remote_address_group_id": None,
        "normalized_cidr": None,
        "belongs_to_default_sg": group["name"] == "default",
    }
    fields.update(given)
    return fields


def _create_group(state: NetState, caller: Caller, project_id: str, attrs: Record) -> Record:
    ensure_default(state, project_id)
    name = str(attrs.get("name", ""))
    if name == "default":
        raise in_use("SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
    description = str(attrs.get("description", ""))
    stateful = to_bool(attrs.get("stateful", True))
    return _new_group(state, project_id, name, description, stateful=stateful)


def _update_group(state: NetState, caller: Caller, record: Record, attrs: Record) -> None:
    if record["name"] == "default" and attrs.get("name", "default") != "default":
        raise in_use(
            "SecurityGroupCannotUpdateDefault", "Updating default security group not allowed."
        )
    record.update(attrs)
    touch(record)


def _delete_group(state: NetState, caller: Caller, record: Record) -> None:
    if record["name"] == "default" and not caller.admin:
        raise in_use(
            "SecurityGroupCannotRemoveDefault",
            "Insufficient rights for removing default security group.",
        )
    if any(record["id"] in port["security_groups"] for port in state.table("ports").values()):
        raise in_use("SecurityGroupInUse", f"Security Group {record['id']} in use.")
    rules = state.table("security_group_rules")
    for rule in list(rules.values()):
        if record["id"] in (rule["security_group_id"], rule["remote_group_id"]):
            del rules[rule["id"]]
    del state.table("security_groups")[record["id"]]


def _group_view(state: NetState, record: Record) -> dict:
    rules = state.where("security_group_rules", security_group_id=record["id"])
    return {**public(record), "security_group_rules": [public(rule) for rule in rules]}


def _create_rule(state: NetState, caller: Caller, project_id: str, attrs: Record) -> Record:
    group_id = attrs.get("security_group_id")
    if group_id is None:
        raise http_bad_request(
            "Failed to parse request. Required attribute 'security_group_id' not specified"
        )
    group = state.table("security_groups").get(str(group_id))
    if group is None or not caller.owns(group):
        raise group_not_found(str(group_id))
    direction = attrs.get("direction")
    if direction not in _DIRECTIONS:
        raise http_bad_request(
            f"Invalid input for direction. Reason: '{direction}' is not in ['ingress', 'egress']."
        )
    ethertype = _ethertype(attrs.get("ethertype", "IPv4"))
    protocol = _protocol(attrs.get("protocol"))
    low, high = _port(attrs, "port_range_min"), _port(attrs, "port_range_max")
    if (low is not None or high is not None) and protocol is None:
        raise invalid_input("Must also specify protocol if port range is given")
    if (
        low is not None
        and high is not None
        and low > high
        and protocol in ("tcp", "udp", "6", "17")
    ):
        raise invalid_input("For TCP/UDP protocols, port_range_min must be <= port_range_max")
    prefix, remote_group = attrs.get("remote_ip_prefix"), attrs.get("remote_group_id")
    if prefix is not None and remote_group is not None:
        raise invalid_input(
            "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be "
            "provided"
        )
    if remote_group is not None:
        remote = state.table("security_groups").get(str(remote_group))
        if remote is None or not caller.owns(remote):
            raise group_not_found(str(remote_group))
    fields = _rule_fields(
        group,
        direction=direction,
        ethertype=ethertype,
        protocol=protocol,
        port_range_min=low,
        port_range_max=high,
        remote_ip_prefix=prefix,
        remote_group_id=remote_group,
        normalized_cidr=_normalized(prefix, ethertype),
    )
    duplicate = _duplicate(state, fields)
    if duplicate is not None:
        raise in_use(
            "SecurityGroupRuleExists",
            f"Security group rule already exists. Rule id is {duplicate['id']}.",
        )
    record = state.add("security_group_rules", group["project_id"], fields)
    record["description"] = str(attrs.get("description", ""))
    del record["tags"]
    return record


def _delete_rule(state: NetState, caller: Caller, record: Record) -> None:
    del state.table("security_group_rules")[record["id"]]


def _duplicate(state: NetState, fields: Record) -> Record | None:
    keys = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
            "remote_ip_prefix", "remote_group_id")  # fmt: skip
    for rule in state.where("security_group_rules", security_group_id=fields["security_group_id"]):
        if all(rule[key] == fields[key] for key in keys):
            return rule
    return None


def _ethertype(value: object) -> str:
    for ethertype in _ETHERTYPES:
        if str(value).lower() == ethertype.lower():
            return ethertype
    raise http_bad_request(
        f"Invalid input for ethertype. Reason: '{value}' is not in ['IPv4', 'IPv6']."
    )


def _protocol(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).lower()
    if text in _PROTOCOLS:
        return None if text == "any" else text
    if text.isdigit() and 0 <= int(text) <= 255:
        return text
    raise invalid_input(
        f"Security group rule protocol {value} not supported. Only protocol values "
        f"{sorted(_PROTOCOLS)} and integer representations [0 to 255] are supported"
    )


def _port(attrs: Record, key: str) -> int | None:
    value = attrs.get(key)
    if value is None:
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise http_bad_request(
            f"Invalid input for {key}. Reason: '{value}' is not an integer."
        ) from None
    if not 0 <= port <= 65535:
        raise invalid_input(f"Invalid value for port {port}")
    return port


def _normalized(prefix: object, ethertype: str) -> str | None:
    if prefix is None:
        return None
    try:
        network = ipaddress.ip_network(str(prefix), strict=False)
    except ValueError:
        raise http_bad_request(
            f"Invalid input for remote_ip_prefix. Reason: '{prefix}' is not a valid IP subnet."
        ) from None
    if f"IPv{network.version}" != ethertype:
        raise invalid_input(f"Conflicting value ethertype {ethertype} for CIDR {prefix}")
    return str(network)


SECURITY_GROUPS = NetKind(
    collection="security_groups",
    member="security_group",
    not_found=group_not_found,
    strict_marker=False,
    attributes=COMMON | names("name stateful shared security_group_rules"),
    sort_keys=names("id name project_id tenant_id created_at updated_at"),
    create_keys=names("name description stateful"),
    update_keys=names("name description stateful"),
    create=_create_group,
    update=_update_group,
    delete=_delete_group,
    view=_group_view,
    prepare=ensure_default,
)

SECURITY_GROUP_RULES = NetKind(
    collection="security_group_rules",
    member="security_group_rule",
    not_found=rule_not_found,
    strict_marker=False,
    attributes=(COMMON - {"tags"})
    | names(
        "security_group_id direction ethertype protocol port_range_min port_range_max "
        "remote_ip_prefix remote_group_id remote_address_group_id normalized_cidr "
        "belongs_to_default_sg"
    ),
    sort_keys=names(
        "id security_group_id direction ethertype protocol port_range_min port_range_max "
        "remote_ip_prefix remote_group_id project_id tenant_id created_at updated_at"
    ),
    create_keys=names(
        "security_group_id direction ethertype protocol port_range_min port_range_max "
        "remote_ip_prefix remote_group_id description"
    ),
    update_keys=names("description"),
    create=_create_rule,
    delete=_delete_rule,
    prepare=ensure_default,
)
