"""Back to the seeded state before a Tempest run: Tempest's leftovers deleted in every pod.

Thin I/O around `podstate`: reads each pod's flavors, volume types, key pairs, servers,
volumes and Neutron resources as the admin (keystoneauth1, the pods' own APIs), deletes what
`podstate.leftovers` names, and returns `podstate.differences` of what is there afterwards.
"""

import time
from collections.abc import Callable

from keystoneauth1 import session as ks_session

from realcloud import podstate, seed
from realcloud.layout import FLAVORS, HOST, PODS, Layout, Pod
from realcloud.podstate import Flavor, Owned, PodState

SEEDED = tuple(Flavor(*flavor) for flavor in FLAVORS)
_GONE_S = 180.0
_NOVA_210 = {"OpenStack-API-Version": "compute 2.10"}  # key pairs of another user
_CINDER_323 = {"OpenStack-API-Version": "volume 3.23"}  # DELETE ?force=true


def clean(layout: Layout, admin_project: str, say: Callable[[str], None] = print) -> list[str]:
    """Delete Tempest's projects, users and leftovers; what still differs afterwards."""
    admin = seed.admin_session(layout)
    projects, users = _keystone_leftovers_deleted(admin, layout, say)
    api = _Api(admin, admin_project, users)
    # Servers first (they hold volumes and ports), then volumes (they hold their types), then
    # Neutron's resources, then the rest.
    for kind in ("servers", "volumes", "neutron", "rest"):
        waiting = []
        for pod in PODS:
            gone = podstate.leftovers(api.state(pod), projects, SEEDED)
            deleted = api.delete(pod, gone, kind)
            if deleted:
                say(f"clean-up {pod.name}: deleted {deleted}")
                waiting.append(pod)
        if kind in ("servers", "volumes"):
            for pod in waiting:
                _wait_gone(api, pod, projects, kind)
    states = {pod.name: api.state(pod) for pod in PODS}
    return podstate.differences(states, projects, SEEDED)


def _keystone_leftovers_deleted(
    admin: ks_session.Session, layout: Layout, say: Callable[[str], None]
) -> tuple[set[str], set[str]]:
    """Delete the Tempest-named projects and users a killed run left; the remaining ids."""
    live: dict[str, set[str]] = {}
    for collection in ("projects", "users"):
        url = f"{layout.keystone_url}/{collection}"
        items = admin.get(url).json()[collection]
        stale = [i for i in items if podstate.is_tempests(i["name"])]
        for item in stale:
            admin.delete(f"{url}/{item['id']}", raise_exc=False)
        if stale:
            say(f"clean-up Keystone: deleted {len(stale)} Tempest {collection}")
        live[collection] = {i["id"] for i in items if i not in stale}
    return live["projects"], live["users"]


