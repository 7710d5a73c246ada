"""Listener certificates: read at start (unusable ones stop it), a changed pair republished."""

import asyncio
from pathlib import Path

import pytest

from control_plane.metrics import Metrics
from control_plane.model import Pod
from control_plane.runtime.listener_certs import ListenerCerts
from control_plane.runtime.tls_files import TlsFilesError
from control_plane.settings import EnvoySettings, Settings
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.fast_path_set import FastPathSet
from control_plane.xds.resources import CLUSTER_TYPE, SECRET_TYPE
from control_plane.xds.runner import Secrets, XdsRunner
from control_plane.xds.tls import LISTENER_SECRET
from tests.fixtures.certs import TestCA

POD = Pod(name="pod1", az_name="az1", endpoints={"compute": "http://127.0.0.1:8774/v2.1"})


async def test_listener_certificates_are_pushed_and_a_changed_pair_republished(
    tmp_path: Path,
) -> None:
    ca = TestCA.create(tmp_path)
    pair = ca.issue(tmp_path, "listener")
    envoy = EnvoySettings(
        tls_cert_file=pair.cert, tls_key_file=pair.key, tls_reload_interval_s=0.01
    )
    cache = SnapshotCache()
    certs = ListenerCerts(envoy)
    secrets = Secrets(certs=certs.current)
    runner = XdsRunner(
        Settings(envoy=envoy), cache, FastPathSet(max_entries=10), Metrics(), secrets
    )
    certs.watch(runner.certs_changed)
    try:
        runner.pods_changed((POD,))
        first = cache.current
        assert first is not None
        secret = first.resources[SECRET_TYPE][LISTENER_SECRET]
        assert secret.tls_certificate.certificate_chain.inline_bytes == pair.cert.read_bytes()
        ca.issue(tmp_path, "listener")
        second = await asyncio.wait_for(cache.wait_for_change(first), 5)
        assert second.version(SECRET_TYPE) != first.version(SECRET_TYPE)
        assert second.version(CLUSTER_TYPE) == first.version(CLUSTER_TYPE)
    finally:
        certs.close()
        runner.close()


async def test_unusable_listener_certificates_stop_the_start(tmp_path: Path) -> None:
    envoy = EnvoySettings(tls_cert_file=tmp_path / "c.pem", tls_key_file=tmp_path / "k.pem")
    with pytest.raises(TlsFilesError, match="cannot read"):
        ListenerCerts(envoy)
