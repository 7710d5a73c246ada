"""The admin and Envoy tokens: made once, owner-only, the environment wins, the CLI finds them."""

import os
import stat
from pathlib import Path

from control_plane.auth.tokens import admin_token_for_cli, control_plane_tokens


def test_first_start_makes_two_private_tokens_in_a_private_dir(tmp_path: Path) -> None:
    state = tmp_path / "state"
    tokens = control_plane_tokens(state, {})
    assert tokens.admin != tokens.envoy and len(tokens.admin) >= 40
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for name in ("admin-token", "envoy-token"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600
    assert control_plane_tokens(state, {}) == tokens  # the next start reads the same ones
    assert not [p for p in state.iterdir() if p.name.startswith(".")]  # no temporary left


def test_an_open_existing_state_dir_is_closed(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    control_plane_tokens(tmp_path, {})
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700


def test_the_environment_overrides_the_files(tmp_path: Path) -> None:
    env = {"PODGATE_ADMIN_TOKEN": "a" * 40, "PODGATE_ENVOY_TOKEN": "e" * 40}
    tokens = control_plane_tokens(tmp_path, env)
    assert (tokens.admin, tokens.envoy) == ("a" * 40, "e" * 40)


def test_tokens_never_show_in_a_repr(tmp_path: Path) -> None:
    tokens = control_plane_tokens(tmp_path, {})
    assert tokens.admin not in repr(tokens) and tokens.envoy not in repr(tokens)


def test_the_cli_reads_the_environment_then_the_state_dir(tmp_path: Path) -> None:
    assert admin_token_for_cli(tmp_path, {}) is None
    made = control_plane_tokens(tmp_path, {}).admin
    assert admin_token_for_cli(tmp_path, {}) == made
    assert admin_token_for_cli(tmp_path, {"PODGATE_ADMIN_TOKEN": "given"}) == "given"


def test_a_token_someone_else_made_first_wins(tmp_path: Path) -> None:
    (tmp_path / "envoy-token").write_text("theirs\n")
    os.chmod(tmp_path / "envoy-token", 0o600)
    assert control_plane_tokens(tmp_path, {}).envoy == "theirs"
