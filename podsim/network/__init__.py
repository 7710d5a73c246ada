"""A Neutron v2.0 subset served by the pod under `/network` (catalog URL `http://h:p/network`).

- `GET /network/` (versions), `/network/v2.0/` (resources), `extensions`, `availability_zones`,
  `quotas` (+ `details`, `default`), `network-ip-availabilities` (admins);
- networks, subnets, ports, routers (+ `add_router_interface`/`remove_router_interface`,
  `external_gateway_info`), floatingips, security-groups, security-group-rules: POST (201),
  GET one (with `fields`), PUT, DELETE (204), and lists with Neutron's paging, sorting, fields
  and filters (`query.py`); faults are `{"NeutronError": {...}}` (`faults.py`).

The caller (`model.caller_of`): `X-Project-Id` (and `X-Roles` containing `admin`) as
keystonemiddleware would send them; without them Neutron's noauth: an admin without a project,
naming the owner of what it creates in the body (`project_id` or `tenant_id`).
Not simulated: bulk creates, tags and RBAC, IPv6 address modes, agents, DHCP ports, port binding.
"""
