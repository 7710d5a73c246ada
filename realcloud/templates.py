"""Migrated databases and bootstrapped Keystone, built once and copied by every `up`.

Migrations are the slow part of a cold start (Nova's alone take half a minute on PostgreSQL), and
every `up` needs fresh databases because the fake virt driver invents a new node id per process.
So a PostgreSQL data directory holding every service's migrated, empty databases is kept under
templates/, and `up` copies it. The stamp covers the pins and every config that shapes a schema.
"""

import grp
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from realcloud import configs, procs, services
from realcloud.configs import PUBLIC_PHYSNET
from realcloud.layout import ADMIN, GATEWAY_REGION, PODS, Layout
from realcloud.venvs import CONSTRAINTS

_STEP_TIMEOUT_S = 600
_PG_READY_S = 60
# Bump when the steps below change in a way the configs do not show.
_RECIPE = "4"


_NEUTRON_SCHEMA = """\
import sqlalchemy
from neutron.db.migration.models import head
head.get_metadata().create_all(sqlalchemy.create_engine("{url}"))
"""


# One Open vSwitch agent row per pod host, in every pod's Neutron database (Tempest's admin port
# tests bind ports to another pod's hypervisor too). No agent runs: a heartbeat in 2100 keeps the
# row alive, and the openvswitch mechanism driver binds a port (vif_type ovs) from the row alone,
# which is all Nova's fake virt driver needs from a port.
_AGENT_ROWS = """\
import json, sqlalchemy
rows = [
    dict(host=host, configurations=json.dumps(
        {{"bridge_mappings": {{"{physnet}": "br-ex"}}, "tunnel_types": ["vxlan"],
         "integration_bridge": "br-int"}}))
    for host in {hosts!r}
]
insert = sqlalchemy.text(
    "INSERT INTO agents (id, agent_type, \\"binary\\", topic, host, admin_state_up, created_at,"
    " started_at, heartbeat_timestamp, configurations, load) VALUES (gen_random_uuid()::text,"
    " 'Open vSwitch agent', 'neutron-openvswitch-agent', 'N/A', :host, true, now(), now(),"
    " '2100-01-01', :configurations, 0)"
)
with sqlalchemy.create_engine("{url}").begin() as connection:
    connection.execute(insert, rows)
"""


class SetupError(RuntimeError):
    """A first-time setup step failed; the message ends with its output."""


def databases() -> list[str]:
    """Every PostgreSQL database the cloud uses."""
    names = ["glance"]
    for pod in PODS:
        names += [f"{pod.key}_{db}" for db in ("nova_api", "nova_cell0", "nova_cell1")]
        names += [f"{pod.key}_{db}" for db in ("placement", "cinder", "neutron")]
    return names


def ensure(layout: Layout, pg_bin: Path, shaping: Mapping[str, str]) -> float | None:
    """Build the templates unless the stamp matches; seconds taken, None when cached."""
    keystone_conf = configs.keystone_conf(str(layout.templates / "keystone"))
    key = hashlib.sha256(
        json.dumps(
            [_RECIPE, CONSTRAINTS.read_text(), keystone_conf, sorted(shaping.items())]
        ).encode()
    ).hexdigest()
    stamp = layout.templates / ".realcloud-stamp"
    if stamp.exists() and stamp.read_text() == key:
        return None
    begin = time.monotonic()
    shutil.rmtree(layout.templates, ignore_errors=True)
    layout.templates.mkdir(parents=True)
    _keystone(layout, keystone_conf)
    _postgres(layout, pg_bin)
    stamp.write_text(key)
    return time.monotonic() - begin


def copy_into_run(layout: Layout) -> None:
    """Fresh data for this `up`: the template cluster and Keystone data, owners kept."""
    layout.data.mkdir(parents=True, exist_ok=True)
    for name in ("pgdata", "keystone"):
        _run(["cp", "-a", str(layout.templates / name), str(layout.data / name)])


