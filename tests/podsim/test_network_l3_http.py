"""Neutron routers and floating IPs on podsim over HTTP: gateways, interfaces, associations."""

import uuid
from typing import Any

import aiohttp

from harness.procs import SimPod
from tests.podsim.neutron import Neutron

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-r", "az-l3")


async def external(http: aiohttp.ClientSession, pod: SimPod) -> tuple[dict, dict]:
    """An external network (made by an admin of another project) and its subnet."""
    admin = Neutron(http, pod, uuid.uuid4().hex, admin=True)
    net = await admin.create("network", name="public", **{"router:external": True})
    subnet = await admin.create(
        "subnet", network_id=net["id"], ip_version=4, cidr="172.24.4.0/24", enable_dhcp=False
    )
    return net, subnet


async def test_router_with_gateway_and_interfaces(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        public, public_subnet = await external(http, pod)
        net, subnet = await neutron.network_with_subnet("10.0.0.0/24")
        router = await neutron.create(
            "router",
            name="r",
            availability_zone_hints=["az-l3"],
            external_gateway_info={"network_id": public["id"]},
        )
        gateway = router["external_gateway_info"]
        assert gateway["network_id"] == public["id"] and gateway["enable_snat"] is True
        assert gateway["external_fixed_ips"][0]["subnet_id"] == public_subnet["id"]
        assert router["availability_zones"] == ["az-l3"] and router["status"] == "ACTIVE"
        status, added = await neutron.call(
            "PUT", f"routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]}
        )
        assert status == 200
        assert added["id"] == router["id"] and added["subnet_id"] == subnet["id"]
        assert (added["network_id"], added["project_id"]) == (net["id"], project)
        _, shown = await neutron.call("GET", f"ports/{added['port_id']}")
        port = shown["port"]
        assert (port["device_owner"], port["device_id"]) == (
            "network:router_interface",
            router["id"],
        )
        assert port["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.0.0.1"}]
        assert await neutron.fault("DELETE", f"ports/{port['id']}") == (
            409,
            "ServicePortInUse",
            f"Port {port['id']} cannot be deleted directly via the port API: "
            "has device owner network:router_interface.",
        )
        again = await neutron.fault(
            "PUT", f"routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]}
        )
        assert again == (
            400,
            "BadRequest",
            f"Bad router request: Router already has a port on subnet {subnet['id']}.",
        )
        assert (await neutron.fault("DELETE", f"networks/{net['id']}"))[:2] == (409, "NetworkInUse")
        assert await neutron.fault("DELETE", f"routers/{router['id']}") == (
            409,
            "RouterInUse",
            f"Router {router['id']} still has ports",
        )
        status, removed = await neutron.call(
            "PUT", f"routers/{router['id']}/remove_router_interface", {"subnet_id": subnet["id"]}
        )
        assert (status, removed["port_id"]) == (200, port["id"])
        assert (await neutron.call("GET", f"ports/{port['id']}"))[0] == 404
        assert await neutron.fault(
            "PUT", f"routers/{router['id']}/remove_router_interface", {"subnet_id": subnet["id"]}
        ) == (
            404,
            "RouterInterfaceNotFoundForSubnet",
            f"Router {router['id']} has no interface on subnet {subnet['id']}",
        )
        status, cleared = await neutron.call(
            "PUT", f"routers/{router['id']}", {"router": {"external_gateway_info": None}}
        )
        assert (status, cleared["router"]["external_gateway_info"]) == (200, None)
        assert await neutron.call("DELETE", f"routers/{router['id']}") == (204, None)


