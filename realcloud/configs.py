"""Config files of every service, as pure functions of the layout and the pod."""

import base64
import hashlib
import json
from collections.abc import Mapping

from realcloud.layout import (
    GATEWAY_REGION,
    HOST,
    PODS,
    RABBIT_USER,
    SERVICE_PASSWORD,
    Layout,
    Pod,
)

Ini = Mapping[str, Mapping[str, object]]

# oslo.config parses sys.argv, which in a gunicorn worker holds gunicorn's own options.
WSGI_WRAPPER = """\
import sys

sys.argv = sys.argv[:1]
from {module} import application  # noqa: E402,F401
"""


# Nova and Cinder behind Podgate: links built from the X-Forwarded-Host/-Proto Podgate sends (its
# own host), as their API paths are Podgate's (`/v2.1`, `/v3/{project}`), so even the answers
# Envoy routes by itself link to Podgate (README: "Links in answers").
PROXY_HEADERS = {"enable_proxy_headers_parsing": True}


def render_ini(sections: Ini) -> str:
    """INI text; booleans as true/false, None values left out."""
    out: list[str] = []
    for name, options in sections.items():
        out.append(f"[{name}]")
        for key, value in options.items():
            if value is None:
                continue
            text = str(value).lower() if isinstance(value, bool) else str(value)
            out.append(f"{key} = {text}")
        out.append("")
    return "\n".join(out)


def service_auth(layout: Layout, user: str, region: str | None) -> dict[str, object]:
    """keystoneauth1 password options for a service user in project `service`."""
    return {
        "auth_type": "password",
        "auth_url": layout.keystone_url,
        "username": user,
        "password": SERVICE_PASSWORD,
        "project_name": "service",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "region_name": region,
    }


def authtoken(layout: Layout, user: str, region: str) -> dict[str, object]:
    """keystonemiddleware options: validate users' tokens as `user`."""
    return {
        "www_authenticate_uri": layout.keystone_url,
        **service_auth(layout, user, region),
        "service_token_roles_required": True,
    }


def keystone_conf(data: str) -> str:
    """SQLite (one worker), fast password hashing, in-memory cache: the notes' measured setup."""
    return render_ini(
        {
            "DEFAULT": {"use_stderr": True},
            "database": {"connection": f"sqlite:///{data}/keystone.db?timeout=30"},
            "token": {"provider": "fernet"},
            "fernet_tokens": {"key_repository": f"{data}/fernet-keys"},
            "fernet_receipts": {"key_repository": f"{data}/fernet-keys"},
            "credential": {"key_repository": f"{data}/credential-keys"},
            "identity": {"password_hash_rounds": 4},
            "cache": {"enabled": True, "backend": "dogpile.cache.memory"},
        }
    )


def nova_conf(layout: Layout, pod: Pod) -> str:
    """Nova with the fake virt driver, all services of one pod, talking to its own region."""
    data = layout.data / pod.key / "nova"
    nova = "nova"
    return render_ini(
        {
            "DEFAULT": {
                "transport_url": layout.rabbit_url(pod.key),
                "compute_driver": "fake.SmallFakeDriver",
                "host": pod.host,
                "my_ip": HOST,
                "state_path": data,
                "heal_instance_info_cache_interval": -1,
                "default_availability_zone": pod.az,
                "allow_resize_to_same_host": True,
                # SmallFakeDriver reports 2 vCPUs and 8 GB: leave room for Tempest's servers.
                "cpu_allocation_ratio": 64.0,
                "ram_allocation_ratio": 16.0,
                "disk_allocation_ratio": 16.0,
                "reserved_host_memory_mb": 0,
                "osapi_compute_workers": 1,
                "graceful_shutdown_timeout": 5,
                "metadata_workers": 1,
                # No agent plugs anything: nobody sends network-vif-plugged, so never wait for it.
                "vif_plugging_is_fatal": False,
                "vif_plugging_timeout": 0,
            },
            "api": {"auth_strategy": "keystone"},
            "api_database": {"connection": layout.postgres_url(f"{pod.key}_nova_api")},
            "database": {"connection": layout.postgres_url(f"{pod.key}_nova_cell1")},
            "keystone_authtoken": authtoken(layout, nova, pod.name),
            "service_user": {
                "send_service_user_token": True,
                **service_auth(layout, nova, None),
            },
            "placement": service_auth(layout, nova, pod.name),
            "cinder": {"os_region_name": pod.name, **service_auth(layout, nova, pod.name)},
            "neutron": service_auth(layout, nova, pod.name),
            "glance": {"api_servers": layout.glance_url},
            "oslo_concurrency": {"lock_path": data / "lock"},
            "oslo_middleware": PROXY_HEADERS,
            "scheduler": {"discover_hosts_in_cells_interval": 5, "workers": 1},
            "conductor": {"workers": 1},
            "wsgi": {"api_paste_config": layout.etc / pod.key / "nova" / "api-paste.ini"},
        }
    )


def placement_conf(layout: Layout, pod: Pod) -> str:
    return render_ini(
        {
            "DEFAULT": {},
            "api": {"auth_strategy": "keystone"},
            "placement_database": {"connection": layout.postgres_url(f"{pod.key}_placement")},
            "keystone_authtoken": authtoken(layout, "placement", pod.name),
        }
    )


