"""What a fresh cloud needs before use: Keystone's catalog and users, an image, flavors.

All of it goes through the services' own REST APIs with keystoneauth1, in this process
(the `openstack` CLI costs ~3 s of start-up per call).
"""

import os
import time
from collections.abc import Callable

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from realcloud.configs import PUBLIC_PHYSNET
from realcloud.layout import (
    ADMIN,
    DEMO,
    FLAVORS,
    GATEWAY_REGION,
    HOST,
    PODS,
    PUBLIC_NETWORK,
    SERVICE_PASSWORD,
    SERVICE_USERS,
    Layout,
    Pod,
)

SERVICE_NAMES = {
    "compute": "nova",
    "volumev3": "cinderv3",
    "placement": "placement",
    "network": "neutron",
    "image": "glance",
}
INTERFACES = ("public", "internal", "admin")
IMAGE_NAME = "realcloud-image"
COMPUTE_PATH_ENV = "PODGATE_REALCLOUD_GATEWAY_COMPUTE_PATH"


def gateway_endpoints(layout: Layout) -> dict[str, str]:
    """Podgate's own endpoints, published as region RegionOne."""
    return {
        "compute": f"http://{HOST}:{layout.ports.podgate_compute}{gateway_compute_path()}",
        "volumev3": f"http://{HOST}:{layout.ports.podgate_volume}/v3/$(project_id)s",
        "network": f"http://{HOST}:{layout.ports.podgate_network}",
    }


def gateway_compute_path() -> str:
    """Podgate's compute path in the catalog: Trio2o's `/v2.1/$(project_id)s` by default.

    Podgate serves the project-less form too (`/v2.1/servers`, the token's project): a bare
    `/v2.1` here, as modern catalogs publish Nova, is the other way to run Tempest.
    """
    return os.environ.get(COMPUTE_PATH_ENV) or "/v2.1/$(project_id)s"


def pod_endpoints(layout: Layout, pod: Pod) -> dict[str, str]:
    """A pod's services (identity and the shared image service included, for OSC and Nova)."""
    return {
        "compute": f"http://{HOST}:{pod.nova_port}/v2.1",
        "volumev3": f"http://{HOST}:{pod.cinder_port}/v3/$(project_id)s",
        "placement": f"http://{HOST}:{pod.placement_port}",
        "network": f"http://{HOST}:{pod.neutron_port}",
        "image": layout.glance_url,
        "identity": f"{layout.keystone_url}/",
    }


def admin_session(layout: Layout, project: str = "admin") -> ks_session.Session:
    user, password = ADMIN
    return user_session(layout, user, password, project)


def user_session(layout: Layout, user: str, password: str, project: str) -> ks_session.Session:
    auth = v3.Password(
        auth_url=layout.keystone_url,
        username=user,
        password=password,
        project_name=project,
        user_domain_id="default",
        project_domain_id="default",
    )
    return ks_session.Session(auth=auth)


def keystone(layout: Layout) -> dict[str, str]:
    """Regions, services, endpoints, projects, users and roles; returns project name → id."""
    admin = admin_session(layout)
    api = layout.keystone_url

    def post(collection: str, member: str, body: dict[str, object]) -> str:
        return str(admin.post(f"{api}/{collection}", json={member: body}).json()[member]["id"])

    services = {s["type"]: s["id"] for s in admin.get(f"{api}/services").json()["services"]}
    for service_type, name in SERVICE_NAMES.items():
        services[service_type] = post("services", "service", {"type": service_type, "name": name})
    catalog = {GATEWAY_REGION: {**gateway_endpoints(layout), "image": layout.glance_url}}
    catalog |= {pod.name: pod_endpoints(layout, pod) for pod in PODS}
    for region, urls in catalog.items():
        if region != GATEWAY_REGION:
            post("regions", "region", {"id": region})
        for service_type, url in urls.items():
            for interface in INTERFACES:
                body = {"service_id": services[service_type], "interface": interface}
                post("endpoints", "endpoint", {**body, "region_id": region, "url": url})

    roles = {r["name"]: r["id"] for r in admin.get(f"{api}/roles").json()["roles"]}
    projects = {p["name"]: p["id"] for p in admin.get(f"{api}/projects").json()["projects"]}
    for project in ("service", "demo"):
        projects[project] = post("projects", "project", {"name": project, "domain_id": "default"})
    members = [(user, SERVICE_PASSWORD, "service", ("admin", "service")) for user in SERVICE_USERS]
    members.append((*DEMO, "demo", ("member",)))
    for user, password, project, user_roles in members:
        body = {"name": user, "password": password, "domain_id": "default"}
        user_id = post("users", "user", body)
        for role in user_roles:
            admin.put(f"{api}/projects/{projects[project]}/users/{user_id}/roles/{roles[role]}")
    return projects