class _Api:
    """One admin session against the pods' Nova and Cinder."""

    def __init__(self, admin: ks_session.Session, admin_project: str, users: set[str]) -> None:
        self._admin = admin
        self._project = admin_project
        self._users = sorted(users)

    def state(self, pod: Pod) -> PodState:
        nova, cinder = self._nova(pod), self._cinder(pod)
        get = self._admin.get
        flavors = get(f"{nova}/flavors/detail", params={"is_public": "None"}).json()["flavors"]
        types = get(f"{cinder}/types", params={"is_public": "None"}).json()["volume_types"]
        servers = get(f"{nova}/servers/detail", params={"all_tenants": 1}).json()["servers"]
        volumes = get(f"{cinder}/volumes/detail", params={"all_tenants": 1}).json()["volumes"]
        return PodState(
            flavors=frozenset(
                Flavor(f["id"], f["name"], f["ram"], f["vcpus"], f["disk"]) for f in flavors
            ),
            volume_types={t["name"]: t["id"] for t in types},
            keypairs=frozenset(
                (user, k["keypair"]["name"])
                for user in self._users
                for k in get(
                    f"{nova}/os-keypairs", params={"user_id": user}, headers=_NOVA_210
                ).json()["keypairs"]
            ),
            servers=tuple(Owned(s["id"], s["name"], s["tenant_id"]) for s in servers),
            volumes=tuple(
                Owned(v["id"], v["name"] or "", v["os-vol-tenant-attr:tenant_id"]) for v in volumes
            ),
            neutron={
                collection: tuple(
                    Owned(item["id"], item.get("name") or "", item["project_id"])
                    for item in get(f"{self._neutron(pod)}/{collection}").json()[
                        collection.replace("-", "_")
                    ]
                    if not str(item.get("device_owner", "")).startswith("network:")
                )
                for collection in podstate.NEUTRON
            },
        )

    def delete(self, pod: Pod, gone: podstate.Leftovers, kind: str) -> str:
        """Delete one kind of leftovers ("servers", "volumes" or "rest"); what was asked."""
        nova, cinder = self._nova(pod), self._cinder(pod)
        post, delete = self._admin.post, self._admin.delete
        if kind == "servers":
            for server in gone.servers:
                # A server stuck in a task (a killed run's resize, say) refuses a plain delete.
                reset = {"os-resetState": {"state": "error"}}
                post(f"{nova}/servers/{server}/action", json=reset, raise_exc=False)
                delete(f"{nova}/servers/{server}", raise_exc=False)
            return f"{len(gone.servers)} servers" if gone.servers else ""
        if kind == "volumes":
            for volume in gone.volumes:
                # Attached to a deleted server, or with snapshots: reset, then force and cascade.
                reset = {"os-reset_status": {"status": "error", "attach_status": "detached"}}
                post(f"{cinder}/volumes/{volume}/action", json=reset, raise_exc=False)
                delete(
                    f"{cinder}/volumes/{volume}",
                    params={"cascade": "true", "force": "true"},
                    headers=_CINDER_323,
                    raise_exc=False,
                )
            return f"{len(gone.volumes)} volumes" if gone.volumes else ""
        if kind == "neutron":
            neutron = self._neutron(pod)
            for collection, item in gone.neutron:
                if collection == "routers":
                    self._unplug_router(neutron, item)
                delete(f"{neutron}/{collection}/{item}", raise_exc=False)
            return f"{len(gone.neutron)} Neutron resources" if gone.neutron else ""
        for flavor in gone.flavors:
            delete(f"{nova}/flavors/{flavor}", raise_exc=False)
        for type_id in gone.volume_types:
            delete(f"{cinder}/types/{type_id}", raise_exc=False)
        for user, name in gone.keypairs:
            params = {"user_id": user}
            delete(f"{nova}/os-keypairs/{name}", params=params, headers=_NOVA_210, raise_exc=False)
        counts = {
            "flavors": gone.flavors,
            "volume types": gone.volume_types,
            "key pairs": gone.keypairs,
        }
        return ", ".join(f"{len(items)} {what}" for what, items in counts.items() if items)

    def _unplug_router(self, neutron: str, router: str) -> None:
        """Remove the router's interfaces: Neutron refuses to delete a router that has any."""
        params = {"device_id": router, "device_owner": "network:router_interface"}
        for port in self._admin.get(f"{neutron}/ports", params=params).json()["ports"]:
            body = {"port_id": port["id"]}
            url = f"{neutron}/routers/{router}/remove_router_interface"
            self._admin.put(url, json=body, raise_exc=False)

    def _nova(self, pod: Pod) -> str:
        return f"http://{HOST}:{pod.nova_port}/v2.1"

    def _cinder(self, pod: Pod) -> str:
        return f"http://{HOST}:{pod.cinder_port}/v3/{self._project}"

    def _neutron(self, pod: Pod) -> str:
        return f"http://{HOST}:{pod.neutron_port}/v2.0"


def _wait_gone(api: _Api, pod: Pod, projects: set[str], kind: str) -> None:
    """Until the pod's orphaned servers (or volumes) are gone, or the time is up (then the
    differences name them)."""
    deadline = time.monotonic() + _GONE_S
    while time.monotonic() < deadline:
        gone = podstate.leftovers(api.state(pod), projects, SEEDED)
        if not getattr(gone, kind):
            return
        time.sleep(2)
