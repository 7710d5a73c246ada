"""Envoy shows its token on every ext_proc stream, where the decision service checks it."""

from envoy.extensions.filters.http.ext_proc.v3 import ext_proc_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)

from control_plane.model import ENVOY_TOKEN_METADATA, SERVICE_METADATA
from control_plane.xds.resources import LISTENER_TYPE
from control_plane.xds.translate import XdsInputs, translate

_INPUTS = dict(
    pods=(),
    listen_host="127.0.0.1",
    compute_port=1,
    volume_port=2,
    network_port=3,
    connect_timeout_s=1.0,
    upstream_timeout_s=1.0,
    ext_proc_message_timeout_ms=100,
)


def _ext_proc_metadata(envoy_token: str) -> dict[str, dict[str, str]]:
    """Per listener, the initial metadata of its ext_proc filter's gRPC service."""
    snapshot = translate(XdsInputs(**_INPUTS, envoy_token=envoy_token))
    found = {}
    for name, listener in snapshot.resources[LISTENER_TYPE].items():
        manager = hcm.HttpConnectionManager()
        listener.filter_chains[0].filters[0].typed_config.Unpack(manager)
        for http_filter in manager.http_filters:
            if http_filter.name == "envoy.filters.http.ext_proc":
                config = ext_proc_pb2.ExternalProcessor()
                http_filter.typed_config.Unpack(config)
                metadata = config.grpc_service.initial_metadata
                found[name] = {header.key: header.value for header in metadata}
    return found


def test_every_ext_proc_stream_carries_the_envoy_token() -> None:
    found = _ext_proc_metadata("t0ken")
    assert found and all(m[ENVOY_TOKEN_METADATA] == "t0ken" for m in found.values())
    assert all(SERVICE_METADATA in m for m in found.values())


def test_no_token_configured_adds_no_header() -> None:
    assert all(ENVOY_TOKEN_METADATA not in m for m in _ext_proc_metadata("").values())


def test_the_token_stays_out_of_the_inputs_repr() -> None:
    assert "t0ken" not in repr(XdsInputs(**_INPUTS, envoy_token="t0ken"))
