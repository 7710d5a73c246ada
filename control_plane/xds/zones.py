"""Zones renamed on the fast path: a renamed pod's shows answered by Envoy alone.

A pod whose `pod_az_name` differs from its `az_name` names its zone its own way; the decision
service renames it in the answers it handles (mutate.shown_body). For the GETs Envoy routes by
itself, one Lua script in each listener's chain does the same (zones.lua): off by default, like
ext_proc, and turned on by the fast-path routes of renamed pods, whose filter context holds the
zone pair. Every fast-path entry is a copy of its pod's route, so that context is all an entry
gains: two short strings, the script itself being the listener's. Pure: no I/O.
"""

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from envoy.config.core.v3 import base_pb2
from envoy.config.route.v3 import route_components_pb2
from envoy.extensions.filters.http.lua.v3 import lua_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)
from google.protobuf import any_pb2, struct_pb2

from control_plane.decision.resources import SPECS, ResourceSpec
from control_plane.model import Pod, PodState, ResourceType
from control_plane.xds.pb import any_of as _any

__all__ = ["ZONED_TYPES", "ZONE_FILTER", "script", "zone_contexts", "zone_filter"]

ZONE_FILTER = "podgate.zones"
_SCRIPT = Path(__file__).with_name("zones.lua")


def _zone_fields(spec: ResourceSpec) -> tuple[str, ...]:
    return tuple(field for field in (spec.az_field, spec.proxy_az_field) if field is not None)


# The types whose shows name zones in fields the script renames.
ZONED_TYPES = frozenset(spec.resource_type for spec in SPECS.values() if _zone_fields(spec))


@cache
def script() -> str:
    """zones.lua, preceded by the table of where each type's show names zones (read once: a
    listener's text must not change under a running control plane)."""
    rows = "".join(_row(SPECS[kind]) for kind in sorted(ZONED_TYPES))
    return f"local ZONED = {{\n{rows}}}\n\n" + _SCRIPT.read_text()


def _row(spec: ResourceSpec) -> str:
    """`type = {member key, {zone key = true}, {length of a key read = true}, {zone key
    without its opening quote, to look for first}}`, keys quoted as Nova and Cinder write them
    (looked for without the quote: memchr would stop at every string's)."""
    member, fields = _quoted(spec.member), [_quoted(field) for field in _zone_fields(spec)]
    lengths = sorted({len(key) for key in (member, _quoted("id"), *fields)})
    return (
        f"  [{_lua(spec.resource_type)}] = {{ {_lua(member)}, {{ "
        + "".join(f"[{_lua(field)}] = true, " for field in fields)
        + "}, { "
        + "".join(f"[{length}] = true, " for length in lengths)
        + "}, { "
        + "".join(f"{_lua(field[1:])}, " for field in fields)
        + "} },\n"
    )


def zone_filter() -> hcm.HttpFilter:
    """The listener's script, off unless a route turns it on."""
    lua = lua_pb2.Lua(default_source_code=base_pb2.DataSource(inline_string=script()))
    return hcm.HttpFilter(name=ZONE_FILTER, typed_config=_any(lua), disabled=True)


def zone_contexts(pods: Iterable[Pod]) -> Mapping[str, Mapping[ResourceType, any_pb2.Any]]:
    """Per renamed pod and type whose shows name zones, the per-route config that turns the
    script on: the type and the zone pair."""
    return {
        pod.name: {kind: _enabled(_context(pod, kind)) for kind in sorted(ZONED_TYPES)}
        for pod in pods
        if pod.renames_az and pod.state is not PodState.DISABLED
    }


def _context(pod: Pod, kind: ResourceType) -> struct_pb2.Struct:
    """One string, `type`, `user` (the user's zone as it goes into the JSON) and `pod` (the pod's;
    left out: any name) a line each: every field would cost each entry ~170 bytes of Envoy's
    memory (bench/envoy_memory.py), the lines none. Zone names are printable: no line ends."""
    lines = [kind.value, json.dumps(pod.az_name, ensure_ascii=False)]
    if pod.pod_az_name:
        lines.append(pod.pod_az_name)
    context = struct_pb2.Struct()
    context["zone"] = "\n".join(lines)
    return context


def _enabled(context: struct_pb2.Struct) -> any_pb2.Any:
    return _any(
        route_components_pb2.FilterConfig(config=_any(lua_pb2.LuaPerRoute(filter_context=context)))
    )


def _quoted(key: str) -> str:
    return json.dumps(key)


def _lua(text: str) -> str:
    """A Lua string literal holding `text` (printable ASCII: the table's names)."""
    if not (text.isascii() and text.isprintable()):
        raise ValueError(f"not a name the script's table can hold: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
