"""Admin input checks: a table of good and bad inputs."""

import pytest

from control_plane.admin import validate
from control_plane.admin.convert import PodChanges
from control_plane.errors import BadRequest
from control_plane.model import Pod

GOOD_NAMES = ["pod1", "RegionOne", "a", "pod-1.dc_2", "9lives", "x" * 255]
BAD_NAMES = ["", "-pod", ".pod", "_pod", "pod one", "pod/1", "pöd", "pod\n", "x" * 256]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_pod_name_passes(name: str) -> None:
    validate.check_pod_name(name)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_pod_name_is_rejected(name: str) -> None:
    with pytest.raises(BadRequest, match="pod name"):
        validate.check_pod_name(name)


GOOD_URLS = [
    "http://10.0.0.1:8774/v2.1",
    "https://nova.example.com/v2.1",
    "http://h:8776/v3/$(project_id)s",
    "http://h:8776/v3/$(tenant_id)s",
    "http://[::1]:8774/v2.1",
    "http://h",
    "http://h:8774",
]
BAD_URLS = [
    ("ftp://h/v2.1", "http"),
    ("h:8774/v2.1", "http"),
    ("http:///v2.1", "no host"),
    ("http://h:notaport/v2.1", "not a valid URL"),
    ("http://h:99999/v2.1", "not a valid URL"),
    ("http://h/v2.1?x=1", "query"),
    ("http://h/v2.1#frag", "fragment"),
    ("http://h/v2 .1", "spaces"),
    ("http://h/v2.1\n", "control"),
    ("http://user:secret@h/v2.1", "credentials"),
    ("http://h/" + "a" * 1024, "longer than 1024"),
    ("", "http"),
]


def _pod(**fields: object) -> Pod:
    base: dict[str, object] = {"name": "pod1", "az_name": "az1"}
    return Pod(**(base | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_catalog_style_url_passes(url: str) -> None:
    validate.check_pod(_pod(endpoints={"compute": url}))


@pytest.mark.parametrize(("url", "reason"), BAD_URLS, ids=[u for u, _ in BAD_URLS])
def test_bad_url_is_rejected_with_reason(url: str, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        validate.check_pod(_pod(endpoints={"compute": url}))


def test_minimal_pod_passes() -> None:
    validate.check_pod(_pod())


def test_full_pod_passes() -> None:
    validate.check_pod(
        _pod(
            az_name="Zone A (east)",
            pod_az_name="nova",
            dc_name="dc-1",
            endpoints={"compute": "http://h:8774/v2.1", "volumev3": "http://h:8776/v3"},
        )
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"az_name": ""}, "az_name is required"),
        ({"az_name": "a" * 256}, "az_name is longer"),
        ({"az_name": "az\x00"}, "az_name .* control"),
        ({"az_name": " az"}, "az_name .* spaces"),
        ({"pod_az_name": "nova\t"}, "pod_az_name .* control"),
        ({"dc_name": "d" * 256}, "dc_name is longer"),
        ({"endpoints": {"image": "http://h:9292"}}, "service type 'image'"),
        ({"name": "bad name"}, "pod name"),
    ],
)
def test_bad_pod_field_is_rejected(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        validate.check_pod(_pod(**fields))


def test_update_may_clear_optional_labels() -> None:
    validate.check_pod_changes("pod1", PodChanges(pod_az_name="", dc_name=""))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (PodChanges(az_name=""), "az_name is required"),
        (PodChanges(dc_name="dc\x07"), "dc_name .* control"),
        (PodChanges(set_endpoints={"compute": "gopher://h"}), "http"),
        (PodChanges(remove_endpoints=("image",)), "service type 'image'"),
        (
            PodChanges(set_endpoints={"compute": "http://h"}, remove_endpoints=("compute",)),
            "both set and removed",
        ),
    ],
)
def test_bad_update_is_rejected(changes: PodChanges, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        validate.check_pod_changes("pod1", changes)


def test_update_checks_the_pod_name() -> None:
    with pytest.raises(BadRequest, match="pod name"):
        validate.check_pod_changes("", PodChanges())


@pytest.mark.parametrize("project_id", ["abc123", "0f1e2d3c4b5a", "my_project-1"])
def test_good_binding_passes(project_id: str) -> None:
    validate.check_binding(project_id, "pod1")


@pytest.mark.parametrize(
    ("project_id", "pod_name", "reason"),
    [
        ("", "pod1", "project_id is required"),
        ("p" * 256, "pod1", "project_id is longer"),
        ("proj id", "pod1", "project_id 'proj id'"),
        ("proj.id", "pod1", "project_id 'proj.id'"),
        ("proj", "", "pod name is required"),
        ("proj", "-pod", "pod name"),
    ],
)
def test_bad_binding_is_rejected(project_id: str, pod_name: str, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        validate.check_binding(project_id, pod_name)


@pytest.mark.parametrize(("requested", "size"), [(0, 100), (1, 1), (250, 250), (1000, 1000)])
def test_page_size_defaults_and_passes(requested: int, size: int) -> None:
    assert validate.page_size(requested) == size


def test_page_size_is_capped_at_the_maximum() -> None:
    assert validate.page_size(5000) == 1000


def test_negative_page_size_is_rejected() -> None:
    with pytest.raises(BadRequest, match="page_size"):
        validate.page_size(-1)


@pytest.mark.parametrize("value", ["", "x" * 256])
def test_required_identifier_is_present_and_short(value: str) -> None:
    with pytest.raises(BadRequest, match="binding id"):
        validate.check_required("binding id", value)
