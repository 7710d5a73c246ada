"""present: the merged list as one cloud shows it (AZ names, gateway links, brief or detail)."""

import json

from control_plane.decision.lists.present import ListView, list_body, localise, origin
from control_plane.model import Pod, ResourceType

SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME
POD = Pod(name="pod1", az_name="az-east", pod_az_name="nova-east")
POD_LINKS = [{"rel": "self", "href": "http://10.0.0.1:8774/v2.1/p1/servers/s1"}]


def _view(resource_type=SERVER, *, detail=True, path="/v2.1/p1/servers/detail") -> ListView:
    return ListView(
        resource_type=resource_type,
        detail=detail,
        origin="https://gw.example:19998",
        project_id="p1",
        path=path,
        collection=path.split("/")[3],
    )


def test_localise_rewrites_the_servers_az_to_the_user_facing_name() -> None:
    item = {"id": "s1", "OS-EXT-AZ:availability_zone": "nova-east", "name": "vm"}
    assert localise(SERVER, item, POD) == {**item, "OS-EXT-AZ:availability_zone": "az-east"}
    assert item["OS-EXT-AZ:availability_zone"] == "nova-east"  # the pod's item is not changed


def test_localise_rewrites_the_pods_zone_and_keeps_any_other_or_a_missing_one() -> None:
    pods_zone = {"id": "v1", "availability_zone": POD.pod_az_name}
    assert localise(VOLUME, pods_zone, POD)["availability_zone"] == "az-east"
    for kept in ("elsewhere", "", None):
        item = {"id": "v1", "availability_zone": kept}
        assert localise(VOLUME, item, POD) == item


def test_detail_items_keep_every_field_with_links_to_the_gateway() -> None:
    item = {"id": "s1", "name": "vm", "status": "ACTIVE", "links": POD_LINKS}
    body = json.loads(list_body(_view(), [item], params=(), limit_param=None, more=False))
    assert body == {
        "servers": [
            {
                "id": "s1",
                "name": "vm",
                "status": "ACTIVE",
                "links": [
                    {"rel": "self", "href": "https://gw.example:19998/v2.1/p1/servers/s1"},
                    {"rel": "bookmark", "href": "https://gw.example:19998/p1/servers/s1"},
                ],
            }
        ]
    }


def test_brief_items_are_id_name_and_links_only() -> None:
    item = {"id": "v1", "name": None, "size": 1, "links": POD_LINKS}
    view = _view(VOLUME, detail=False, path="/v3/p1/volumes")
    body = json.loads(list_body(view, [item], params=(), limit_param=None, more=False))
    assert body == {
        "volumes": [
            {
                "id": "v1",
                "name": None,
                "links": [
                    {"rel": "self", "href": "https://gw.example:19998/v3/p1/volumes/v1"},
                    {"rel": "bookmark", "href": "https://gw.example:19998/p1/volumes/v1"},
                ],
            }
        ]
    }


def test_next_link_repeats_filters_sort_and_limit_with_the_last_id_as_marker() -> None:
    items = [{"id": "s1"}, {"id": "s2"}]
    params = (("name", "vm 1"), ("sort_key", "display_name"), ("sort_dir", "asc"))
    body = json.loads(list_body(_view(), items, params=params, limit_param="2", more=True))
    assert body["servers_links"] == [
        {
            "rel": "next",
            "href": "https://gw.example:19998/v2.1/p1/servers/detail"
            "?name=vm+1&sort_key=display_name&sort_dir=asc&limit=2&marker=s2",
        }
    ]


def test_next_link_without_a_limit_given_has_none() -> None:
    body = json.loads(list_body(_view(), [{"id": "s1"}], params=(), limit_param=None, more=True))
    assert body["servers_links"][0]["href"].endswith("/v2.1/p1/servers/detail?marker=s1")


def test_last_page_has_no_next_link() -> None:
    body = json.loads(list_body(_view(), [{"id": "s1"}], params=(), limit_param="1", more=False))
    assert body == {"servers": [{"id": "s1", "links": body["servers"][0]["links"]}]}


def test_origin_prefers_the_forwarded_scheme() -> None:
    assert origin({":scheme": "http", ":authority": "gw:1"}) == "http://gw:1"
    assert origin({":scheme": "http", "x-forwarded-proto": "https", ":authority": "gw"}) == (
        "https://gw"
    )
    assert origin({"host": "h:2"}) == "http://h:2"
