"""A real Keystone on loopback: its cached venv (harness/keystone_venv.py), SQLite, gunicorn, PID.

Seeded with Podgate's test regions, services, projects and users; used by the `keystone` test
fixture (tests/fixtures/keystone.py) and by bench/token_cache.py.
"""

import shutil
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from control_plane.settings import KeystoneSettings
from harness.keystone_venv import ADMIN, CONF, TEMPLATE
from harness.procs import Proc, free_port, start, wait_for

DEMO = ("demo", "demo-secret", "demo")
OTHER = ("other-user", "other-secret", "other")
SERVICE = ("podgate", "podgate-secret", "service")
# The gateway's admin project (`[keystone] admin_project_name`): keystone-manage bootstrap's.
ADMIN_PROJECT = ADMIN[2]
REGIONS = ("Pod1", "Pod2")
SERVICES = {"compute": "nova", "volumev3": "cinderv3"}

_START_TIMEOUT_S = 60

# oslo.config parses sys.argv, which in a gunicorn worker holds gunicorn's own options.
_WSGI_WRAPPER = """\
import sys
sys.argv = sys.argv[:1]
from keystone.wsgi.api import application  # noqa: E402,F401
"""


@dataclass
class Keystone:
    """A running Keystone seeded with Podgate's test regions, services, projects and users."""

    url: str
    proc: Proc
    admin: ks_session.Session
    project_ids: dict[str, str]
    role_ids: dict[str, str]
    service_ids: dict[str, str]
    regions: set[str]
    _endpoint_ids: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @property
    def auth_url(self) -> str:
        return f"{self.url}/v3"

    def settings(self, **overrides: object) -> KeystoneSettings:
        """KeystoneSettings for the `podgate` service user (admin in project `service`)."""
        username, password, project = SERVICE
        service_user = {"username": username, "password": password, "project_name": project}
        return KeystoneSettings.model_validate(
            {
                "auth_url": self.auth_url,
                "admin_project_name": ADMIN_PROJECT,
                **service_user,
                **overrides,
            }
        )

    def gateway_env(self, **extra: str) -> dict[str, str]:
        """PODGATE_* variables for a gateway in keystone mode as the `podgate` service user."""
        username, password, project = SERVICE
        return {
            "PODGATE_AUTH": "keystone",
            "PODGATE_KEYSTONE_AUTH_URL": self.auth_url,
            "PODGATE_KEYSTONE_USERNAME": username,
            "PODGATE_KEYSTONE_PASSWORD": password,
            "PODGATE_KEYSTONE_PROJECT_NAME": project,
            "PODGATE_KEYSTONE_ADMIN_PROJECT_NAME": ADMIN_PROJECT,
            **extra,
        }

    def token(self, user: str, password: str, project: str) -> str:
        """A new project-scoped token for `user`."""
        auth = v3.Password(
            auth_url=self.auth_url,
            username=user,
            password=password,
            project_name=project,
            user_domain_id="default",
            project_domain_id="default",
        )
        return str(ks_session.Session(auth=auth).get_token())

    def system_token(self, user: str, password: str) -> str:
        """A new system-scoped token for `user` (`--os-system-scope all`)."""
        auth = v3.Password(
            auth_url=self.auth_url,
            username=user,
            password=password,
            user_domain_id="default",
            system_scope="all",
        )
        return str(ks_session.Session(auth=auth).get_token())

    def add_user(self, user: str, password: str, project: str, role: str) -> None:
        """A new user with `role` on `project` (created if new)."""
        if project not in self.project_ids:
            self.project_ids[project] = self._post(
                "projects", "project", {"name": project, "domain_id": "default"}
            )
        user_id = self._post(
            "users", "user", {"name": user, "password": password, "domain_id": "default"}
        )
        project_id, role_id = self.project_ids[project], self.role_ids[role]
        self.admin.put(f"{self.auth_url}/projects/{project_id}/users/{user_id}/roles/{role_id}")

    def revoke(self, token: str) -> None:
        """Revoke one token (DELETE /v3/auth/tokens)."""
        self.admin.delete(f"{self.auth_url}/auth/tokens", headers={"X-Subject-Token": token})

    def add_endpoints(
        self,
        region: str,
        urls: Mapping[str, str],
        interfaces: tuple[str, ...] = ("public", "internal"),
    ) -> None:
        """Point `region`'s services at `urls` (service type → URL), replacing earlier ones."""
        if region not in self.regions:
            self._post("regions", "region", {"id": region})
            self.regions.add(region)
        for service, url in urls.items():
            if service not in self.service_ids:
                self.service_ids[service] = self._post(
                    "services", "service", {"type": service, "name": service}
                )
            for interface in interfaces:
                old = self._endpoint_ids.pop((region, service, interface), None)
                if old is not None:
                    self.admin.delete(f"{self.auth_url}/endpoints/{old}")
                self._endpoint_ids[(region, service, interface)] = self._post(
                    "endpoints",
                    "endpoint",
                    {
                        "service_id": self.service_ids[service],
                        "interface": interface,
                        "region_id": region,
                        "url": url,
                    },
                )

    def stop(self) -> None:
        self.proc.stop()

    def _post(self, collection: str, member: str, body: dict[str, object]) -> str:
        """Create one object and return its id."""
        resp = self.admin.post(f"{self.auth_url}/{collection}", json={member: body})
        return str(resp.json()[member]["id"])

    def seed(self) -> None:
        """The test regions, services, projects and users (DEMO, OTHER, SERVICE)."""
        for region in REGIONS:
            self._post("regions", "region", {"id": region})
            self.regions.add(region)
        for service_type, name in SERVICES.items():
            self.service_ids[service_type] = self._post(
                "services", "service", {"type": service_type, "name": name}
            )
        roles = self.admin.get(f"{self.auth_url}/roles").json()["roles"]
        self.role_ids.update({role["name"]: role["id"] for role in roles})
        projects = self.admin.get(f"{self.auth_url}/projects").json()["projects"]
        self.project_ids.update({project["name"]: project["id"] for project in projects})
        for user, password, project, role in (
            (*DEMO, "member"),
            (*OTHER, "member"),
            (*SERVICE, "admin"),
        ):
            self.add_user(user, password, project, role)


