"""The admin commands load gRPC, the stubs and the renderer, never the server's stacks: those cost
`podgate pod list` ~0.9 s of imports before issue 19.

A fresh interpreter runs every admin command (against a socket nobody serves) and the help of
every command, then names the server-side modules it loaded. In tests/adapters, not tests/unit:
it starts a process, which `make test-unit --isolated` refuses.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

# Server-side: the store and its drivers, the decision and xDS services, Keystone's client,
# the settings schema, the event loop policy, the guard; none has a job in an admin command.
SERVER_SIDE = (
    "aiohttp",
    "aiosqlite",
    "alembic",
    "asyncpg",
    "keystoneauth1",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "uvloop",
    "control_plane.auth.guard",
    "control_plane.decision",
    "control_plane.identity",
    "control_plane.pod_auth",
    "control_plane.runtime.envoy",
    "control_plane.runtime.serve",
    "control_plane.runtime.up",
    "control_plane.settings",
    "control_plane.store",
    "control_plane.workers",
    "control_plane.xds",
)

ADMIN_COMMANDS = (
    ["pod", "create", "pod1", "--az", "az1", "--endpoint", "compute=http://h:8774/v2.1"],
    ["pod", "list"],
    ["pod", "show", "pod1"],
    ["pod", "update", "pod1", "--state", "DRAINING"],
    ["pod", "delete", "pod1", "--force"],
    ["binding", "create", "--project", "p1", "--pod", "pod1"],
    ["binding", "list", "--active"],
    ["binding", "delete", "b1"],
    ["routing", "list", "--all"],
    ["routing", "show", "server", "s1"],
    ["routing", "delete", "server", "s1"],
    ["status"],
    ["audit", "--since", "2h"],
)
HELP = (["--help"], ["pod", "--help"], ["pod", "list", "--help"], ["serve", "--help"])

_PROBE = """
import contextlib, io, json, sys
from control_plane.cli import main

exits = []
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            exits.append(main(["--server", "unix:" + sys.argv[2], *argv]))
        except SystemExit as exc:
            exits.append(exc.code)
print(json.dumps({"exits": exits, "modules": sorted(sys.modules)}))
"""


def _run(commands: tuple[list[str], ...], tmp_path: Path) -> dict[str, list]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "PODGATE_"))}
    env["PODGATE_STATE_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(commands), str(tmp_path / "no-server.sock")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_admin_commands_load_no_server_stack(tmp_path: Path) -> None:
    seen = _run(ADMIN_COMMANDS, tmp_path)
    assert seen["exits"] == [1] * len(ADMIN_COMMANDS)  # each ran, and found no control plane
    assert "podgate_api.admin.v1.admin_pb2_grpc" in seen["modules"]
    assert _loaded(seen["modules"]) == []


def test_help_loads_no_server_stack(tmp_path: Path) -> None:
    seen = _run(HELP, tmp_path)
    assert seen["exits"] == [0] * len(HELP)
    assert _loaded(seen["modules"]) == []


def _loaded(modules: list[str]) -> list[str]:
    """The server-side packages among `modules` (a package counts with its submodules)."""
    return sorted({p for p in SERVER_SIDE for m in modules if m == p or m.startswith(f"{p}.")})
