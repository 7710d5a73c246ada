"""The drift plan: what the gateway made and a pod lacks is made there; the rest is reported.
And the ids an answer shows: the gateway's."""

from control_plane.decision.shared.drift import (
    Adoption,
    Listing,
    Pairing,
    Repair,
    create_body,
    plan,
)
from control_plane.decision.shared.ids import shown_ids, with_gateway_ids
from control_plane.decision.shared.kinds import SHARED_KINDS
from control_plane.model import CopiedType, Copies, Service

FLAVORS = SHARED_KINDS[(Service.COMPUTE, "flavors")]
TYPES = SHARED_KINDS[(Service.VOLUME, "types")]
QOS = SHARED_KINDS[(Service.VOLUME, "qos-specs")]


def _listing(pod: str, *items: tuple[str, str]) -> Listing:
    return Listing(pod, tuple({"id": i, "name": n} for i, n in items))


def test_a_recorded_flavor_a_pod_lacks_is_made_there_from_the_first_pod_holding_it() -> None:
    recorded = [Copies(CopiedType.FLAVOR, "f1", "admin", {"a": "f1", "b": "f1"})]
    listings = [_listing("a"), _listing("b", ("f1", "big")), _listing("c")]
    work = plan(FLAVORS, listings, recorded)
    item = {"id": "f1", "name": "big"}
    assert work.repairs == (Repair("f1", "b", "a", item), Repair("f1", "b", "c", item))
    assert work.missing == {"a": ("big",), "c": ("big",)}


def test_a_pods_own_copy_found_by_name_is_paired_not_made_again() -> None:
    recorded = [Copies(CopiedType.VOLUME_TYPE, "ta", "admin", {"a": "ta"})]
    listings = [_listing("a", ("ta", "gold")), _listing("b", ("tb", "gold")), _listing("c")]
    work = plan(TYPES, listings, recorded)
    assert work.pairings == (Pairing("ta", "b", "tb"),)
    assert work.repairs == (Repair("ta", "a", "c", {"id": "ta", "name": "gold"}),)


def test_objects_the_gateway_did_not_make_are_reported_never_copied() -> None:
    listings = [_listing("a", ("1", "m1.tiny"), ("x", "mine")), _listing("b", ("1", "m1.tiny"))]
    work = plan(FLAVORS, listings, [])
    assert (work.repairs, work.pairings) == ((), ())
    assert work.missing == {"b": ("mine",)}


def test_a_cinder_copy_deleted_in_its_pod_is_reported_not_remade_under_a_new_id() -> None:
    recorded = [Copies(CopiedType.VOLUME_TYPE, "ta", "admin", {"a": "ta", "b": "tb"})]
    work = plan(TYPES, [_listing("a", ("ta", "gold")), _listing("b")], recorded)
    assert work.repairs == ()
    assert work.missing == {"b": ("gold",)}


def test_an_object_gone_from_every_pod_is_left_alone() -> None:
    recorded = [Copies(CopiedType.FLAVOR, "f1", "admin", {"a": "f1"})]
    work = plan(FLAVORS, [_listing("a"), _listing("b")], recorded)
    assert (work.repairs, work.missing) == ((), {})


def test_copies_are_made_from_what_the_source_lists() -> None:
    flavor = {
        "id": "f1",
        "name": "big",
        "ram": 512,
        "vcpus": 1,
        "disk": 1,
        "swap": "",
        "links": [],
        "os-flavor-access:is_public": False,
    }
    assert create_body(FLAVORS, flavor) == {
        "flavor": {
            "id": "f1",
            "name": "big",
            "ram": 512,
            "vcpus": 1,
            "disk": 1,
            "os-flavor-access:is_public": False,
            "swap": 0,
        }
    }
    qos = {"id": "q", "name": "fast", "consumer": "both", "specs": {"iops": "9"}}
    assert create_body(QOS, qos) == {"qos_specs": {"iops": "9", "name": "fast", "consumer": "both"}}


def test_an_answer_shows_the_gateways_ids_in_fields_and_links() -> None:
    answer = {
        "qos_specs": {"id": "q-b", "name": "fast", "specs": {}},
        "links": [{"rel": "self", "href": "http://b/volume/v3/p/qos-specs/q-b"}],
    }
    assert shown_ids(answer, QOS) == {CopiedType.QOS_SPECS: {"q-b"}}
    gateway = {CopiedType.QOS_SPECS: {"q-b": "q-a"}}
    assert with_gateway_ids(answer, QOS, gateway) == {
        "qos_specs": {"id": "q-a", "name": "fast", "specs": {}},
        "links": [{"rel": "self", "href": "http://b/volume/v3/p/qos-specs/q-a"}],
    }
    listed = {"volume_types": [{"id": "t-b", "qos_specs_id": "q-b"}, {"id": "other"}]}
    shown = with_gateway_ids(listed, TYPES, {**gateway, CopiedType.VOLUME_TYPE: {"t-b": "t-a"}})
    assert shown == {"volume_types": [{"id": "t-a", "qos_specs_id": "q-a"}, {"id": "other"}]}
    assert shown_ids({"flavor": {"id": "f1"}}, FLAVORS) == {}
    access = {"volume_type_access": [{"volume_type_id": "t-b", "project_id": "p"}]}
    assert with_gateway_ids(access, TYPES, {CopiedType.VOLUME_TYPE: {"t-b": "t-a"}}) == {
        "volume_type_access": [{"volume_type_id": "t-a", "project_id": "p"}]
    }


def test_a_cinder_object_every_pod_holds_is_adopted_with_each_pods_id() -> None:
    listings = [
        _listing("a", ("da", "__DEFAULT__"), ("xa", "only-a")),
        _listing("b", ("db", "__DEFAULT__")),
    ]
    work = plan(TYPES, listings, [])
    assert work.adoptions == (Adoption("da", {"a": "da", "b": "db"}),)
    recorded = [Copies(CopiedType.VOLUME_TYPE, "da", "admin", {"a": "da", "b": "db"})]
    assert plan(TYPES, listings, recorded).adoptions == ()
    assert plan(FLAVORS, [_listing("a", ("1", "t")), _listing("b", ("1", "t"))], []).adoptions == ()
