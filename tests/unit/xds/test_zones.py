"""The zone script's routes: only a renamed pod's resources whose shows name zones turn it on."""

import json

from envoy.config.route.v3 import route_components_pb2 as route_components
from envoy.extensions.filters.http.lua.v3 import lua_pb2

from control_plane.decision.family_index import owner_prefix
from control_plane.decision.resources import SPECS
from control_plane.model import Pod, PodState, ResourceType
from control_plane.xds.zones import ZONE_FILTER, ZONED_TYPES, script, zone_contexts

_ID = "6f1b0c3e-0000-4000-8000-000000000001"


def _context(config) -> dict[str, str]:
    enabled = route_components.FilterConfig()
    assert config.Unpack(enabled) and not enabled.disabled
    per_route = lua_pb2.LuaPerRoute()
    assert enabled.config.Unpack(per_route)
    return dict(per_route.filter_context)


def test_a_renamed_pod_turns_the_script_on_with_the_zone_pair_per_type() -> None:
    zones = zone_contexts([Pod("p", "az1", "nova")])
    assert set(zones["p"]) == ZONED_TYPES
    assert _context(zones["p"][ResourceType.VOLUME]) == {"zone": 'volume\n"az1"\nnova'}


def test_the_users_zone_is_written_as_json_and_an_unnamed_pod_zone_matches_any() -> None:
    zones = zone_contexts([Pod("p", 'zone "Ü"', "")])
    kind, user = _context(zones["p"][ResourceType.SERVER])["zone"].split("\n")
    assert kind == "server" and json.loads(user) == 'zone "Ü"'


def test_pods_that_call_their_zone_as_users_do_or_are_disabled_get_none() -> None:
    pods = [Pod("same", "az1", "az1"), Pod("off", "az1", "nova", state=PodState.DISABLED)]
    assert zone_contexts(pods) == {}


def test_every_fast_path_type_whose_shows_name_zones_is_renamed_by_the_script() -> None:
    routed = {kind for kind in ResourceType if owner_prefix(kind, "p1", _ID) is not None}
    assert {kind for kind in routed if SPECS[kind].shows_zones} == ZONED_TYPES
    assert {ResourceType.SERVER, ResourceType.VOLUME, ResourceType.BACKUP} <= ZONED_TYPES


def test_the_script_names_each_types_member_and_zone_keys() -> None:
    text = script()
    assert ZONE_FILTER == "podgate.zones"
    assert '["server"] = { "\\"server\\"", { ["\\"OS-EXT-AZ:availability_zone\\""] = true' in text
    assert '["\\"availabilityZone\\""] = true' in text  # os-volumes' proxy view
    assert "function envoy_on_response(handle)" in text and "envoy_on_request" not in text
