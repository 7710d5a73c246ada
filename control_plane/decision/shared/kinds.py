"""The shared collections and how each keeps one identity across pods.

Nova takes a flavor's id in the create body, so every pod's copy gets the same id. Cinder makes
its own id for each volume type, group type and QoS specs; the gateway shows the first pod's and
keeps every pod's in the store (`object_copies`), so a later request naming the object reaches
each pod with that pod's id. Key pairs are named by their user, not by an id. Pure: no I/O.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from control_plane.model import CopiedType, Service

__all__ = ["SHARED_KINDS", "SharedKind", "copied_kind", "kind_of"]


@dataclass(frozen=True, slots=True)
class SharedKind:
    """One shared collection: its keys in answers, and how its copies are told apart."""

    service: Service
    # The path segment after the project ("flavors", "qos-specs").
    collection: str
    # The key of one object in a create or show answer ("flavor", "qos_specs").
    member: str
    # The key of a list answer ("flavors", "qos_specs").
    list_key: str
    # None: nothing recorded (key pairs: the user's name for them is their identity).
    copied_type: CopiedType | None
    # The create body carries the id to the pods (Nova's `flavor.id`): all copies share it.
    takes_id: bool = False
    # Path segments after the collection that name no object (`types/default`, `flavors/detail`).
    literals: frozenset[str] = frozenset({"detail"})
    # What an admin's list of every object (private ones too) adds to the query.
    every_object: str = ""
    # The microversion header a background call sends (group types need 3.11).
    version_header: tuple[str, str] | None = None
    # Actions that change the object though sent as GETs (Cinder's QoS associate).
    writing_gets: frozenset[str] = frozenset()
    # Query parameters naming another shared object, with that object's kind ("vol_type_id").
    query_ids: Mapping[str, CopiedType] = field(default_factory=dict)

    @property
    def own_ids(self) -> bool:
        """Whether each pod gives its copy an id of its own (mapped in the store)."""
        return self.copied_type is not None and not self.takes_id


_CINDER = "openstack-api-version"
SHARED_KINDS: Mapping[tuple[Service, str], SharedKind] = {
    (kind.service, kind.collection): kind
    for kind in (
        SharedKind(
            Service.COMPUTE,
            "flavors",
            "flavor",
            "flavors",
            CopiedType.FLAVOR,
            takes_id=True,
            every_object="is_public=None",
        ),
        SharedKind(Service.COMPUTE, "os-keypairs", "keypair", "keypairs", None),
        SharedKind(
            Service.VOLUME,
            "types",
            "volume_type",
            "volume_types",
            CopiedType.VOLUME_TYPE,
            literals=frozenset({"default"}),
            every_object="is_public=None",
        ),
        SharedKind(
            Service.VOLUME,
            "group_types",
            "group_type",
            "group_types",
            CopiedType.GROUP_TYPE,
            literals=frozenset({"default"}),
            every_object="is_public=None",
            version_header=(_CINDER, "volume 3.11"),
        ),
        SharedKind(
            Service.VOLUME,
            "qos-specs",
            "qos_specs",
            "qos_specs",
            CopiedType.QOS_SPECS,
            literals=frozenset(),
            writing_gets=frozenset({"associate", "disassociate", "disassociate_all"}),
            query_ids={"vol_type_id": CopiedType.VOLUME_TYPE},
        ),
    )
}


def kind_of(service: Service, collection: str) -> SharedKind | None:
    """The shared kind served at `collection`; None for other shared lists (Neutron's)."""
    return SHARED_KINDS.get((service, collection))


def copied_kind(copied_type: CopiedType) -> SharedKind:
    """The shared kind whose copies the store records as `copied_type`."""
    return next(kind for kind in SHARED_KINDS.values() if kind.copied_type == copied_type)
