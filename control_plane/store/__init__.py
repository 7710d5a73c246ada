"""Podgate's persistent state (pods, bindings, routings) behind one async Store."""

from control_plane.store.repo import Store

__all__ = ["Store"]
