"""The fast path's set of routings: the ids whose pod Envoy knows (its routes: xds/fast_path.py)."""

from control_plane.fastpath.hot_set import HotSet

__all__ = ["HotSet"]
