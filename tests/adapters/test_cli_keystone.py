"""With OS_* credentials the CLI asks Keystone for a token; Keystone out of reach is one line
and exit 1, before the control plane is called."""

import socket

import pytest

from control_plane.cli import main


def test_keystone_out_of_reach_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PODGATE_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("OS_TOKEN", raising=False)
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv("OS_AUTH_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/v3")
        monkeypatch.setenv("OS_USERNAME", "admin")
        monkeypatch.setenv("OS_PASSWORD", "s3cret")
        code = main(["--server", "unix:/nonexistent/podgate.sock", "pod", "list"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("error: cannot get a Keystone token: ") and err.count("\n") == 1
    assert "s3cret" not in err
