"""Neutron networks, subnets and ports on podsim over HTTP: CRUD, shapes, faults, tenancy."""

import uuid

import aiohttp
import pytest

from harness.procs import SimPod
from tests.podsim.neutron import Neutron

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-n", "az-net")


async def test_network_create_show_update_delete(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net = await neutron.create("network", name="web", availability_zone_hints=["az-net"])
        assert (net["name"], net["status"], net["admin_state_up"]) == ("web", "ACTIVE", True)
        assert net["project_id"] == net["tenant_id"] == project
        assert (net["availability_zone_hints"], net["availability_zones"]) == (
            ["az-net"],
            ["az-net"],
        )
        assert (net["subnets"], net["shared"], net["router:external"]) == ([], False, False)
        assert net["revision_number"] == 0 and net["created_at"].endswith("Z")
        assert await neutron.call("GET", f"networks/{net['id']}") == (200, {"network": net})
        status, body = await neutron.call(
            "PUT", f"networks/{net['id']}", {"network": {"name": "www", "admin_state_up": False}}
        )
        assert status == 200
        assert (body["network"]["name"], body["network"]["admin_state_up"]) == ("www", False)
        assert body["network"]["revision_number"] == 1
        assert await neutron.call("DELETE", f"networks/{net['id']}") == (204, None)
        assert await neutron.fault("GET", f"networks/{net['id']}") == (
            404,
            "NetworkNotFound",
            f"Network {net['id']} could not be found.",
        )


async def test_show_with_fields(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net = await neutron.create("network", name="n")
        status, body = await neutron.call("GET", f"networks/{net['id']}?fields=name&fields=id")
    assert (status, body) == (200, {"network": {"id": net["id"], "name": "n"}})


@pytest.mark.parametrize(
    ("body", "status", "kind", "message"),
    [
        (None, 400, "HTTPBadRequest", "Resource body required"),
        ({"net": {}}, 400, "HTTPBadRequest", "Unable to find 'network' in request body"),
        ([1], 400, "HTTPBadRequest", "Body contains invalid data"),
        ({"network": []}, 400, "HTTPBadRequest", "Object 'network' contains invalid data"),
        (
            {"network": {"status": "DOWN"}},
            400,
            "HTTPBadRequest",
            "Attribute 'status' not allowed in POST",
        ),
        (
            {"network": {"colour": "red"}},
            400,
            "HTTPBadRequest",
            "Unrecognized attribute(s) 'colour'",
        ),
        (
            {"network": {"availability_zone_hints": ["az-other"]}},
            404,
            "AvailabilityZoneNotFound",
            "AvailabilityZone az-other could not be found.",
        ),
        (
            {"network": {"project_id": "a", "tenant_id": "b"}},
            400,
            "HTTPBadRequest",
            "'project_id' and 'tenant_id' do not match",
        ),
        (
            {"network": {"project_id": "someone-else"}},
            400,
            "HTTPBadRequest",
            "Specifying 'project_id' or 'tenant_id' other than the authenticated project in "
            "request requires admin privileges",
        ),
    ],
)
async def test_invalid_network_creates(
    pod: SimPod, project: str, body: object, status: int, kind: str, message: str
) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        assert await neutron.fault("POST", "networks", body) == (status, kind, message)
        assert await neutron.list("network") == []


async def test_read_only_attribute_cannot_be_updated(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net = await neutron.create("network")
        assert await neutron.fault(
            "PUT", f"networks/{net['id']}", {"network": {"status": "DOWN"}}
        ) == (
            400,
            "HTTPBadRequest",
            "Cannot update read-only attribute status",
        )


async def test_noauth_caller_names_the_project_in_the_body_and_sees_every_project(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        noauth = Neutron(http, pod, None)
        assert await noauth.fault("POST", "networks", {"network": {}}) == (
            400,
            "HTTPBadRequest",
            "Running without keystone AuthN requires that project_id is specified",
        )
        by_tenant = await noauth.create("network", tenant_id=project)
        by_project = await noauth.create("network", project_id=project)
        assert by_tenant["project_id"] == by_tenant["tenant_id"] == project
        assert by_project["project_id"] == by_project["tenant_id"] == project
        mine = await Neutron(http, pod, project).list("network")
        assert {n["id"] for n in mine} == {by_tenant["id"], by_project["id"]}
        every = await noauth.list("network")
        assert {by_tenant["id"], by_project["id"]} <= {n["id"] for n in every}


async def test_other_projects_see_404_and_admins_see_all(pod: SimPod, project: str) -> None:
    other = uuid.uuid4().hex
    async with aiohttp.ClientSession() as http:
        owner, stranger = Neutron(http, pod, project), Neutron(http, pod, other)
        admin = Neutron(http, pod, other, admin=True)
        net, subnet = await owner.network_with_subnet()
        port = await owner.create("port", network_id=net["id"])
        for path, kind in (
            (f"networks/{net['id']}", "NetworkNotFound"),
            (f"subnets/{subnet['id']}", "SubnetNotFound"),
            (f"ports/{port['id']}", "PortNotFound"),
        ):
            for method in ("GET", "PUT", "DELETE"):
                status, error, _ = await stranger.fault(method, path, {path.split("s/")[0]: {}})
                assert (status, error) == (404, kind), (method, path)
            assert (await admin.call("GET", path))[0] == 200
        assert await stranger.list("network") == []
        assert await stranger.list("port", f"?network_id={net['id']}") == []
        assert net["id"] in {n["id"] for n in await admin.list("network")}
        status, body = await stranger.call("POST", "ports", {"port": {"network_id": net["id"]}})
        assert (status, body["NeutronError"]["type"]) == (404, "NetworkNotFound")
        shared = await admin.create("network", shared=True, project_id=project)
        assert (await stranger.call("GET", f"networks/{shared['id']}"))[0] == 200
        assert await stranger.fault("DELETE", f"networks/{shared['id']}") == (
            403,
            "PolicyNotAuthorized",
            "delete_network is disallowed by policy",
        )


async def test_subnet_needs_its_network_and_gets_gateway_and_pool(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        missing = str(uuid.uuid4())
        assert await neutron.fault(
            "POST",
            "subnets",
            {"subnet": {"network_id": missing, "ip_version": 4, "cidr": "10.1.0.0/24"}},
        ) == (404, "NetworkNotFound", f"Network {missing} could not be found.")
        net, subnet = await neutron.network_with_subnet("10.1.0.0/24")
        assert (subnet["network_id"], subnet["cidr"], subnet["ip_version"]) == (
            net["id"],
            "10.1.0.0/24",
            4,
        )
        assert subnet["gateway_ip"] == "10.1.0.1"
        assert subnet["allocation_pools"] == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
        assert subnet["enable_dhcp"] is True
        _, shown = await neutron.call("GET", f"networks/{net['id']}")
        assert shown["network"]["subnets"] == [subnet["id"]]
        status, error, _ = await neutron.fault(
            "POST",
            "subnets",
            {"subnet": {"network_id": net["id"], "ip_version": 4, "cidr": "10.1.0.128/25"}},
        )
        assert (status, error) == (400, "BadRequest")
        status, error, message = await neutron.fault(
            "POST",
            "subnets",
            {"subnet": {"network_id": net["id"], "ip_version": 4, "cidr": "nonsense"}},
        )
        assert (status, error) == (400, "HTTPBadRequest") and "not a valid IP subnet" in message
        status, error, message = await neutron.fault(
            "POST", "subnets", {"subnet": {"network_id": net["id"], "cidr": "10.2.0.0/24"}}
        )
        assert message == "Failed to parse request. Required attribute 'ip_version' not specified"


async def test_port_gets_a_mac_a_fixed_ip_and_the_default_group(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net, subnet = await neutron.network_with_subnet("192.168.5.0/24")
        first = await neutron.create("port", network_id=net["id"], name="a")
        second = await neutron.create("port", network_id=net["id"], device_id="vm-1")
        assert (
            first["mac_address"].startswith("fa:16:3e:")
            and first["mac_address"] != second["mac_address"]
        )
        assert first["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "192.168.5.2"}]
        assert second["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "192.168.5.3"}]
        assert (first["status"], second["status"]) == ("DOWN", "ACTIVE")
        (default,) = await neutron.list("security_group", "?name=default")
        assert first["security_groups"] == [default["id"]]
        assert first["binding:vnic_type"] == "normal" and first["device_owner"] == ""
        chosen = await neutron.create(
            "port", network_id=net["id"], fixed_ips=[{"ip_address": "192.168.5.50"}]
        )
        assert chosen["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "192.168.5.50"}]
        assert await neutron.fault(
            "POST",
            "ports",
            {"port": {"network_id": net["id"], "fixed_ips": [{"ip_address": "192.168.5.50"}]}},
        ) == (
            409,
            "IpAddressInUse",
            f"Unable to complete operation for network {net['id']}. "
            "The IP address 192.168.5.50 is in use.",
        )
        status, body = await neutron.call(
            "PUT", f"ports/{first['id']}", {"port": {"device_id": "vm-2", "name": "b"}}
        )
        assert status == 200 and body["port"]["device_id"] == "vm-2"
        assert body["port"]["status"] == "ACTIVE"
        bare = await neutron.create("network")
        assert (await neutron.create("port", network_id=bare["id"]))["fixed_ips"] == []


async def test_deletes_refused_while_in_use(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net, subnet = await neutron.network_with_subnet()
        port = await neutron.create("port", network_id=net["id"])
        assert await neutron.fault("DELETE", f"networks/{net['id']}") == (
            409,
            "NetworkInUse",
            f"Unable to complete operation on network {net['id']}. "
            "There are one or more ports still in use on the network.",
        )
        assert await neutron.fault("DELETE", f"subnets/{subnet['id']}") == (
            409,
            "SubnetInUse",
            f"Unable to complete operation on subnet {subnet['id']}: "
            "One or more ports have an IP allocation from this subnet.",
        )
        assert await neutron.call("DELETE", f"ports/{port['id']}") == (204, None)
        assert await neutron.call("DELETE", f"networks/{net['id']}") == (204, None)
        assert await neutron.fault("GET", f"subnets/{subnet['id']}") == (
            404,
            "SubnetNotFound",
            f"Subnet {subnet['id']} could not be found.",
        )


async def test_unknown_path_is_a_neutron_404(pod: SimPod) -> None:
    async with aiohttp.ClientSession() as http:
        assert await Neutron(http, pod, None).fault("GET", "nothing-here") == (
            404,
            "HTTPNotFound",
            "The resource could not be found.",
        )


async def test_ip_availability_for_admins_only(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        admin = Neutron(http, pod, uuid.uuid4().hex, admin=True)
        net, subnet = await neutron.network_with_subnet("10.7.0.0/28")
        await neutron.create("port", network_id=net["id"])
        status, body = await admin.call("GET", f"network-ip-availabilities/{net['id']}")
        assert status == 200
        assert body["network_ip_availability"] == {
            "network_id": net["id"],
            "network_name": net["name"],
            "project_id": project,
            "tenant_id": project,
            "total_ips": 13,
            "used_ips": 1,
            "subnet_ip_availability": [
                {
                    "subnet_id": subnet["id"],
                    "subnet_name": subnet["name"],
                    "cidr": "10.7.0.0/28",
                    "ip_version": 4,
                    "total_ips": 13,
                    "used_ips": 1,
                }
            ],
        }
        _, listed = await admin.call(
            "GET", f"network-ip-availabilities?network_id={net['id']}&fields=used_ips"
        )
        assert listed == {"network_ip_availabilities": [{"used_ips": 1}]}
        _, mine = await neutron.call("GET", "network-ip-availabilities")
        assert mine == {"network_ip_availabilities": []}
        status, hidden = await neutron.call("GET", f"network-ip-availabilities/{net['id']}")
        assert (status, hidden["type"]) == (404, "HTTPNotFound")  # the policy hook's own body


async def test_subnet_pools_leave_out_the_gateway_and_are_checked(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net = await neutron.create("network")
        middle = await neutron.create(
            "subnet",
            network_id=net["id"],
            ip_version=4,
            cidr="10.20.0.0/24",
            gateway_ip="10.20.0.100",
        )
        assert middle["allocation_pools"] == [
            {"start": "10.20.0.1", "end": "10.20.0.99"},
            {"start": "10.20.0.101", "end": "10.20.0.254"},
        ]
        other = await neutron.create("network")
        v6 = await neutron.create("subnet", network_id=other["id"], ip_version=6, cidr="fd00::/64")
        assert v6["gateway_ip"] == "fd00::1"
        assert v6["allocation_pools"] == [{"start": "fd00::2", "end": "fd00::ffff:ffff:ffff:ffff"}]
        port = await neutron.create("port", network_id=other["id"])
        assert port["fixed_ips"] == [{"subnet_id": v6["id"], "ip_address": "fd00::2"}]
        status, kind, _ = await neutron.fault(
            "POST",
            "subnets",
            {
                "subnet": {
                    "network_id": other["id"],
                    "ip_version": 4,
                    "cidr": "10.21.0.0/24",
                    "allocation_pools": [{"start": "10.22.0.2", "end": "10.22.0.9"}],
                }
            },
        )
        assert (status, kind) == (400, "BadRequest")
        status, kind, _ = await neutron.fault("POST", "networks", {"network": {"mtu": "big"}})
        assert (status, kind) == (400, "InvalidInput")
