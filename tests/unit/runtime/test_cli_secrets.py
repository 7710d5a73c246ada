"""Secrets never on a command line: `--db-url` with a password and `--os-token` are refused."""

import pytest

from control_plane.cli import main


@pytest.mark.parametrize("command", ["serve", "up", "envoy"])
def test_a_db_url_with_a_password_is_refused_with_where_it_goes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--db-url", "postgresql+asyncpg://podgate:s3cret@db/podgate"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "PODGATE_DB_URL" in err and "s3cret" not in err.replace("--db-url", "")


def test_a_db_url_without_a_password_is_kept() -> None:
    from control_plane.runtime.cli import _db_url

    assert (
        _db_url("postgresql+asyncpg://podgate@db/podgate")
        == "postgresql+asyncpg://podgate@db/podgate"
    )


def test_a_keystone_token_is_not_taken_from_argv(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--os-token", "gAAAA-secret", "pod", "list"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "OS_TOKEN" in err and "gAAAA-secret" not in err
