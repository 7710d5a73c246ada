"""Certificate files: read only as a matching pair, and re-read by gRPC only when they change."""

from pathlib import Path

import pytest

from control_plane.runtime.grpc_tls import _Reload
from control_plane.runtime.tls_files import TlsFilesError, read_pair, stamp
from control_plane.settings import Settings
from tests.fixtures.certs import TestCA


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    return TestCA.create(tmp_path)


def test_a_matching_pair_is_read(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, "c")
    assert read_pair(pair.cert, pair.key) == (pair.cert.read_bytes(), pair.key.read_bytes())


def test_a_key_of_another_certificate_is_refused(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, "c")
    other = ca.issue(tmp_path, "other")
    with pytest.raises(TlsFilesError, match="is not the key of"):
        read_pair(pair.cert, other.key)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TlsFilesError, match="cannot read"):
        read_pair(tmp_path / "c.pem", tmp_path / "k.pem")


def test_a_replaced_file_has_another_stamp(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, "c")
    before = stamp(pair.cert, pair.key)
    assert stamp(pair.cert, pair.key) == before
    ca.issue(tmp_path, "c")
    assert stamp(pair.cert, pair.key) != before


def test_grpc_gets_a_new_pair_once_and_keeps_the_last_good_one(ca: TestCA, tmp_path: Path) -> None:
    pair = ca.issue(tmp_path, "c")
    reload = _Reload(pair.cert, pair.key)
    assert reload() is None  # unchanged: nothing read
    ca.issue(tmp_path, "c")
    assert reload() is not None
    assert reload() is None
    pair.key.write_bytes(b"not a key")
    assert reload() is None  # broken: the last good pair stays


def test_a_certificate_without_its_key_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="both a certificate file and a key file"):
        Settings(control_plane={"tls_cert_file": "/c.pem"})
    with pytest.raises(ValueError, match="both a certificate file and a key file"):
        Settings(envoy={"admin_rest_tls_key_file": "/k.pem"})


def test_clients_trust_the_ca_file_or_else_the_certificate_itself() -> None:
    own = Settings(control_plane={"tls_cert_file": "/c.pem", "tls_key_file": "/k.pem"})
    assert own.control_plane.client_ca_file == Path("/c.pem")
    assert own.control_plane.server_name == "127.0.0.1"
    assert Settings().control_plane.client_ca_file is None
