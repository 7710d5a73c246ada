"""The client address per-client fairness counts by, from the headers Envoy passes on (pure)."""

import pytest

from control_plane.identity.clients import client_address


@pytest.mark.parametrize(
    ("headers", "address"),
    [
        # What Envoy 1.40 sends with use_remote_address (the flood e2e test relies on it)
        ({"x-envoy-external-address": "127.0.0.2", "x-forwarded-for": "127.0.0.2"}, "127.0.0.2"),
        # a loopback peer: Envoy puts the host's own address into x-forwarded-for
        ({"x-envoy-external-address": "127.0.0.1", "x-forwarded-for": "192.0.2.2"}, "127.0.0.1"),
        ({"x-forwarded-for": "9.9.9.9,203.0.113.7"}, "203.0.113.7"),
        ({"x-forwarded-for": "9.9.9.9, 203.0.113.7"}, "203.0.113.7"),
        ({"x-envoy-external-address": "2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2::/64"),
        ({"x-envoy-external-address": "2001:db8:1:2:ffff::1"}, "2001:db8:1:2::/64"),
        ({"x-envoy-external-address": "::ffff:198.51.100.4"}, "198.51.100.4"),
        ({"x-envoy-external-address": "not an address"}, ""),
        ({}, ""),
    ],
)
def test_client_address(headers: dict[str, str], address: str) -> None:
    assert client_address(headers) == address
