"""version_docs: the gateway's documents in Nova's and Cinder's shapes, and reading a pod's."""

import json

import pytest

from control_plane.decision.versions.documents import document, pod_window
from control_plane.decision.versions.microversions import Window
from control_plane.endpoints import document_urls, root_url, version_url
from control_plane.model import Service
from podsim.versions import VersionRange, cinder_versions, nova_version, nova_versions

COMPUTE, VOLUME = Service.COMPUTE, Service.VOLUME
ORIGIN = "http://gw:19998"


def test_compute_root_lists_legacy_v2_0_first_then_v2_1_with_the_window() -> None:
    status, body = document(COMPUTE, "/", ORIGIN, Window((2, 1), (2, 90)))
    assert status == 200
    assert json.loads(body) == {
        "versions": [
            {
                "id": "v2.0",
                "status": "DEPRECATED",
                "version": "",
                "min_version": "",
                "updated": "2025-07-04T12:00:00Z",
                "links": [{"rel": "self", "href": "http://gw:19998/v2/"}],
            },
            {
                "id": "v2.1",
                "status": "CURRENT",
                "version": "2.90",
                "min_version": "2.1",
                "updated": "2013-07-23T11:33:21Z",
                "links": [{"rel": "self", "href": "http://gw:19998/v2.1/"}],
            },
        ]
    }


def test_every_listed_compute_version_has_a_document_with_the_same_self_link() -> None:
    window = Window((2, 1), (2, 90))
    _, body = document(COMPUTE, "/", ORIGIN, window)
    for listed in json.loads(body)["versions"]:
        (link,) = listed["links"]
        path = link["href"].removeprefix(ORIGIN)
        status, own = document(COMPUTE, path, ORIGIN, window)
        version = json.loads(own)["version"]
        assert (status, version["id"], version["links"][0]) == (200, listed["id"], link)


def test_compute_v2_1_document_has_media_types_and_described_by() -> None:
    status, body = document(COMPUTE, "/v2.1/", ORIGIN, Window((2, 1), (2, 90)))
    version = json.loads(body)["version"]
    assert status == 200
    assert (version["id"], version["min_version"], version["version"]) == ("v2.1", "2.1", "2.90")
    assert version["links"][0] == {"rel": "self", "href": "http://gw:19998/v2.1/"}
    assert version["links"][1]["rel"] == "describedby"
    assert version["media-types"][0]["type"].startswith("application/vnd.openstack.compute+json")


@pytest.mark.parametrize(("remainder", "status"), [("/", 300), ("/v3/", 200)])
def test_volume_documents_list_v3_0_and_the_root_is_multiple_choices(remainder, status) -> None:
    answered, body = document(VOLUME, remainder, "http://gw:19997", Window((3, 0), (3, 60)))
    (version,) = json.loads(body)["versions"]
    assert answered == status
    assert (version["id"], version["min_version"], version["version"]) == ("v3.0", "3.0", "3.60")
    assert {"rel": "self", "href": "http://gw:19997/v3/"} in version["links"]


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://h:8774/v2.1", "http://h:8774/v2.1/"),
        ("http://h:8774/v2.1/", "http://h:8774/v2.1/"),
        ("http://h:8774/v2.1/$(tenant_id)s", "http://h:8774/v2.1/"),
        ("http://h/compute/v2.1", "http://h/compute/v2.1/"),
        ("http://h:8776/v3/%(project_id)s", "http://h:8776/v3/"),
        ("https://h/volume/v3/$(project_id)s/", "https://h/volume/v3/"),
        ("http://h:8776", "http://h:8776/"),
    ],
)
def test_a_pods_version_document_is_its_endpoint_cut_after_the_version(endpoint, url) -> None:
    assert version_url(endpoint) == url


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://h:8776/v3/$(project_id)s", "http://h:8776/"),
        ("http://h:8774/v2.1", "http://h:8774/"),
        ("http://h:8774/v2/%(tenant_id)s", "http://h:8774/"),
        ("http://h/compute/v2.1/", "http://h/compute/"),
        ("https://h/volume/v3/$(project_id)s/", "https://h/volume/"),
        ("http://h/api/volume/v3/abc123", "http://h/api/volume/"),
        ("http://h:8776", "http://h:8776/"),
        ("http://h/volume/$(project_id)s", "http://h/volume/"),
    ],
)
def test_a_pods_root_is_its_endpoint_cut_before_the_version(endpoint, url) -> None:
    assert root_url(endpoint) == url


def test_the_root_is_read_first_and_the_version_document_second() -> None:
    assert document_urls("http://h:8776/v3/$(project_id)s") == (
        "http://h:8776/",
        "http://h:8776/v3/",
    )
    assert document_urls("http://h:8776") == ("http://h:8776/",)


def test_real_novas_root_gives_the_v2_1_window() -> None:
    body = b"""{"versions": [
        {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
         "updated": "2011-01-21T11:33:21Z", "links": [{"rel": "self", "href": "http://h/v2/"}]},
        {"id": "v2.1", "status": "CURRENT", "version": "2.96", "min_version": "2.1",
         "updated": "2013-07-23T11:33:21Z", "links": [{"rel": "self", "href": "http://h/v2.1/"}]}
    ]}"""
    assert pod_window(COMPUTE, body) == Window((2, 1), (2, 96))


@pytest.mark.parametrize(
    ("service", "body"),
    [
        (COMPUTE, json.dumps(cinder_versions("http://p")).encode()),
        (VOLUME, json.dumps(nova_versions("http://p")).encode()),
        (VOLUME, json.dumps(nova_version("http://p")).encode()),
        (COMPUTE, b'{"version": {"id": "v3.0", "min_version": "3.0", "version": "3.71"}}'),
    ],
)
def test_another_apis_document_gives_no_window(service: Service, body: bytes) -> None:
    assert pod_window(service, body) is None


def test_a_nova_version_document_gives_its_window() -> None:
    body = json.dumps(nova_version("http://p", VersionRange("2.1", "2.88"))).encode()
    assert pod_window(COMPUTE, body) == Window((2, 1), (2, 88))


def test_a_nova_versions_list_gives_the_v2_1_window() -> None:
    listed = nova_versions("http://p", VersionRange("2.1", "2.79"))
    listed["versions"].insert(0, {"id": "v2.0", "status": "SUPPORTED", "version": ""})
    assert pod_window(COMPUTE, json.dumps(listed).encode()) == Window((2, 1), (2, 79))


def test_a_cinder_versions_list_gives_the_v3_window() -> None:
    body = json.dumps(cinder_versions("http://p", VersionRange("3.0", "3.59"))).encode()
    assert pod_window(VOLUME, body) == Window((3, 0), (3, 59))


@pytest.mark.parametrize(
    "body",
    [
        b"<html>",
        b"[]",
        b'{"versions": "x"}',
        b'{"version": {"id": "v2.1", "version": "", "min_version": ""}}',
        b'{"versions": [{"id": "v2.0", "status": "SUPPORTED"}]}',
    ],
)
def test_a_document_without_a_window_gives_none(body: bytes) -> None:
    assert pod_window(COMPUTE, body) is None
