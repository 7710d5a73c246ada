"""The fast path: ids whose pod is known are routed by Envoy itself, without a decision call."""

from control_plane.fastpath.hot_set import HotSet
from control_plane.fastpath.routes import KnownRoutes, known_routes

__all__ = ["HotSet", "KnownRoutes", "known_routes"]
