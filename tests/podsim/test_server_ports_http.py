"""A server's ports, as Nova makes them in its Neutron: addresses, interfaces, and on delete the
ports Nova made are gone and the ports it was given are free again."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api
from tests.podsim.neutron import Neutron

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-p", "az-ports")
LATEST = {"OpenStack-API-Version": "compute latest"}


async def test_a_server_on_a_network_and_a_port_shows_their_addresses_and_frees_them(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        net = await neutron.create("network", name="net-a")
        await neutron.create(
            "subnet", network_id=net["id"], cidr="10.9.0.0/24", ip_version=4, name="sub-a"
        )
        given = await neutron.create("port", network_id=net["id"], name="given")
        servers = f"{compute_api(pod, project)}/servers"
        networks = [{"uuid": net["id"], "fixed_ip": "10.9.0.50"}, {"port": given["id"]}]
        body = {"server": {"name": "vm", "flavorRef": "1", "networks": networks}}
        status, _, made = await call(http, "POST", servers, body, headers=LATEST)
        assert status == 202, made
        server_id = made["server"]["id"]

        _, _, shown = await call(http, "GET", f"{servers}/{server_id}", headers=LATEST)
        addresses = shown["server"]["addresses"]
        assert sorted(ip["addr"] for ip in addresses["net-a"]) == sorted(
            ["10.9.0.50", given["fixed_ips"][0]["ip_address"]]
        )
        for ip in addresses["net-a"]:
            assert ip["version"] == 4 and ip["OS-EXT-IPS:type"] == "fixed"
            assert ip["OS-EXT-IPS-MAC:mac_addr"]
        _, _, ips = await call(http, "GET", f"{servers}/{server_id}/ips/net-a")
        assert {"version": 4, "addr": "10.9.0.50"} in ips["net-a"] and len(ips["net-a"]) == 2
        status, _, _ = await call(http, "GET", f"{servers}/{server_id}/ips/other")
        assert status == 404
        _, _, interfaces = await call(http, "GET", f"{servers}/{server_id}/os-interface")
        attached = interfaces["interfaceAttachments"]
        assert {i["net_id"] for i in attached} == {net["id"]} and len(attached) == 2
        ports = await neutron.list("port", f"?device_id={server_id}")
        assert {p["device_owner"] for p in ports} == {"compute:az-ports"}

        status, _, _ = await call(http, "DELETE", f"{servers}/{server_id}")
        assert status == 204
        left = await neutron.list("port", f"?network_id={net['id']}")
    assert [(p["id"], p["device_id"], p["status"]) for p in left] == [(given["id"], "", "DOWN")]


async def test_a_server_without_networks_has_no_ports(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        servers = f"{compute_api(pod, project)}/servers"
        body = {"server": {"name": "vm", "flavorRef": "1", "networks": "none"}}
        status, _, made = await call(http, "POST", servers, body, headers=LATEST)
        assert status == 202, made
        server_id = made["server"]["id"]
        _, _, shown = await call(http, "GET", f"{servers}/{server_id}")
        _, _, interfaces = await call(http, "GET", f"{servers}/{server_id}/os-interface")
    assert shown["server"]["addresses"] == {}
    assert interfaces == {"interfaceAttachments": []}
