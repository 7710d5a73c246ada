"""[control_plane] advertise_host: the address Envoy is given for this host's decision services."""

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from control_plane.runtime.envoy import write_bootstrap
from control_plane.settings import Settings, is_wildcard, load_settings


def test_the_listening_host_is_advertised_unless_told_otherwise() -> None:
    assert Settings().control_plane.advertised_host == "127.0.0.1"
    given = Settings(control_plane={"host": "10.0.0.5"})
    assert given.control_plane.advertised_host == "10.0.0.5"
    told = Settings(control_plane={"host": "0.0.0.0", "advertise_host": "control-plane"})
    assert told.control_plane.advertised_host == "control-plane"


def test_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PODGATE_CONTROL_PLANE_HOST", "0.0.0.0")
    monkeypatch.setenv("PODGATE_CONTROL_PLANE_ADVERTISE_HOST", "cp1.example.net")
    monkeypatch.setenv("PODGATE_DECISION_WORKERS", "2")
    settings = load_settings(state_dir=tmp_path)
    assert settings.control_plane.host == "0.0.0.0"
    assert settings.control_plane.advertised_host == "cp1.example.net"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", "0:0::0"])
def test_workers_on_a_wildcard_host_need_an_advertised_one(host: str) -> None:
    with pytest.raises(ValidationError, match="PODGATE_CONTROL_PLANE_ADVERTISE_HOST"):
        Settings(control_plane={"host": host}, decision={"workers": 2})


def test_without_workers_a_wildcard_host_hands_envoy_nothing_and_is_accepted() -> None:
    settings = Settings(control_plane={"host": "0.0.0.0"})
    assert settings.control_plane.advertised_host == "0.0.0.0"


def test_a_wildcard_is_no_address_to_advertise() -> None:
    with pytest.raises(ValidationError, match=re.escape("advertise_host '0.0.0.0' is a wildcard")):
        Settings(control_plane={"advertise_host": "0.0.0.0"})


@pytest.mark.parametrize(
    ("host", "wildcard"),
    [("0.0.0.0", True), ("::", True), ("", True), ("127.0.0.1", False), ("control-plane", False)],
)
def test_what_counts_as_a_wildcard(host: str, wildcard: bool) -> None:
    assert is_wildcard(host) is wildcard


def test_tls_is_checked_for_the_advertised_name_unless_one_is_given() -> None:
    advertised = Settings(control_plane={"host": "0.0.0.0", "advertise_host": "cp1"})
    assert advertised.control_plane.server_name == "cp1"
    named = Settings(
        control_plane={"host": "0.0.0.0", "advertise_host": "cp1", "tls_server_name": "gw"}
    )
    assert named.control_plane.server_name == "gw"


def test_envoys_bootstrap_dials_the_advertised_host(tmp_path: Path) -> None:
    settings = Settings(
        state_dir=tmp_path, control_plane={"host": "0.0.0.0", "advertise_host": "control-plane"}
    )
    bootstrap = yaml.safe_load(write_bootstrap(settings).read_text())
    clusters = bootstrap["static_resources"]["clusters"]
    addresses = [
        endpoint["endpoint"]["address"]["socket_address"]
        for cluster in clusters
        for locality in cluster["load_assignment"]["endpoints"]
        for endpoint in locality["lb_endpoints"]
    ]
    assert {a["address"] for a in addresses} == {"control-plane"}
