"""relink: a pod's hrefs become the gateway's; other URLs stay as they are."""

import pytest

from control_plane.decision.relink import pod_links, relinks

PREFIXED = pod_links("http://10.0.0.2/compute/v2.1", "https://gw:19998")


@pytest.mark.parametrize(
    ("href", "shown"),
    [
        ("http://10.0.0.2/compute/v2.1/p/servers/s", "https://gw:19998/v2.1/p/servers/s"),
        ("http://10.0.0.2/compute/p/servers/s", "https://gw:19998/p/servers/s"),
        ("http://gw:19998/compute/v2.1/p/servers/s", "https://gw:19998/v2.1/p/servers/s"),
        (
            "http://10.0.0.2/compute/v2.1/p/servers?marker=s",
            "https://gw:19998/v2.1/p/servers?marker=s",
        ),
        ("http://10.0.0.9/compute/v2.1/p/servers/s", "http://10.0.0.9/compute/v2.1/p/servers/s"),
        ("http://10.0.0.2/image/v2/images/i", "http://10.0.0.2/image/v2/images/i"),
        ("https://docs.openstack.org/", "https://docs.openstack.org/"),
    ],
)
def test_hrefs_naming_the_pods_api_point_at_the_gateway(href: str, shown: str) -> None:
    assert PREFIXED.href(href) == shown


def test_a_pod_at_the_gateways_paths_that_ignored_the_proxy_headers_is_relinked_too() -> None:
    links = pod_links("http://10.0.0.1:8774/v2.1", "http://gw:19998")
    assert links.href("http://10.0.0.1:8774/v2.1/p/servers/s") == "http://gw:19998/v2.1/p/servers/s"


def test_a_body_without_pod_links_is_left_alone() -> None:
    assert PREFIXED.body(b'{"server": {"links": [{"href": "http://x/y"}]}}') is None
    assert PREFIXED.body(b"not json") is None


@pytest.mark.parametrize(
    ("endpoint", "differs"),
    [
        ("http://h:8774/v2.1", False),
        ("http://h:8776/v3/$(project_id)s", False),
        ("http://h/compute/v2.1", True),
        ("http://h/volume/v3/$(project_id)s", True),
    ],
)
def test_only_pods_under_a_path_prefix_need_python(endpoint: str, differs: bool) -> None:
    assert relinks(endpoint) is differs