def start_keystone(venv: Path, root: Path) -> Keystone:
    """Copy the bootstrapped data, start gunicorn (1 worker: SQLite), point identity at it."""
    etc, data = root / "etc", root / "data"
    etc.mkdir()
    shutil.copytree(venv / TEMPLATE / "data", data)
    (etc / "keystone.conf").write_text(CONF.format(data=data))
    (etc / "podgate_keystone_wsgi.py").write_text(_WSGI_WRAPPER)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(
        [
            str(venv / "bin" / "gunicorn"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"),
            *("--pythonpath", str(etc), "podgate_keystone_wsgi:application"),
        ],
        log=root / "keystone.log",
        env={"OS_KEYSTONE_CONFIG_DIR": str(etc)},
    )

    def answering() -> bool:
        if not proc.alive():
            raise RuntimeError(f"keystone exited:\n{proc.output()}")
        with urllib.request.urlopen(f"{url}/v3", timeout=2) as resp:
            return resp.status == 200

    try:
        wait_for(answering, timeout=_START_TIMEOUT_S, what=f"keystone at {url}/v3")
    except BaseException:
        proc.stop()
        raise
    admin_user, admin_password, admin_project = ADMIN
    auth = v3.Password(
        auth_url=f"{url}/v3",
        username=admin_user,
        password=admin_password,
        project_name=admin_project,
        user_domain_id="default",
        project_domain_id="default",
    )
    admin = ks_session.Session(auth=auth)
    for endpoint in admin.get(f"{url}/v3/endpoints").json()["endpoints"]:
        admin.patch(
            f"{url}/v3/endpoints/{endpoint['id']}", json={"endpoint": {"url": f"{url}/v3/"}}
        )
    return Keystone(
        url=url,
        proc=proc,
        admin=admin,
        project_ids={},
        role_ids={},
        service_ids={},
        regions={"RegionOne"},
    )
