"""The admin REST listener binds where its own setting says, not where the public APIs do."""

from importlib.resources import files

from control_plane.settings import Settings
from control_plane.xds.admin_rest import ADMIN_REST_LISTENER
from control_plane.xds.resources import LISTENER_TYPE
from control_plane.xds.translate import XdsInputs, translate

_DESCRIPTORS = files("podgate_api").joinpath("descriptors.pb").read_bytes()


def _addresses(**given: object) -> dict[str, str]:
    inputs = XdsInputs(
        pods=(),
        listen_host="0.0.0.0",
        compute_port=1,
        volume_port=2,
        network_port=3,
        connect_timeout_s=1.0,
        upstream_timeout_s=1.0,
        ext_proc_message_timeout_ms=100,
        admin_rest_port=3,
        admin_rest_descriptors=_DESCRIPTORS,
        **given,
    )
    listeners = translate(inputs).resources[LISTENER_TYPE]
    return {name: listener.address.socket_address.address for name, listener in listeners.items()}


def test_public_listeners_on_every_interface_leave_admin_rest_on_loopback() -> None:
    addresses = _addresses()
    assert addresses.pop(ADMIN_REST_LISTENER) == "127.0.0.1"
    assert set(addresses.values()) == {"0.0.0.0"}


def test_admin_rest_moves_only_when_asked() -> None:
    assert _addresses(admin_rest_host="10.1.2.3")[ADMIN_REST_LISTENER] == "10.1.2.3"


def test_the_setting_defaults_to_loopback() -> None:
    assert Settings().envoy.admin_rest_host == "127.0.0.1"
