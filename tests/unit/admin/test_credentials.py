"""The CLI finds the state dir (and so the admin token) where the server's settings put it,
without loading those settings."""

from pathlib import Path

import pytest

from control_plane.admin.credentials import admin_credential, cli_state_dir
from control_plane.settings import load_settings


@pytest.mark.parametrize(
    ("flag", "env"),
    [
        (None, {}),
        (None, {"PODGATE_STATE_DIR": "/srv/podgate"}),
        (Path("/x"), {}),
        (Path("/x"), {"PODGATE_STATE_DIR": "/srv/podgate"}),
    ],
    ids=["default", "env", "flag", "flag-over-env"],
)
def test_the_state_dir_is_the_servers(
    flag: Path | None,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .state/podgate.toml of the checkout is read
    monkeypatch.delenv("PODGATE_STATE_DIR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert cli_state_dir(flag, env) == load_settings(state_dir=flag).state_dir


def test_the_admin_token_is_read_from_the_state_dir(tmp_path: Path) -> None:
    (tmp_path / "admin-token").write_text("local-admin\n")
    environ = {"PODGATE_STATE_DIR": str(tmp_path)}
    assert admin_credential(cli_state_dir(None, environ), None, environ) == "local-admin"
