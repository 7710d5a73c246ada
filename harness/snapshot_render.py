"""A snapshot as plain dicts: the translator's golden output and a static Envoy bootstrap."""

import json
from typing import Any

import yaml
from google.protobuf.json_format import MessageToJson

from control_plane.xds.resources import CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE
from control_plane.xds.snapshot import Snapshot

SECTIONS = {
    "clusters": CLUSTER_TYPE,
    "endpoints": ENDPOINT_TYPE,
    "listeners": LISTENER_TYPE,
    "routes": ROUTE_TYPE,
}


def render(snapshot: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Every resource as a dict, name-sorted per section (the golden output shape)."""
    return {
        section: [
            json.loads(MessageToJson(message, preserving_proto_field_name=True))
            for _, message in sorted(snapshot.resources[type_url].items())
        ]
        for section, type_url in SECTIONS.items()
    }


def inline_bootstrap(snapshot: Snapshot, bootstrap_yaml: str) -> dict[str, Any]:
    """A static bootstrap holding the snapshot inline, for `envoy --mode validate`.

    EDS clusters become STATIC with their ClusterLoadAssignment inline, and each listener's
    RDS reference becomes the route configuration itself; ADS is dropped.
    """
    doc = yaml.safe_load(bootstrap_yaml)
    del doc["dynamic_resources"]
    rendered = render(snapshot)
    assignments = {a["cluster_name"]: a for a in rendered["endpoints"]}
    routes = {r["name"]: r for r in rendered["routes"]}
    for cluster in rendered["clusters"]:
        if cluster["type"] == "EDS":
            del cluster["eds_cluster_config"]
            cluster.update(type="STATIC", load_assignment=assignments[cluster["name"]])
    for listener in rendered["listeners"]:
        for chain in listener["filter_chains"]:
            for network_filter in chain["filters"]:
                manager = network_filter["typed_config"]
                if "rds" in manager:
                    manager["route_config"] = routes[manager.pop("rds")["route_config_name"]]
    doc["static_resources"]["clusters"].extend(rendered["clusters"])
    doc["static_resources"]["listeners"] = rendered["listeners"]
    return doc