def _keystone(layout: Layout, conf_text: str) -> None:
    data = layout.templates / "keystone"
    data.mkdir()
    conf = layout.templates / "keystone.conf"
    conf.write_text(conf_text)
    manage = [str(layout.bin("keystone", "keystone-manage")), "--config-file", str(conf)]
    owner = ["--keystone-user", pwd.getpwuid(os.getuid()).pw_name]
    owner += ["--keystone-group", grp.getgrgid(os.getgid()).gr_name]
    _run([*manage, "db_sync"])
    _run([*manage, "fernet_setup", *owner])
    _run([*manage, "credential_setup", *owner])
    user, password = ADMIN
    url = f"{layout.keystone_url}/"
    _run(
        [
            *manage,
            "bootstrap",
            *("--bootstrap-username", user, "--bootstrap-password", password),
            *("--bootstrap-project-name", "admin", "--bootstrap-role-name", "admin"),
            *("--bootstrap-service-name", "keystone", "--bootstrap-region-id", GATEWAY_REGION),
            *("--bootstrap-public-url", url, "--bootstrap-internal-url", url),
            *("--bootstrap-admin-url", url),
        ]
    )


def _postgres(layout: Layout, pg_bin: Path) -> None:
    """initdb, start, create and migrate every database, stop."""
    data = layout.templates / "pgdata"
    shutil.chown(layout.templates, user="postgres", group="postgres")
    initdb = [str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    _run([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"], user="postgres")
    spec = services.postgres(layout, pg_bin, data)
    running = procs.start(
        "postgres-template",
        spec.argv,
        pids=layout.pids,
        logs=layout.logs,
        user=spec.user,
        stop_signal=spec.stop_signal,
    )
    try:
        procs.wait_ready(
            running,
            procs.port_open(layout.ports.postgres),
            log=layout.logs / "postgres-template.log",
            timeout=_PG_READY_S,
            what="template PostgreSQL",
        )
        psql = [str(pg_bin / "psql"), "-h", "127.0.0.1", "-p", str(layout.ports.postgres)]
        for name in databases():
            _run([*psql, "-U", "postgres", "-q", "-c", f"CREATE DATABASE {name}"])
        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(_migrate_pod, layout, pod.key) for pod in PODS] + [
                pool.submit(_migrate_glance, layout)
            ]:
                future.result()
    finally:
        procs.stop(running, layout.pids)


def _migrate_pod(layout: Layout, key: str) -> None:
    """One pod's schemas: Placement, Nova (API, cell0, cell1 and mappings), Cinder, Neutron."""
    etc = layout.etc / key
    placement = [str(layout.bin("nova", "placement-manage")), "--config-file"]
    _run([*placement, str(etc / "placement/placement.conf"), "db", "sync"])
    nova = [str(layout.bin("nova", "nova-manage")), "--config-file", str(etc / "nova/nova.conf")]
    _run([*nova, "api_db", "sync"])
    cell0 = layout.postgres_url(f"{key}_nova_cell0")
    _run([*nova, "cell_v2", "map_cell0", "--database_connection", cell0])
    _run([*nova, "db", "sync"])
    _run([*nova, "cell_v2", "create_cell", "--name", "cell1"])
    cinder = [str(layout.bin("cinder", "cinder-manage")), "--config-file"]
    _run([*cinder, str(etc / "cinder/cinder.conf"), "db", "sync"])
    # neutron 29's migrations run MySQL-only SQL (ALTER TABLE ... CONVERT TO CHARACTER SET) on
    # PostgreSQL too; build the schema from the models, as neutron's own tests do, and stamp it.
    url = layout.postgres_url(f"{key}_neutron")
    _run([str(layout.bin("neutron", "python")), "-c", _NEUTRON_SCHEMA.format(url=url)])
    neutron = [str(layout.bin("neutron", "neutron-db-manage"))]
    neutron += ["--config-file", str(etc / "neutron/neutron.conf")]
    neutron += ["--config-file", str(etc / "neutron/plugins/ml2/ml2_conf.ini")]
    _run([*neutron, "stamp", "heads"])
    rows = _AGENT_ROWS.format(url=url, hosts=[pod.host for pod in PODS], physnet=PUBLIC_PHYSNET)
    _run([str(layout.bin("neutron", "python")), "-c", rows])


def _migrate_glance(layout: Layout) -> None:
    conf = layout.etc / "glance" / "glance-api.conf"
    _run([str(layout.bin("glance", "glance-manage")), "--config-file", str(conf), "db_sync"])


def _run(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, user: str | None = None
) -> None:
    as_user = {"user": user, "group": user, "extra_groups": []} if user else {}
    result = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=_STEP_TIMEOUT_S,
        check=False,
        env={**os.environ, **(env or {})},
        cwd="/tmp",
        **as_user,
    )
    if result.returncode != 0:
        raise SetupError(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout[-3000:]}"
            f"{result.stderr[-6000:]}"
        )
