"""Tempest against one region of the cloud: RegionOne is Podgate, Pod1 is a pod directly."""

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from realcloud import procs
from realcloud.configs import render_ini
from realcloud.layout import ADMIN, FLAVORS, GATEWAY_REGION, Layout
from realcloud.results import Run, failure_reasons, parse

# The set: compute servers, volumes, flavors, keypairs, and all of the volume API
# (backups are switched off below: there is no backup service).
SELECTION = r"^tempest\.api\.(compute\.(servers|volumes|flavors|keypairs)|volume)\."
TARGETS = {"podgate": GATEWAY_REGION, "direct": "Pod1"}
CONCURRENCY = 2
_RUN_TIMEOUT_S = 1500


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished Tempest run."""

    name: str
    region: str
    seconds: float
    returncode: int
    run: Run
    reasons: dict[str, str]


def tempest_conf(layout: Layout, workspace: Path, region: str, image_id: str) -> str:
    """Dynamic credentials through the admin user; services found in `region`'s catalog."""
    user, password = ADMIN
    return render_ini(
        {
            "DEFAULT": {"log_dir": workspace / "logs", "log_file": "tempest.log"},
            "oslo_concurrency": {"lock_path": workspace / "tempest_lock"},
            "auth": {
                "admin_username": user,
                "admin_password": password,
                "admin_project_name": "admin",
                "admin_domain_name": "Default",
                "use_dynamic_credentials": True,
                "create_isolated_networks": False,
            },
            "identity": {"uri_v3": layout.keystone_url, "auth_version": "v3", "region": region},
            "identity-feature-enabled": {"api_v2": False},
            "service_available": {
                "nova": True,
                "cinder": True,
                "glance": True,
                "neutron": False,
                "swift": False,
            },
            "compute": {
                "image_ref": image_id,
                "image_ref_alt": image_id,
                "flavor_ref": FLAVORS[0][0],
                "flavor_ref_alt": FLAVORS[1][0],
                "build_timeout": 120,
                "min_microversion": "2.1",
                "max_microversion": "latest",
            },
            "compute-feature-enabled": {
                "live_migration": False,
                "change_password": False,
                "vnc_console": False,
                "spice_console": False,
                "serial_console": False,
                "interface_attach": False,
                "attach_encrypted_volume": False,
                "shelve": False,
                # The fake virt driver uploads no snapshot data: the image stays queued.
                "snapshot": False,
                "resize": True,
                "rescue": True,
            },
            "volume": {
                "catalog_type": "volumev3",
                "backend_names": "fake",
                "storage_protocol": "fake",
                "build_timeout": 60,
                "min_microversion": "3.0",
                "max_microversion": "latest",
            },
            "volume-feature-enabled": {"backup": False},
            "validation": {"run_validation": False},
        }
    )


def run(layout: Layout, name: str, image_id: str, *, regex: str = SELECTION, say=print) -> Outcome:
    """Run the selection against one target; results under results/tempest-<name>/."""
    region = TARGETS[name]
    workspace = layout.results / f"tempest-{name}"
    shutil.rmtree(workspace, ignore_errors=True)
    layout.results.mkdir(parents=True, exist_ok=True)
    tempest = str(layout.bin("tempest", "tempest"))
    _workspace(layout, workspace, region, image_id)
    stestr = str(layout.bin("tempest", "stestr"))
    env = {**os.environ, "TEMPEST_CONFIG_DIR": str(workspace / "etc")}
    listed = subprocess.run(
        [stestr, "list", regex], cwd=workspace, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    say(f"tempest {name} ({region}): {len(listed)} tests, concurrency {CONCURRENCY}")
    begin = time.monotonic()
    argv = [tempest, "run", "--concurrency", str(CONCURRENCY), "--regex", regex]
    running = procs.start(f"tempest-{name}", argv, pids=layout.pids, logs=workspace, cwd=workspace)
    returncode = _wait(running, layout)
    seconds = time.monotonic() - begin
    subunit = subprocess.run(
        [stestr, "last", "--subunit"], cwd=workspace, capture_output=True, check=False
    ).stdout
    table = subprocess.run(
        [str(layout.bin("tempest", "subunit2csv"))],
        input=subunit,
        capture_output=True,
        check=False,
    ).stdout.decode()
    (workspace / "results.csv").write_text(table)
    failing = subprocess.run(
        [stestr, "failing"], cwd=workspace, capture_output=True, text=True, check=False
    ).stdout
    (workspace / "failing.txt").write_text(failing)
    outcome = Outcome(
        name, region, seconds, returncode, parse(listed, table), failure_reasons(failing)
    )
    (workspace / "outcomes.json").write_text(json.dumps(outcome.run.outcomes, indent=1))
    return outcome


def _workspace(layout: Layout, workspace: Path, region: str, image_id: str) -> None:
    """What `tempest init` makes, without registering it in ~/.tempest."""
    for sub in ("etc", "logs", "tempest_lock"):
        (workspace / sub).mkdir(parents=True)
    (workspace / "etc" / "tempest.conf").write_text(
        tempest_conf(layout, workspace, region, image_id)
    )
    package = next((layout.venv("tempest") / "lib").glob("python3*/site-packages/tempest"))
    (workspace / ".stestr.conf").write_text(
        f"[DEFAULT]\ntest_path={package / 'test_discover'}\ntop_dir={package}\n"
        "group_regex=([^\\.]*\\.)*\n"
    )
    stestr = str(layout.bin("tempest", "stestr"))
    subprocess.run([stestr, "init"], cwd=workspace, check=True, capture_output=True)


def _wait(running: procs.Running, layout: Layout) -> int:
    """Wait for Tempest; past the time limit stop it (and its workers) by PID."""
    deadline = time.monotonic() + _RUN_TIMEOUT_S
    while procs.alive(running):
        if time.monotonic() > deadline:
            procs.stop(running, layout.pids)
            break
        time.sleep(2)
    (layout.pids / f"{running.name}.pid").unlink(missing_ok=True)
    _, status = os.waitpid(running.pid, 0)
    return os.waitstatus_to_exitcode(status)
