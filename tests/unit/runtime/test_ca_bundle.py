"""Which CA bundle pods are checked against: configured, else the system's, found as a file."""

import ssl
from pathlib import Path

import pytest

from control_plane.runtime import ca_bundle
from control_plane.runtime.ca_bundle import decision_pod_ca_file, envoy_pod_ca_file
from control_plane.settings import Settings


def test_configured_bundles_win_and_the_decision_service_defaults_to_envoys() -> None:
    settings = Settings(envoy={"pod_ca_file": "/envoy.pem"})
    assert envoy_pod_ca_file(settings) == "/envoy.pem"
    assert decision_pod_ca_file(settings) == "/envoy.pem"
    settings = Settings(envoy={"pod_ca_file": "/envoy.pem"}, decision={"pod_ca_file": "/own.pem"})
    assert decision_pod_ca_file(settings) == "/own.pem"


def test_the_system_bundle_is_a_file_that_exists() -> None:
    assert Path(envoy_pod_ca_file(Settings())).is_file()


def test_without_an_openssl_default_a_known_path_or_certifi_serves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_default = ssl.DefaultVerifyPaths(None, None, "SSL_CERT_FILE", "", "SSL_CERT_DIR", "")
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: no_default)
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("")
    monkeypatch.setattr(ca_bundle, "_KNOWN_BUNDLES", (str(tmp_path / "absent"), str(bundle)))
    assert ca_bundle.system_ca_bundle() == str(bundle)
    monkeypatch.setattr(ca_bundle, "_KNOWN_BUNDLES", ())
    assert ca_bundle.system_ca_bundle().endswith("cacert.pem")  # certifi's
