"""The pure parts of shared-object lists: the client's paging, the ordered merge, the page cut."""

from control_plane.decision.shared.paging import (
    MAX_LIMIT,
    SHARED_LISTS,
    Order,
    Paging,
    merge_in_order,
    next_query,
    paging,
    take_page,
)
from control_plane.model import Service

FLAVORS = SHARED_LISTS[(Service.COMPUTE, "flavors")]
KEYPAIRS = SHARED_LISTS[(Service.COMPUTE, "os-keypairs")]
TYPES = SHARED_LISTS[(Service.VOLUME, "types")]


def _flavors(*ids: str) -> list[dict[str, str]]:
    return [{"id": flavor_id, "name": f"n{flavor_id}"} for flavor_id in ids]


def _ids(items) -> list[str]:
    return [item["id"] for item in items]


def test_paging_takes_limit_and_marker_out_of_what_the_pods_get() -> None:
    client = paging("minRam=512&limit=2&marker=3&sort_dir=desc")
    assert client == Paging(2, "3", (("minRam", "512"), ("sort_dir", "desc")))
    assert client.pod_query == "minRam=512&sort_dir=desc"
    assert client.size == 2


def test_page_sizes_follow_the_apis_max_limit_and_zero() -> None:
    assert paging("").size == MAX_LIMIT
    assert paging("limit=5000").size == MAX_LIMIT
    assert paging("limit=0").size == 0


def test_a_limit_or_marker_the_pods_refuse_is_left_to_them() -> None:
    assert paging("limit=-1") is None
    assert paging("limit=abc") is None
    assert paging("marker=") is None


def test_the_next_query_sorts_parameters_and_replaces_the_marker_as_nova_does() -> None:
    assert next_query("marker=1&limit=2&is_public=None", "7") == ("is_public=None&limit=2&marker=7")


def test_lists_holding_the_same_objects_merge_into_that_list() -> None:
    ids = ["1", "10", "2", "42", "c1"]
    merged = merge_in_order([_flavors(*ids), _flavors(*ids)], FLAVORS.identity)
    assert _ids(merged) == ids


def test_the_merge_keeps_every_pods_order_and_the_first_pods_copy() -> None:
    first = [{"id": "1", "name": "first"}, *_flavors("3", "5")]
    merged = merge_in_order([first, _flavors("1", "2", "3", "4", "5")], FLAVORS.identity)
    assert _ids(merged) == ["1", "2", "3", "4", "5"]
    assert merged[0]["name"] == "first"


def test_objects_only_some_pods_hold_go_by_the_pods_sort_key() -> None:
    order = Order(lambda item: item["id"])
    merged = merge_in_order([_flavors("1", "9"), _flavors("1", "5")], FLAVORS.identity, order)
    assert _ids(merged) == ["1", "5", "9"]
    backwards = Order(lambda item: item["id"], descending=True)
    merged = merge_in_order([_flavors("9", "1"), _flavors("5", "1")], FLAVORS.identity, backwards)
    assert _ids(merged) == ["9", "5", "1"]


def test_without_a_known_key_the_first_pods_head_goes_first() -> None:
    merged = merge_in_order([_flavors("9"), _flavors("5")], FLAVORS.identity)
    assert _ids(merged) == ["9", "5"]


def test_pods_that_disagree_still_give_every_object_once() -> None:
    merged = merge_in_order([_flavors("1", "2"), _flavors("2", "1")], FLAVORS.identity)
    assert _ids(merged) == ["1", "2"]


def test_the_sort_key_is_known_only_where_the_items_show_it() -> None:
    assert FLAVORS.order(paging("")) is not None
    assert FLAVORS.order(paging("sort_key=flavorid&sort_dir=desc")).descending
    assert FLAVORS.order(paging("sort_key=memory_mb")) is None
    by_name = FLAVORS.order(paging("sort_key=name&sort_dir=desc"))
    assert by_name.descending and by_name.key({"id": "9", "name": "b"}) == (False, "b")
    cinder = TYPES.order(paging("sort=name:asc"))
    assert not cinder.descending and TYPES.order(paging("sort=name")).descending
    assert KEYPAIRS.order(paging("sort_dir=desc")).descending is False
    assert TYPES.order(paging("")) is None


def test_a_full_page_has_a_next_marker_and_a_short_one_has_none() -> None:
    items = _flavors("1", "2", "3")
    aliases = {item["id"]: item["id"] for item in items}
    full = take_page(items, paging("limit=2"), FLAVORS, aliases)
    assert (_ids(full.items), full.next_marker) == (["1", "2"], "2")
    rest = take_page(items, paging("limit=2&marker=2"), FLAVORS, aliases)
    assert (_ids(rest.items), rest.next_marker) == (["3"], None)
    # Nova links a page that is exactly full, even when nothing follows it.
    last = take_page(items, paging("limit=1&marker=2"), FLAVORS, aliases)
    assert (_ids(last.items), last.next_marker) == (["3"], "3")
    assert take_page(items, paging("limit=2&marker=9"), FLAVORS, aliases) is None


def test_a_volume_type_marker_may_be_any_pods_own_id() -> None:
    first = [{"id": "a-gold", "name": "gold"}, {"id": "a-iron", "name": "iron"}]
    second = [{"id": "b-gold", "name": "gold"}, {"id": "b-iron", "name": "iron"}]
    merged = merge_in_order([first, second], TYPES.identity)
    aliases = {item["id"]: item["name"] for item in first + second}
    page = take_page(merged, paging("marker=b-gold"), TYPES, aliases)
    assert _ids(page.items) == ["a-iron"]


def test_key_pairs_page_from_microversion_2_35_and_are_found_by_name() -> None:
    assert not KEYPAIRS.pages(Service.COMPUTE, {})
    assert not KEYPAIRS.pages(Service.COMPUTE, {"x-openstack-nova-api-version": "2.34"})
    assert KEYPAIRS.pages(Service.COMPUTE, {"openstack-api-version": "compute 2.35"})
    wrapped = [{"keypair": {"name": name}} for name in ("a", "b")]
    page = take_page(wrapped, paging("limit=1&marker=a"), KEYPAIRS, {"a": "a", "b": "b"})
    assert page.items == ({"keypair": {"name": "b"}},) and page.next_marker == "b"


def test_a_page_document_links_only_where_the_api_does() -> None:
    page = take_page(_flavors("1", "2"), paging("limit=1"), FLAVORS, {"1": "1", "2": "2"})
    assert page.document(FLAVORS, lambda marker: f"next:{marker}") == {
        "flavors": [{"id": "1", "name": "n1"}],
        "flavors_links": [{"rel": "next", "href": "next:1"}],
    }
    assert "volume_types_links" not in page.document(TYPES, lambda marker: marker)