def cinder_conf(layout: Layout, pod: Pod) -> str:
    """Cinder API, scheduler and a volume service with the fake driver, in the pod's AZ."""
    data = layout.data / pod.key / "cinder"
    venv_etc = layout.venv("cinder") / "etc/cinder"
    return render_ini(
        {
            "DEFAULT": {
                "auth_strategy": "keystone",
                "osapi_volume_listen": HOST,
                "osapi_volume_listen_port": pod.cinder_port,
                "osapi_volume_workers": 1,
                "api_paste_config": venv_etc / "api-paste.ini",
                "resource_query_filters_file": venv_etc / "resource_filters.json",
                "state_path": data,
                "transport_url": layout.rabbit_url(pod.key),
                "host": pod.host,
                "enabled_backends": "fake",
                "storage_availability_zone": pod.az,
                "default_availability_zone": pod.az,
                "glance_api_servers": layout.glance_url,
                "graceful_shutdown_timeout": 5,
            },
            "database": {"connection": layout.postgres_url(f"{pod.key}_cinder")},
            "oslo_concurrency": {"lock_path": data / "lock"},
            "oslo_middleware": PROXY_HEADERS,
            "keystone_authtoken": authtoken(layout, "cinder", pod.name),
            "nova": {"interface": "public", **service_auth(layout, "cinder", pod.name)},
            "fake": {
                "volume_driver": "cinder.tests.fake_driver.FakeLoggingVolumeDriver",
                "volume_backend_name": "fake",
            },
        }
    )


def neutron_conf(layout: Layout, pod: Pod) -> str:
    """Neutron's API with ML2 + openvswitch and the L3 plugin, no agent processes: ports bind
    through the agent rows the templates seed in its database."""
    data = layout.data / pod.key / "neutron"
    return render_ini(
        {
            "DEFAULT": {
                "bind_host": HOST,
                "bind_port": pod.neutron_port,
                "core_plugin": "ml2",
                # Routers, floating IPs, extraroute, ext-gw-mode and dvr (listed while
                # enable_dvr is on: Tempest's router-interface removal waits on it otherwise).
                "service_plugins": "router",
                "enable_dvr": True,
                "auth_strategy": "keystone",
                "api_workers": 1,
                "rpc_workers": 0,
                "rpc_state_report_workers": 0,
                "transport_url": layout.rabbit_url(pod.key),
                "notify_nova_on_port_status_changes": False,
                "notify_nova_on_port_data_changes": False,
                "state_path": data,
                "api_paste_config": layout.venv("neutron") / "etc/neutron/api-paste.ini",
            },
            "database": {"connection": layout.postgres_url(f"{pod.key}_neutron")},
            "keystone_authtoken": authtoken(layout, "neutron", pod.name),
            "oslo_concurrency": {"lock_path": data / "lock"},
            **ml2_sections(),
        }
    )


# The physical network of each pod's external network `public` (seed.public_network).
PUBLIC_PHYSNET = "public"


def ml2_sections() -> dict[str, dict[str, object]]:
    """Project networks are VXLAN, `public` is flat; openvswitch binds a port to a host whose
    (seeded) agent row carries the network's tunnel type or a bridge for its physical network."""
    return {
        "ml2": {
            "type_drivers": "flat,vlan,vxlan",
            "project_network_types": "vxlan",
            "mechanism_drivers": "openvswitch",
            "extension_drivers": "port_security",
        },
        "ml2_type_flat": {"flat_networks": PUBLIC_PHYSNET},
        "ml2_type_vxlan": {"vni_ranges": "1:1000"},
        "securitygroup": {"enable_security_group": True},
    }


def glance_conf(layout: Layout) -> str:
    """One Glance for both pods, images on the local file system."""
    data = layout.data / "glance"
    return render_ini(
        {
            "DEFAULT": {
                "bind_host": HOST,
                "bind_port": layout.ports.glance,
                "workers": 1,
                "enabled_backends": "fs:file",
            },
            "database": {"connection": layout.postgres_url("glance")},
            "glance_store": {"default_backend": "fs"},
            "fs": {"filesystem_store_datadir": data / "images"},
            "os_glance_staging_store": {"filesystem_store_datadir": data / "staging"},
            "os_glance_tasks_store": {"filesystem_store_datadir": data / "tasks"},
            "keystone_authtoken": authtoken(layout, "glance", GATEWAY_REGION),
            "paste_deploy": {
                "flavor": "keystone",
                "config_file": layout.venv("glance") / "etc/glance/glance-api-paste.ini",
            },
            "oslo_concurrency": {"lock_path": data / "lock"},
        }
    )


def rabbit_conf(layout: Layout, definitions: str) -> str:
    """RabbitMQ on loopback, its user and vhosts loaded from a definitions file at boot."""
    return "\n".join(
        (
            f"listeners.tcp.default = {HOST}:{layout.ports.rabbit}",
            "loopback_users = none",
            "definitions.import_backend = local_filesystem",
            f"definitions.local.path = {definitions}",
            "",
        )
    )


def rabbit_definitions(salt: bytes) -> str:
    """One user with rights on one vhost per pod (password hashed as RabbitMQ's SHA-256 scheme)."""
    user, password = RABBIT_USER
    digest = hashlib.sha256(salt + password.encode()).digest()
    vhosts = [pod.key for pod in PODS]
    return json.dumps(
        {
            "users": [
                {
                    "name": user,
                    "password_hash": base64.b64encode(salt + digest).decode(),
                    "hashing_algorithm": "rabbit_password_hashing_sha256",
                    "tags": ["administrator"],
                }
            ],
            "vhosts": [{"name": vhost} for vhost in vhosts],
            "permissions": [
                {"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
                for vhost in vhosts
            ],
        },
        indent=2,
    )