def image(layout: Layout) -> str:
    """A tiny public raw image in the shared Glance (the fake virt driver never reads it)."""
    admin = admin_session(layout)
    body = {
        "name": IMAGE_NAME,
        "disk_format": "raw",
        "container_format": "bare",
        "visibility": "public",
    }
    image_id = str(admin.post(f"{layout.glance_url}/v2/images", json=body).json()["id"])
    admin.put(
        f"{layout.glance_url}/v2/images/{image_id}/file",
        data=b"realcloud" * 128,
        headers={"Content-Type": "application/octet-stream"},
    )
    return image_id


def flavors(layout: Layout, pod: Pod) -> None:
    """The same flavors, ids included, in every pod (a server may land in either)."""
    admin = admin_session(layout)
    for flavor_id, name, ram, vcpus, disk in FLAVORS:
        body = {"id": flavor_id, "name": name, "ram": ram, "vcpus": vcpus, "disk": disk}
        admin.post(f"http://{HOST}:{pod.nova_port}/v2.1/flavors", json={"flavor": body})


def public_network(layout: Layout, pod: Pod) -> str:
    """The pod's external network `public` (flat, admin-owned) and its subnet; the network's id.

    Without DHCP: no agent would serve it. Tempest's routers take their gateways from it.
    """
    admin = admin_session(layout)
    api = f"http://{HOST}:{pod.neutron_port}/v2.0"
    name, cidr = PUBLIC_NETWORK
    body = {
        "name": name,
        "router:external": True,
        "provider:network_type": "flat",
        "provider:physical_network": PUBLIC_PHYSNET,
    }
    network_id = str(admin.post(f"{api}/networks", json={"network": body}).json()["network"]["id"])
    subnet = {
        "name": f"{name}-subnet",
        "network_id": network_id,
        "ip_version": 4,
        "cidr": cidr,
        "enable_dhcp": False,
    }
    admin.post(f"{api}/subnets", json={"subnet": subnet})
    return network_id


def network_extensions(layout: Layout, pod: Pod) -> tuple[str, ...]:
    """The aliases of the pod's Neutron extensions, sorted."""
    url = f"http://{HOST}:{pod.neutron_port}/v2.0/extensions"
    extensions = admin_session(layout).get(url).json()["extensions"]
    return tuple(sorted(e["alias"] for e in extensions))


def compute_up(layout: Layout, pod: Pod) -> bool:
    """The pod's nova-compute reports up and has its resource provider in Placement."""
    admin = admin_session(layout)
    services = admin.get(
        f"http://{HOST}:{pod.nova_port}/v2.1/os-services", params={"binary": "nova-compute"}
    ).json()["services"]
    if not any(s["state"] == "up" for s in services):
        return False
    providers = admin.get(
        f"http://{HOST}:{pod.placement_port}/resource_providers",
        headers={"OpenStack-API-Version": "placement 1.14"},
    ).json()["resource_providers"]
    return bool(providers)


def volume_up(layout: Layout, pod: Pod, admin_project: str) -> bool:
    """The pod's cinder-volume (fake backend) and cinder-scheduler report up."""
    admin = admin_session(layout)
    services = admin.get(f"http://{HOST}:{pod.cinder_port}/v3/{admin_project}/os-services").json()[
        "services"
    ]
    up = {s["binary"] for s in services if s["state"] == "up"}
    return {"cinder-volume", "cinder-scheduler"} <= up


def wait(check: Callable[[], bool], *, timeout: float, what: str) -> float:
    """Poll a check until true (refusals and 5xx while services start count as false)."""
    begin = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - begin
        except (ks_exc.ClientException, OSError, KeyError, ValueError):
            pass
        if time.monotonic() - begin > timeout:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
        time.sleep(1)
