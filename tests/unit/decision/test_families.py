"""The route-family table: well formed, every row reachable, and what others read from it."""

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.families import (
    BELOW,
    FAMILIES,
    ID,
    Family,
    Merge,
)
from control_plane.decision.family_index import owner_prefix
from control_plane.decision.operation import Kind
from control_plane.decision.resources import API_PREFIX, PROJECT_FROM_TOKEN, SPECS
from control_plane.decision.shared.paging import SHARED_LISTS
from control_plane.model import ResourceType, Service

_ROWS = [(family, path) for family in FAMILIES for path in family.paths]


def _example(service: Service, path: str) -> str:
    """A request path the pattern matches."""
    if path.startswith("/"):
        return path.replace("{prefix}", API_PREFIX[service])
    # A tail is shown as one segment: the bare resource may be an earlier row's (an attach).
    segments = [
        "abc-1"
        if segment == ID
        else "x"
        if segment.startswith("{") or segment == BELOW
        else segment
        for segment in path.split("/")
    ]
    project = "" if service in PROJECT_FROM_TOKEN else "p1/"
    return f"/{API_PREFIX[service]}/{project}" + "/".join(segments)


@pytest.mark.parametrize(("family", "path"), _ROWS, ids=[path for _, path in _ROWS])
def test_a_path_is_a_literal_head_then_segments_and_at_most_a_final_tail(
    family: Family, path: str
) -> None:
    if path.startswith("/"):
        assert family.kind is Kind.VERSIONS
        return
    head, *below = path.split("/")
    assert head and not head.startswith("{") and head != BELOW
    assert all(below) and BELOW not in below[:-1]


@pytest.mark.parametrize(("family", "path"), _ROWS, ids=[path for _, path in _ROWS])
def test_every_row_is_what_its_paths_and_methods_classify_as(family: Family, path: str) -> None:
    for method in family.methods:
        op = classify(family.service, method, _example(family.service, path))
        resource_type = getattr(op, "resource_type", None)
        assert (op.kind, resource_type) == (family.kind, family.resource_type), method


def test_every_kind_has_a_row() -> None:
    assert {family.kind for family in FAMILIES} == set(Kind) - {Kind.BAD_METHOD, Kind.UNKNOWN}


@pytest.mark.parametrize("resource_type", list(ResourceType))
def test_every_pod_owned_type_is_created_listed_and_routed_by_owner(
    resource_type: ResourceType,
) -> None:
    spec = SPECS[resource_type]
    rows = [family for family in FAMILIES if family.resource_type is resource_type]
    own = [family for family in rows if family.service is spec.service]
    # Other services name a type only as Nova's proxies to Cinder.
    assert {family.service for family in rows} - {spec.service} <= {Service.COMPUTE}
    kinds = {family.kind: family for family in own}
    assert Kind.ROUTED in kinds
    assert Kind.LIST in kinds or Kind.OFFSET_LIST in kinds
    # Cinder's messages are the pods' own: no create.
    if resource_type is not ResourceType.MESSAGE:
        assert kinds[Kind.CREATE].paths[0] == spec.collection
    item = {f"{spec.collection}/{ID}/{BELOW}", f"{spec.collection}/{ID}"}
    assert item & set(kinds[Kind.ROUTED].paths)


def test_creates_and_only_creates_say_what_their_placement_follows() -> None:
    for family in FAMILIES:
        assert (family.follows is not None) == (family.kind is Kind.CREATE), family


def test_no_row_takes_a_get_below_an_owner_prefix_before_the_owner() -> None:
    """The fast path sends every GET below `{collection}/{id}/` to the owner."""
    for at, family in enumerate(FAMILIES):
        if family.kind is not Kind.ROUTED:
            continue
        for path in family.paths:
            head = path.split("/")[0]
            for earlier in FAMILIES[:at]:
                below_owner = [p for p in earlier.paths if p.startswith(f"{head}/{ID}")]
                assert not (below_owner and "GET" in earlier.methods), earlier


@pytest.mark.parametrize(
    ("resource_type", "project_id", "resource_id", "prefix"),
    [
        (ResourceType.SERVER, "p1", "abc-1", "/v2.1/p1/servers/abc-1/"),
        (ResourceType.BACKUP, "demo_project", "b1", "/v3/demo_project/backups/b1/"),
        # Nova's os-volumes proxy routes volumes too; Envoy's table keeps Cinder's own path.
        (ResourceType.VOLUME, "p1", "v1", "/v3/p1/volumes/v1/"),
        (ResourceType.SNAPSHOT, "p1", "s1", "/v3/p1/snapshots/s1/"),
        (ResourceType.SERVER_GROUP, "p1", "g1", None),
        (ResourceType.SERVER, "p1", "detail", None),
        (ResourceType.VOLUME, "p1", "a_b", None),
        (ResourceType.VOLUME, "p.1", "v1", None),
        (ResourceType.SNAPSHOT, "p1", "s" * 65, None),
    ],
)
def test_owner_prefix_takes_only_ids_classify_routes(
    resource_type: ResourceType, project_id: str, resource_id: str, prefix: str | None
) -> None:
    assert owner_prefix(resource_type, project_id, resource_id) == prefix
    if prefix is not None:
        op = classify(SPECS[resource_type].service, "GET", prefix + "anything")
        assert (op.kind, op.resource_id) == (Kind.ROUTED, resource_id)


def test_admin_views_of_nova_and_cinder_are_merged_never_tagged_by_pod() -> None:
    rows = {
        (family.service, path.split("/")[0]): family.merge
        for family in FAMILIES
        if family.kind is Kind.VIEWS and "GET" in family.methods
        for path in family.paths
    }
    assert rows[(Service.COMPUTE, "os-services")] is Merge.INVENTORY
    assert rows[(Service.VOLUME, "os-services")] is Merge.INVENTORY
    assert rows[(Service.VOLUME, "scheduler-stats")] is Merge.INVENTORY


def test_shared_rows_are_the_collections_with_a_list_merge_rule() -> None:
    shared = {
        (family.service, path.split("/")[0])
        for family in FAMILIES
        if family.kind is Kind.SHARED
        for path in family.paths
    }
    assert shared == set(SHARED_LISTS)
