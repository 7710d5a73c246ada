"""Nova and Cinder dialects (pure): create-body validation, list parameters and filters."""

from datetime import UTC, datetime

import pytest

from podsim import servers, volumes
from podsim.faults import BadRequest, NotFound
from podsim.kind import MAX_LIMIT, NewRecord
from podsim.paging import SortOrder

NEW = NewRecord(
    id="id-1", project_id="p", user_id="u", az="az-sim", pod="pod-a", at=datetime.now(UTC)
)


def q(query: str) -> list[tuple[str, str]]:
    return [tuple(pair.split("=", 1)) for pair in query.split("&") if pair]  # type: ignore[misc]


# --- Nova ---------------------------------------------------------------------------------


def test_nova_default_order_is_created_at_then_uuid_descending() -> None:
    query = servers.list_query([])
    assert query.order == SortOrder(("created_at", "uuid"), ("desc", "desc"))
    assert (query.limit, query.marker, query.filters) == (MAX_LIMIT, None, {})


def test_nova_sorts_by_repeated_sort_key_and_sort_dir() -> None:
    query = servers.list_query(q("sort_key=display_name&sort_dir=asc&sort_key=created_at"))
    assert query.order == SortOrder(("display_name", "created_at", "uuid"), ("asc",) * 3)


def test_nova_drops_ignored_sort_keys_with_their_direction() -> None:
    query = servers.list_query(q("sort_key=id&sort_key=display_name&sort_dir=asc&sort_dir=desc"))
    assert query.order == SortOrder(("display_name", "created_at", "uuid"), ("desc",) * 3)


@pytest.mark.parametrize("key", ["name", "bogus"])
def test_nova_rejects_sort_keys_outside_its_schema(key: str) -> None:
    with pytest.raises(BadRequest, match=f"query parameters sort_key. Value: {key}."):
        servers.list_query([("sort_key", key)])


def test_nova_rejects_an_unknown_sort_direction() -> None:
    with pytest.raises(BadRequest, match="Invalid input received: Unknown sort direction"):
        servers.list_query(q("sort_key=display_name&sort_dir=up"))


@pytest.mark.parametrize(("raw", "limit"), [("5", 5), ("0", 0), ("5000", MAX_LIMIT)])
def test_nova_limit_is_capped_at_the_max_limit(raw: str, limit: int) -> None:
    assert servers.list_query([("limit", raw)]).limit == limit


@pytest.mark.parametrize("raw", ["", "-1", "x", "1.5"])
def test_nova_rejects_a_limit_that_is_not_a_non_negative_integer(raw: str) -> None:
    with pytest.raises(BadRequest, match="query parameters limit"):
        servers.list_query([("limit", raw)])


def test_nova_name_and_zone_filters_are_regexes_and_status_ignores_case() -> None:
    record = servers.new_server({"server": {"name": "web-01"}}, NEW)
    assert servers.matches(record, {"name": ("^web-",), "status": ("active",)})
    assert servers.matches(record, {"availability_zone": ("sim$",)})
    assert not servers.matches(record, {"name": ("^db",)})
    assert not servers.matches(record, {"status": ("SHUTOFF",)})
    assert not servers.matches(record, {"name": ("(",)})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "[] is not of type 'object'"),
        ({}, "'server' is a required property"),
        ({"server": "x"}, "Invalid input for field/attribute server. Value: x."),
        ({"server": {"flavorRef": "1"}}, "'name' is a required property"),
        ({"server": {"name": ""}}, "Invalid input for field/attribute name. Value: ."),
        ({"server": {"name": 5}}, "5 is not of type 'string'"),
        ({"server": {"name": "a", "metadata": []}}, "field/attribute metadata"),
        (
            {"server": {"name": "a", "availability_zone": "elsewhere"}},
            "The requested availability zone is not available",
        ),
    ],
)
def test_nova_rejects_invalid_create_bodies(body: object, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        servers.new_server(body, NEW)
    assert message in caught.value.message


def test_nova_accepts_image_and_flavor_urls_as_ids() -> None:
    body = {"server": {"name": "a", "imageRef": "http://g/images/img-9", "flavorRef": 3}}
    record = servers.new_server(body, NEW)
    assert (record["image_ref"], record["instance_type_id"]) == ("img-9", "3")


def test_nova_faults_name_the_instance_and_the_marker() -> None:
    assert servers.not_found("x").body() == {
        "itemNotFound": {"message": "Instance x could not be found.", "code": 404}
    }
    assert servers.marker_not_found("m").body() == {
        "badRequest": {"message": "marker [m] not found", "code": 400}
    }


# --- Cinder -------------------------------------------------------------------------------


def test_cinder_default_order_is_created_at_then_id_descending() -> None:
    assert volumes.list_query([]).order == SortOrder(("created_at", "id"), ("desc", "desc"))


def test_cinder_sort_parameter_maps_name_and_defaults_each_direction_to_desc() -> None:
    query = volumes.list_query([("sort", "name:asc,size")])
    assert query.order == SortOrder(
        ("display_name", "size", "created_at", "id"), ("asc", "desc", "asc", "asc")
    )


def test_cinder_legacy_sort_key_and_sort_dir() -> None:
    query = volumes.list_query(q("sort_key=name&sort_dir=asc"))
    assert query.order == SortOrder(("display_name", "created_at", "id"), ("asc",) * 3)


def test_cinder_refuses_sort_together_with_sort_key() -> None:
    with pytest.raises(BadRequest, match="cannot be used with the 'sort' parameter"):
        volumes.list_query(q("sort=name&sort_key=size"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=bogus:asc", "Invalid input received: Invalid sort key"),
        ("sort=name:up", "Invalid input received: Unknown sort direction"),
        ("limit=x", "limit param must be an integer"),
        ("limit=-1", "limit param must be positive"),
    ],
)
def test_cinder_rejects_bad_list_parameters(query: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        volumes.list_query(q(query))


def test_cinder_filters_compare_exactly() -> None:
    record = volumes.new_volume({"volume": {"size": 1, "name": "alpha"}}, NEW)
    query = volumes.list_query(q("name=alpha&status=available&availability_zone=az-sim"))
    assert volumes.cinder_matches(record, query.filters)
    assert not volumes.cinder_matches(record, volumes.list_query([("name", "alp")]).filters)
    assert not volumes.cinder_matches(record, volumes.list_query([("status", "error")]).filters)


@pytest.mark.parametrize("size", [0, -1, "x", None, True, 1.5, "0"])
def test_cinder_rejects_a_size_that_is_not_a_positive_integer(size: object) -> None:
    with pytest.raises(BadRequest, match="Invalid volume size"):
        volumes.new_volume({"volume": {"size": size}}, NEW)


def test_cinder_accepts_a_size_given_as_a_string() -> None:
    assert volumes.new_volume({"volume": {"size": "3"}}, NEW)["size"] == 3


@pytest.mark.parametrize("body", [{}, [], {"volume": None}, {"volumes": {"size": 1}}])
def test_cinder_wants_a_volume_element(body: object) -> None:
    with pytest.raises(BadRequest, match=r"Missing required element 'volume' in request body\."):
        volumes.new_volume(body, NEW)


def test_cinder_rejects_another_availability_zone() -> None:
    with pytest.raises(BadRequest, match=r"Availability zone 'elsewhere' is invalid\."):
        volumes.new_volume({"volume": {"size": 1, "availability_zone": "elsewhere"}}, NEW)


def test_cinder_unknown_marker_is_a_missing_volume() -> None:
    fault = volumes.VOLUMES.marker_not_found("m")
    assert isinstance(fault, NotFound) and fault.message == "Volume m could not be found."
