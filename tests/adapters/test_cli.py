"""`podgate pod|binding|routing` against a real admin server over a real Store."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from control_plane.cli import main
from control_plane.model import ResourceType
from control_plane.store import Store
from tests.adapters.test_admin_service import Admin, add_routings, serve_admin
from tests.fixtures.guarded import LOCAL_ADMIN_TOKEN

COMPUTE = "http://10.0.0.1:8774/v2.1"
VOLUME = "http://10.0.0.1:8776/v3/$(project_id)s"


@pytest.fixture
async def admin(store: Store, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Admin]:
    monkeypatch.setenv("PODGATE_ADMIN_TOKEN", LOCAL_ADMIN_TOKEN)
    async with serve_admin(store) as admin:
        yield admin


class Cli:
    """Runs `podgate` in a thread (its gRPC calls block) and captures what it prints."""

    def __init__(self, admin: Admin, capsys: pytest.CaptureFixture[str]) -> None:
        self._admin = admin
        self._capsys = capsys

    async def __call__(self, *argv: str, as_json: bool = False) -> tuple[int, str, str]:
        self._capsys.readouterr()
        flags = ["--server", self._admin.target, *(["--json"] if as_json else [])]
        code = await asyncio.to_thread(main, [*flags, *argv])
        out, err = self._capsys.readouterr()
        return code, out, err

    async def json(self, *argv: str) -> Any:
        code, out, err = await self(*argv, as_json=True)
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(admin: Admin, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(admin, capsys)


async def create_pod(cli: Cli, name: str = "pod1", *extra: str) -> None:
    code, _, err = await cli(
        "pod", "create", name, "--az", "az1", "--endpoint", f"compute={COMPUTE}", *extra
    )
    assert code == 0, err


async def test_pod_create_prints_the_pod(cli: Cli, admin: Admin) -> None:
    code, out, err = await cli(
        "pod", "create", "pod1", "--az", "az1", "--pod-az", "nova", "--dc", "dc1",
        "--endpoint", f"compute={COMPUTE}", "--endpoint", f"volumev3={VOLUME}",
        "--state", "draining",
    )  # fmt: skip
    assert (code, err) == (0, "")
    for text in ("pod1", "az1", "nova", "dc1", "DRAINING", COMPUTE, VOLUME):
        assert text in out
    stored = await admin.store.get_pod("pod1")
    assert stored.state == "DRAINING" and dict(stored.endpoints)["volumev3"] == VOLUME


async def test_pod_list_table_shows_every_pod(cli: Cli) -> None:
    await create_pod(cli, "pod1")
    await create_pod(cli, "pod2")
    code, out, _ = await cli("pod", "list")
    assert code == 0
    rows = [line for line in out.splitlines() if "az1" in line]
    assert len(rows) == 2 and "pod1" in rows[0] and "pod2" in rows[1]
    assert COMPUTE in out and "ENABLED" in out


async def test_pod_list_json_is_an_array_with_proto_field_names(cli: Cli) -> None:
    await create_pod(cli, "pod1")
    pods = await cli.json("pod", "list")
    assert isinstance(pods, list) and len(pods) == 1
    assert pods[0]["name"] == "pod1"
    assert pods[0]["az_name"] == "az1"
    assert pods[0]["pod_az_name"] == ""
    assert pods[0]["state"] == "ENABLED"
    assert pods[0]["endpoints"] == {"compute": COMPUTE}


async def test_pod_list_filters_by_az(cli: Cli) -> None:
    await create_pod(cli, "pod1")
    await cli("pod", "create", "pod2", "--az", "az2")
    pods = await cli.json("pod", "list", "--az", "az2")
    assert [p["name"] for p in pods] == ["pod2"]


async def test_pod_show_is_a_field_table(cli: Cli) -> None:
    await create_pod(cli)
    code, out, _ = await cli("pod", "show", "pod1")
    assert code == 0
    assert any(line.split()[:2] == ["NAME", "pod1"] for line in out.splitlines() if line.strip())
    assert "CREATED" in out


async def test_pod_update_changes_and_removes_endpoints(cli: Cli, admin: Admin) -> None:
    await create_pod(cli, "pod1", "--endpoint", f"volumev3={VOLUME}", "--dc", "dc1")
    pod = await cli.json(
        "pod", "update", "pod1", "--state", "DISABLED", "--dc", "", "--remove-endpoint", "volumev3"
    )
    assert pod["state"] == "DISABLED"
    assert pod["dc_name"] == ""
    assert pod["endpoints"] == {"compute": COMPUTE}
    assert (await admin.store.get_pod("pod1")).az_name == "az1"


async def test_insecure_tls_is_set_shown_and_cleared(cli: Cli, admin: Admin) -> None:
    await create_pod(cli, "pod1", "--insecure-tls")
    assert (await admin.store.get_pod("pod1")).tls_insecure
    code, out, _ = await cli("pod", "show", "pod1")
    assert code == 0 and "INSECURE" in out
    assert [p["tls_insecure"] for p in await cli.json("pod", "list")] == [True]
    pod = await cli.json("pod", "update", "pod1", "--dc", "dc2")
    assert pod["tls_insecure"] is True
    pod = await cli.json("pod", "update", "pod1", "--no-insecure-tls")
    assert pod["tls_insecure"] is False
    code, out, _ = await cli("pod", "show", "pod1")
    assert "INSECURE" not in out and "verified" in out


async def test_pod_delete_and_force(cli: Cli, admin: Admin) -> None:
    await create_pod(cli)
    await add_routings(admin.store, "pod1", 1, ResourceType.SERVER)
    code, out, err = await cli("pod", "delete", "pod1")
    assert code == 1 and out == ""
    assert err == "error: FAILED_PRECONDITION: Pod pod1 still has 1 routings; " + (
        "delete them first or use force\n"
    )
    code, out, _ = await cli("pod", "delete", "pod1", "--force")
    assert code == 0 and "Deleted pod pod1" in out
    assert await admin.store.list_pods() == []


async def test_binding_commands(cli: Cli) -> None:
    await create_pod(cli)
    binding = await cli.json("binding", "create", "--project", "proj", "--pod", "pod1")
    assert binding["active"] is True and binding["az_name"] == "az1"
    code, out, _ = await cli("binding", "list", "--active")
    assert code == 0 and binding["id"] in out and "proj" in out
    assert await cli.json("binding", "list", "--project", "other") == []
    code, out, _ = await cli("binding", "delete", binding["id"])
    assert code == 0 and "Deleted binding" in out
    assert await cli.json("binding", "list") == []


async def test_routing_commands(cli: Cli, admin: Admin) -> None:
    await create_pod(cli)
    await add_routings(admin.store, "pod1", 3, ResourceType.VOLUME)
    code, out, err = await cli("routing", "list", "--limit", "2")
    assert code == 0
    assert "volume-000" in out and "volume-001" in out and "volume-002" not in out
    assert "--all" in err
    every = await cli.json("routing", "list", "--limit", "2", "--all")
    assert [r["resource_id"] for r in every] == ["volume-000", "volume-001", "volume-002"]
    shown = await cli.json("routing", "show", "volume", "volume-001")
    assert shown["pod_name"] == "pod1"
    code, out, _ = await cli("routing", "delete", "volume", "volume-001")
    assert code == 0 and "Deleted routing volume volume-001" in out
    code, _, err = await cli("routing", "show", "volume", "volume-001")
    assert code == 1 and err.startswith("error: NOT_FOUND: ") and err.count("\n") == 1


async def test_delete_json_prints_an_empty_object(cli: Cli) -> None:
    await create_pod(cli)
    assert await cli.json("pod", "delete", "pod1") == {}


async def test_not_found_is_one_line_and_exit_1(cli: Cli) -> None:
    code, out, err = await cli("pod", "show", "ghost")
    assert (code, out, err) == (1, "", "error: NOT_FOUND: Pod ghost not found\n")


async def test_invalid_input_reports_the_server_reason(cli: Cli) -> None:
    code, _, err = await cli(
        "pod", "create", "pod1", "--az", "az1", "--endpoint", "compute=ftp://h"
    )
    assert code == 1
    assert err.startswith("error: INVALID_ARGUMENT: endpoint compute=") and err.count("\n") == 1


def test_bad_endpoint_syntax_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["pod", "create", "pod1", "--az", "az1", "--endpoint", "compute"])
    assert exited.value.code == 2
    assert "expected SERVICE=URL" in capsys.readouterr().err


def test_unreachable_server_is_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        target = f"127.0.0.1:{sock.getsockname()[1]}"
        code = main(["--server", target, "pod", "list"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == f"error: cannot reach the control plane at {target}\n"


def test_server_defaults_to_env(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        target = f"127.0.0.1:{sock.getsockname()[1]}"
        monkeypatch.setenv("PODGATE_SERVER", target)
        assert main(["binding", "list"]) == 1
    assert target in capsys.readouterr().err
