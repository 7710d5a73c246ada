"""The fast path: ids whose pod is known are routed by Envoy itself, without a decision call."""

from control_plane.fastpath.hot_set import HotSet
from control_plane.fastpath.routes import known_routes, path_header

__all__ = ["HotSet", "known_routes", "path_header"]