async def test_interface_by_port_and_interface_faults(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net, _ = await neutron.network_with_subnet("10.3.0.0/24")
        router = await neutron.create("router")
        path = f"routers/{router['id']}"
        port = await neutron.create("port", network_id=net["id"])
        status, added = await neutron.call(
            "PUT", f"{path}/add_router_interface", {"port_id": port["id"]}
        )
        assert (status, added["port_id"]) == (200, port["id"])
        _, shown = await neutron.call("GET", f"ports/{port['id']}")
        assert shown["port"]["device_owner"] == "network:router_interface"
        busy = await neutron.create("port", network_id=net["id"], device_id="vm")
        assert await neutron.fault(
            "PUT", f"{path}/add_router_interface", {"port_id": busy["id"]}
        ) == (
            409,
            "PortInUse",
            f"Unable to complete operation on port {busy['id']} for network {net['id']}. "
            "Port already has an attached device vm.",
        )
        assert await neutron.fault("PUT", f"{path}/add_router_interface", {}) == (
            400,
            "BadRequest",
            "Bad router request: Either subnet_id or port_id must be specified.",
        )
        assert await neutron.fault(
            "PUT", f"{path}/add_router_interface", {"port_id": "x", "subnet_id": "y"}
        ) == (400, "BadRequest", "Bad router request: Cannot specify both subnet-id and port-id.")
        assert await neutron.fault(
            "PUT", f"{path}/remove_router_interface", {"port_id": busy["id"]}
        ) == (
            404,
            "RouterInterfaceNotFound",
            f"Router {router['id']} does not have an interface with id {busy['id']}",
        )
        status, _ = await neutron.call(
            "PUT", f"{path}/remove_router_interface", {"port_id": port["id"]}
        )
        assert status == 200
        private, _ = await neutron.network_with_subnet("10.4.0.0/24")
        assert await neutron.fault(
            "PUT", path, {"router": {"external_gateway_info": {"network_id": private["id"]}}}
        ) == (
            400,
            "BadRequest",
            f"Bad router request: Network {private['id']} is not an external network.",
        )
        missing = str(uuid.uuid4())
        assert await neutron.fault("GET", f"routers/{missing}") == (
            404,
            "RouterNotFound",
            f"Router {missing} could not be found",
        )


async def routed_port(neutron: Neutron, public: dict[str, Any], cidr: str) -> dict[str, Any]:
    """A port on a subnet that a router connects to `public`."""
    net, subnet = await neutron.network_with_subnet(cidr)
    router = await neutron.create("router", external_gateway_info={"network_id": public["id"]})
    status, _ = await neutron.call(
        "PUT", f"routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]}
    )
    assert status == 200
    return await neutron.create("port", network_id=net["id"], device_id="vm")


async def test_floating_ip_create_associate_and_delete(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        public, _ = await external(http, pod)
        port = await routed_port(neutron, public, "10.5.0.0/24")
        fip = await neutron.create("floatingip", floating_network_id=public["id"])
        assert fip["floating_ip_address"].startswith("172.24.4.")
        assert (fip["port_id"], fip["router_id"], fip["status"]) == (None, None, "DOWN")
        assert fip["project_id"] == project
        status, body = await neutron.call(
            "PUT", f"floatingips/{fip['id']}", {"floatingip": {"port_id": port["id"]}}
        )
        assert status == 200
        associated = body["floatingip"]
        assert associated["port_id"] == port["id"] and associated["router_id"]
        assert associated["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
        listed = await neutron.list("floatingip", f"?port_id={port['id']}")
        assert [f["id"] for f in listed] == [fip["id"]]
        second = await neutron.create("floatingip", floating_network_id=public["id"])
        status, error, _ = await neutron.fault(
            "PUT", f"floatingips/{second['id']}", {"floatingip": {"port_id": port["id"]}}
        )
        assert (status, error) == (409, "FloatingIPPortAlreadyAssociated")
        assert await neutron.call("DELETE", f"ports/{port['id']}") == (204, None)
        _, after = await neutron.call("GET", f"floatingips/{fip['id']}")
        assert after["floatingip"]["port_id"] is None
        assert await neutron.call("DELETE", f"floatingips/{fip['id']}") == (204, None)
        assert await neutron.fault("GET", f"floatingips/{fip['id']}") == (
            404,
            "FloatingIPNotFound",
            f"Floating IP {fip['id']} could not be found",
        )


async def test_floating_ip_faults(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        public, public_subnet = await external(http, pod)
        private, subnet = await neutron.network_with_subnet("10.6.0.0/24")
        # An external network's subnets are visible to every project (policy rule
        # external_network), its gateway and floating IP ports are not (project "").
        assert (await neutron.call("GET", f"subnets/{public_subnet['id']}"))[0] == 200
        assert await neutron.fault(
            "POST", "floatingips", {"floatingip": {"floating_network_id": private["id"]}}
        ) == (
            400,
            "BadRequest",
            f"Bad floatingip request: Network {private['id']} is not a valid external network.",
        )
        unrouted = await neutron.create("port", network_id=private["id"])
        assert await neutron.fault(
            "POST",
            "floatingips",
            {"floatingip": {"floating_network_id": public["id"], "port_id": unrouted["id"]}},
        ) == (
            404,
            "ExternalGatewayForFloatingIPNotFound",
            f"External network {public['id']} is not reachable from subnet {subnet['id']}.  "
            f"Therefore, cannot associate Port {unrouted['id']} with a Floating IP.",
        )
        assert await neutron.list("floatingip") == []
        status, error, _ = await neutron.fault("DELETE", f"networks/{public['id']}")
        assert (status, error) == (403, "PolicyNotAuthorized")


async def test_external_network_in_use_by_floating_ip(pod: SimPod) -> None:
    async with aiohttp.ClientSession() as http:
        public, _ = await external(http, pod)
        noauth = Neutron(http, pod, None)
        await noauth.create("floatingip", floating_network_id=public["id"], project_id="p")
        status, error, _ = await noauth.fault("DELETE", f"networks/{public['id']}")
        assert (status, error) == (409, "NetworkInUse")
