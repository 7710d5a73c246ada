"""Neutron security groups and rules, and the start-up documents, on podsim over HTTP."""

import uuid

import aiohttp

from harness.procs import SimPod
from tests.podsim import call
from tests.podsim.neutron import Neutron

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-s", "az-sec")


async def test_default_group_made_on_first_list_with_its_four_rules(
    pod: SimPod, project: str
) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        (default,) = await neutron.list("security_group")
        assert (await neutron.list("security_group")) == [default]
        assert default["name"] == "default" and default["project_id"] == project
        assert default["description"] == "Default security group" and default["stateful"] is True
        rules = {
            (r["direction"], r["ethertype"], r["remote_group_id"])
            for r in default["security_group_rules"]
        }
        assert rules == {
            ("ingress", "IPv4", default["id"]),
            ("ingress", "IPv6", default["id"]),
            ("egress", "IPv4", None),
            ("egress", "IPv6", None),
        }
        listed = await neutron.list("security_group_rule", f"?security_group_id={default['id']}")
        assert len(listed) == 4
        # An admin listing another project's groups makes that project's default; noauth does not.
        other, third = uuid.uuid4().hex, uuid.uuid4().hex
        assert await Neutron(http, pod, None).list("security_group", f"?project_id={third}") == []
        admin = Neutron(http, pod, uuid.uuid4().hex, admin=True)
        (made,) = await admin.list("security_group", f"?project_id={other}")
        assert (made["name"], made["project_id"]) == ("default", other)
        assert await neutron.fault("DELETE", f"security-groups/{default['id']}") == (
            409,
            "SecurityGroupCannotRemoveDefault",
            "Insufficient rights for removing default security group.",
        )
        assert await neutron.fault(
            "POST", "security-groups", {"security_group": {"name": "default"}}
        ) == (409, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.")


async def test_group_and_rule_lifecycle(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        web = await neutron.create("security_group", name="web", description="http")
        assert [r["direction"] for r in web["security_group_rules"]] == ["egress", "egress"]
        rule = await neutron.create(
            "security_group_rule",
            security_group_id=web["id"],
            direction="ingress",
            protocol="tcp",
            port_range_min=80,
            port_range_max=80,
            remote_ip_prefix="0.0.0.0/0",
        )
        assert (rule["protocol"], rule["port_range_min"], rule["ethertype"]) == ("tcp", 80, "IPv4")
        assert rule["normalized_cidr"] == "0.0.0.0/0" and rule["project_id"] == project
        status, _, message = await neutron.fault(
            "POST",
            "security-group-rules",
            {
                "security_group_rule": {
                    "security_group_id": web["id"],
                    "direction": "ingress",
                    "protocol": "tcp",
                    "port_range_min": 80,
                    "port_range_max": 80,
                    "remote_ip_prefix": "0.0.0.0/0",
                }
            },
        )
        assert (status, message) == (
            409,
            f"Security group rule already exists. Rule id is {rule['id']}.",
        )
        _, shown = await neutron.call("GET", f"security-groups/{web['id']}")
        assert rule["id"] in {r["id"] for r in shown["security_group"]["security_group_rules"]}
        status, updated = await neutron.call(
            "PUT", f"security-groups/{web['id']}", {"security_group": {"name": "www"}}
        )
        assert (status, updated["security_group"]["name"]) == (200, "www")
        net = await neutron.create("network")
        port = await neutron.create("port", network_id=net["id"], security_groups=[web["id"]])
        assert port["security_groups"] == [web["id"]]
        assert await neutron.fault("DELETE", f"security-groups/{web['id']}") == (
            409,
            "SecurityGroupInUse",
            f"Security Group {web['id']} in use.",
        )
        assert await neutron.call("DELETE", f"ports/{port['id']}") == (204, None)
        assert await neutron.call("DELETE", f"security-group-rules/{rule['id']}") == (204, None)
        assert await neutron.fault("GET", f"security-group-rules/{rule['id']}") == (
            404,
            "SecurityGroupRuleNotFound",
            f"Security group rule {rule['id']} does not exist",
        )
        assert await neutron.call("DELETE", f"security-groups/{web['id']}") == (204, None)
        assert await neutron.fault("GET", f"security-groups/{web['id']}") == (
            404,
            "SecurityGroupNotFound",
            f"Security group {web['id']} does not exist",
        )


async def test_rule_faults_and_tenancy(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron, stranger = Neutron(http, pod, project), Neutron(http, pod, uuid.uuid4().hex)
        group = await neutron.create("security_group", name="g")

        async def refused(**rule: object) -> tuple[int, str, str]:
            body = {"security_group_rule": {"security_group_id": group["id"], **rule}}
            return await neutron.fault("POST", "security-group-rules", body)

        assert (await refused(direction="sideways"))[:2] == (400, "HTTPBadRequest")
        assert await refused(direction="ingress", port_range_min=22) == (
            400,
            "InvalidInput",
            "Invalid input for operation: Must also specify protocol if port range is given.",
        )
        assert (await refused(direction="ingress", remote_ip_prefix="::/0"))[:2] == (
            400,
            "InvalidInput",
        )
        status, kind, _ = await stranger.fault(
            "POST",
            "security-group-rules",
            {"security_group_rule": {"security_group_id": group["id"], "direction": "ingress"}},
        )
        assert (status, kind) == (404, "SecurityGroupNotFound")
        assert group["id"] not in {g["id"] for g in await stranger.list("security_group")}
        net = await stranger.create("network")
        status, kind, _ = await stranger.fault(
            "POST", "ports", {"port": {"network_id": net["id"], "security_groups": [group["id"]]}}
        )
        assert (status, kind) == (404, "SecurityGroupNotFound")


async def test_versions_extensions_and_availability_zones(pod: SimPod) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, versions = await call(http, "GET", f"{pod.network_url}/")
        assert (status, versions) == (
            200,
            {
                "versions": [
                    {
                        "id": "v2.0",
                        "status": "CURRENT",
                        "links": [{"href": f"{pod.network_url}/v2.0/", "rel": "self"}],
                    }
                ]
            },
        )
        neutron = Neutron(http, pod, uuid.uuid4().hex)
        status, resources = await neutron.call("GET", neutron.api)
        assert status == 200
        assert {r["collection"] for r in resources["resources"]} == {"networks", "subnets", "ports"}
        assert {"href": f"{neutron.api}/networks", "rel": "self"} in [
            link for r in resources["resources"] for link in r["links"]
        ]
        status, body = await neutron.call("GET", "extensions")
        aliases = {extension["alias"] for extension in body["extensions"]}
        assert status == 200
        assert {
            "availability_zone",
            "network_availability_zone",
            "router",
            "security-group",
            "port-security",
            "pagination",
            "sorting",
            "external-net",
        } <= aliases
        status, one = await neutron.call("GET", "extensions/router")
        assert status == 200 and one["extension"]["alias"] == "router"
        assert (await neutron.fault("GET", "extensions/nothing"))[0] == 404
        status, zones = await neutron.call("GET", "availability_zones")
        assert (status, zones) == (
            200,
            {
                "availability_zones": [
                    {"name": "az-sec", "resource": "network", "state": "available"},
                    {"name": "az-sec", "resource": "router", "state": "available"},
                ]
            },
        )
        _, routers = await neutron.call("GET", "availability_zones?resource=router&fields=name")
        assert routers == {"availability_zones": [{"name": "az-sec"}]}


async def test_quotas_show_use_and_limit_creates(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        admin = Neutron(http, pod, uuid.uuid4().hex, admin=True)
        status, body = await neutron.call("GET", f"quotas/{project}")
        assert status == 200
        assert (body["quota"]["network"], body["quota"]["port"], body["quota"]["router"]) == (
            100,
            500,
            10,
        )
        await neutron.create("network")
        _, details = await neutron.call("GET", f"quotas/{project}/details")
        assert details["quota"]["network"] == {"limit": 100, "used": 1, "reserved": 0}
        assert details["quota"]["security_group"]["used"] == 1  # the default group
        assert (await neutron.fault("PUT", f"quotas/{project}", {"quota": {"network": 1}}))[:2] == (
            403,
            "PolicyNotAuthorized",
        )
        assert (await Neutron(http, pod, uuid.uuid4().hex).fault("GET", f"quotas/{project}"))[
            0
        ] == 403
        status, body = await admin.call("PUT", f"quotas/{project}", {"quota": {"network": 1}})
        assert (status, body["quota"]["network"]) == (200, 1)
        assert await neutron.fault("POST", "networks", {"network": {}}) == (
            409,
            "OverQuota",
            "Quota exceeded for resources: ['network'].",
        )
        _, listed = await admin.call("GET", "quotas")
        assert {"project_id": project, **body["quota"]} in listed["quotas"]
        assert await admin.call("DELETE", f"quotas/{project}") == (204, None)
        _, default = await neutron.call("GET", f"quotas/{project}/default")
        assert default["quota"]["network"] == 100
        await neutron.create("network")
