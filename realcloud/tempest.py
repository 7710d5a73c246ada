"""Tempest against one region of the cloud: RegionOne is Podgate, Pod1 is a pod directly."""

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from realcloud import procs
from realcloud.configs import render_ini
from realcloud.layout import ADMIN, FLAVORS, GATEWAY_REGION, Layout
from realcloud.results import Run, failure_reasons, parse, select

# All of the compute and volume APIs (backups are switched off below: there is no backup
# service)...
COMPUTE_VOLUME = r"^tempest\.api\.(compute|volume)\."
# ...and networks, subnets, ports, routers, floating IPs and security groups, IPv4 only. Left
# out: what needs live agents (DHCP agent scheduling, agent management), DVR, metering, DHCP
# semantics, and what the issue does not list (tags, versions, service providers, subnet pools).
NETWORK = (
    r"^tempest\.api\.network\.(?!.*(IpV6|IPv6|Dvr))(test_(networks|networks_negative|ports"
    r"|routers|routers_negative|floating_ips|floating_ips_negative|security_groups"
    r"|security_groups_negative|allowed_address_pair|extensions)|admin\.test_(routers"
    r"|routers_negative|ports|floating_ips_admin_actions|external_network_extension"
    r"|external_networks_negative))\."
)
SELECTION = f"{COMPUTE_VOLUME}|{NETWORK}"
TARGETS = {"podgate": GATEWAY_REGION, "direct": "Pod1"}
CONCURRENCY = 2
_RUN_TIMEOUT_S = 3000  # the direct run took ~12 min for 625 tests; now ~930


@dataclass(frozen=True, slots=True)
class Seeded:
    """What Tempest is told of the seeded cloud (Pod1's network facts, for either target)."""

    image_id: str
    public_network_id: str
    network_extensions: tuple[str, ...]  # aliases; without `dvr` router-interface removal waits


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished Tempest run."""

    name: str
    region: str
    seconds: float
    returncode: int
    run: Run
    reasons: dict[str, str]
    listed: tuple[str, ...]  # the selected ids as Tempest names them, attributes included


def tempest_conf(layout: Layout, workspace: Path, region: str, seeded: Seeded) -> str:
    """Dynamic credentials through the admin user, each with its own network, subnet and router
    (the router's gateway on `public`); services in `region`'s catalog."""
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
                "create_isolated_networks": True,
            },
            "identity": {"uri_v3": layout.keystone_url, "auth_version": "v3", "region": region},
            "identity-feature-enabled": {"api_v2": False},
            "service_available": {
                "nova": True,
                "cinder": True,
                "glance": True,
                "neutron": True,
                "swift": False,
            },
            "compute": {
                "image_ref": seeded.image_id,
                "image_ref_alt": seeded.image_id,
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
            "network": {
                "public_network_id": seeded.public_network_id,
                "floating_network_name": "public",
                # Nothing carries packets: no agent, no namespaces.
                "project_networks_reachable": False,
                "build_timeout": 60,
            },
            "network-feature-enabled": {
                "api_extensions": ",".join(seeded.network_extensions),
                "ipv6": True,
                "floating_ips": True,
            },
            "validation": {"run_validation": False},
        }
    )


def run(layout: Layout, name: str, seeded: Seeded, *, regex: str = SELECTION, say=print) -> Outcome:
    """Run the selection against one target; results under results/tempest-<name>/."""
    workspace = layout.results / f"tempest-{name}"
    # A rerun's workspace belongs to the run before it: never let it outlive a new run.
    shutil.rmtree(layout.results / f"tempest-{name}-rerun", ignore_errors=True)
    _workspace(layout, workspace, name, seeded)
    listed = subprocess.run(
        [str(layout.bin("tempest", "stestr")), "list", regex],
        cwd=workspace,
        env=_env(workspace),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return _execute(layout, name, workspace, listed, ["--regex", regex], say)


def rerun(
    layout: Layout, first: Outcome, tests: Iterable[str], seeded: Seeded, *, say=print
) -> Outcome:
    """These tests of a finished run once more, same target; results in tempest-<name>-rerun/."""
    workspace = layout.results / f"tempest-{first.name}-rerun"
    _workspace(layout, workspace, first.name, seeded)
    chosen = select(first.listed, tests)
    # Exact ids, attributes included: a regex would also pick tests whose names extend these.
    load_list = workspace / "rerun-list.txt"
    load_list.write_text("".join(f"{test}\n" for test in chosen))
    return _execute(layout, first.name, workspace, chosen, ["--load-list", str(load_list)], say)


def _execute(
    layout: Layout,
    name: str,
    workspace: Path,
    listed: list[str],
    selection: list[str],
    say: Callable[[str], None],
) -> Outcome:
    """`tempest run` with this selection in a prepared workspace; outcomes written next to it."""
    region = TARGETS[name]
    say(f"{workspace.name} ({region}): {len(listed)} tests, concurrency {CONCURRENCY}")
    tempest = str(layout.bin("tempest", "tempest"))
    stestr = str(layout.bin("tempest", "stestr"))
    begin = time.monotonic()
    argv = [tempest, "run", "--concurrency", str(CONCURRENCY), *selection]
    running = procs.start(
        workspace.name, argv, pids=layout.pids, logs=workspace, cwd=workspace, env=_env(workspace)
    )
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
        name,
        region,
        seconds,
        returncode,
        parse(listed, table),
        failure_reasons(failing),
        tuple(listed),
    )
    (workspace / "outcomes.json").write_text(json.dumps(outcome.run.outcomes, indent=1))
    return outcome


def save_final(layout: Layout, outcome: Outcome, final: Run, flaky: list[str], regex: str) -> None:
    """A finished run with its reruns folded in, for a later `--podgate-only` to compare with."""
    (layout.results / f"final-{outcome.name}.json").write_text(
        json.dumps(
            {
                "regex": regex,
                "seconds": outcome.seconds,
                "returncode": outcome.returncode,
                "listed": outcome.listed,
                "reasons": outcome.reasons,
                "outcomes": final.outcomes,
                "teardown_failures": final.teardown_failures,
                "flaky": flaky,
            }
        )
    )


def load_final(layout: Layout, name: str, regex: str) -> tuple[Outcome, Run, list[str]] | None:
    """What `save_final` kept of the last `name` run of this selection; None if there is none."""
    path = layout.results / f"final-{name}.json"
    if not path.exists():
        return None
    kept = json.loads(path.read_text())
    if kept["regex"] != regex:
        return None
    final = Run(kept["outcomes"], tuple(kept["teardown_failures"]))
    outcome = Outcome(
        name,
        TARGETS[name],
        kept["seconds"],
        kept["returncode"],
        final,
        kept["reasons"],
        tuple(kept["listed"]),
    )
    return outcome, final, kept["flaky"]


def _env(workspace: Path) -> dict[str, str]:
    return {**os.environ, "TEMPEST_CONFIG_DIR": str(workspace / "etc")}


def _workspace(layout: Layout, workspace: Path, name: str, seeded: Seeded) -> None:
    """What `tempest init` makes (a fresh one), without registering it in ~/.tempest."""
    shutil.rmtree(workspace, ignore_errors=True)
    for sub in ("etc", "logs", "tempest_lock"):
        (workspace / sub).mkdir(parents=True)
    (workspace / "etc" / "tempest.conf").write_text(
        tempest_conf(layout, workspace, TARGETS[name], seeded)
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
