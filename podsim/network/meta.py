"""The documents clients read on start-up: versions, the v2.0 resources, extensions, AZs."""

from typing import Any

from podsim.network.faults import not_found

_UPDATED = "2019-01-01T10:00:00-00:00"
# (alias, name, description) of the extensions this subset behaves like.
_EXTENSIONS = (
    ("agent", "agent", "The agent management extension."),
    ("availability_zone", "Availability Zone", "The availability zone extension."),
    ("network_availability_zone", "Network Availability Zone",
     "Availability zone support for network."),
    ("router_availability_zone", "Router Availability Zone",
     "Availability zone support for router."),
    ("external-net", "Neutron external network",
     "Adds external network attribute to network resource."),
    ("router", "Neutron L3 Router",
     "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to "
     "external networks via a NAT gateway."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode",
     "Extension of the router abstraction for specifying whether SNAT should occur on the "
     "external gateway"),
    ("security-group", "security-group", "The security groups extension."),
    ("port-security", "Port Security", "Provides port security"),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
    ("extra_dhcp_opt", "Neutron Extra DHCP options",
     "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can "
     "be specified (e.g. tftp-server, server-ip-address, bootfile-name)"),
    ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
    ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ("filter-validation", "Filter parameters validation",
     "Provides validation on filtering parameters."),
    ("empty-string-filtering", "Empty String Filtering Extension",
     "Allow filtering by attributes with empty string value"),
    ("project-id", "project_id field enabled",
     "Extension that indicates that project_id field is enabled."),
    ("standard-attr-description", "standard-attr-description",
     "Extension to add descriptions to standard attributes"),
    ("standard-attr-revisions", "Resource revision numbers",
     "This extension will display the revision number of neutron resources."),
    ("standard-attr-timestamp", "Resource timestamps",
     "Adds created_at and updated_at fields to all Neutron resources that have Neutron "
     "standard attributes."),
    ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, "
     "trunk, network_segment_range, router, network, policy, subnetpool, port, "
     "security_group, floatingip", "Enables to set tag on resources with standard attribute."),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("l2_adjacency", "L2 Adjacency",
     "Display whether a network is guaranteed to be adjacent at layer 2"),
    ("network-ip-availability", "Network IP Availability",
     "Provides IP availability data for each network and subnet."),
    ("quotas", "Quota management support", "Expose functions for quotas management per project"),
    ("quota_details", "Quota details management support",
     "Expose functions for quotas usage statistics per project"),
    ("address-scope", "Address scope", "Address scopes extension."),
    ("segment", "Segment", "Segments extension."),
    ("subnet-service-types", "Subnet service types",
     "Provides ability to set the subnet service_types field"),
    ("ip_allocation", "IP Allocation", "IP allocation extension."),
    ("security-groups-shared-filtering", "Security group filtering on the shared field",
     "Support filtering security groups on the shared field"),
    ("security-groups-remote-address-group", "Remote address group id field for security group "
     "rules", "Add new field of remote address group id in security group rules"),
    ("security-groups-normalized-cidr", "Normalized CIDR field for security group rules",
     "Add new field with normalized remote_ip_prefix cidr in SG rule"),
    ("security-groups-rules-belongs-to-default-sg", "Security group rule belongs to the "
     "project's default security group",
     "Flag to determine if the security group rule belongs to the project's default "
     "security group"),
    ("stateful-security-group", "Stateful security group",
     "Indicates if the security group is stateful or not"),
)  # fmt: skip
# Collections listed by GET /v2.0/ (Neutron's core resources).
_RESOURCES = (("subnet", "subnets"), ("network", "networks"), ("port", "ports"))


def versions(origin: str) -> dict[str, Any]:
    """`GET /network/`: the one API version."""
    links = [{"href": f"{origin}/v2.0/", "rel": "self"}]
    return {"versions": [{"id": "v2.0", "status": "CURRENT", "links": links}]}


def resources(origin: str) -> dict[str, Any]:
    """`GET /network/v2.0/`: the core collections and their URLs."""
    return {
        "resources": [
            {
                "name": name,
                "collection": collection,
                "links": [{"href": f"{origin}/v2.0/{collection}", "rel": "self"}],
            }
            for name, collection in _RESOURCES
        ]
    }


def extensions() -> list[dict[str, Any]]:
    """`GET /v2.0/extensions`."""
    return [_extension(*entry) for entry in _EXTENSIONS]


def extension(alias: str) -> dict[str, Any]:
    """`GET /v2.0/extensions/{alias}` (404 for an unknown alias)."""
    for entry in _EXTENSIONS:
        if entry[0] == alias:
            return _extension(*entry)
    raise not_found("HTTPNotFound", f"Extension with alias {alias} does not exist")


def availability_zones(az: str) -> list[dict[str, Any]]:
    """The pod's one zone, for networks and for routers."""
    return [
        {"name": az, "resource": resource, "state": "available"}
        for resource in ("network", "router")
    ]


def _extension(alias: str, name: str, description: str) -> dict[str, Any]:
    return {
        "alias": alias,
        "name": name,
        "description": description,
        "updated": _UPDATED,
        "links": [],
    }
