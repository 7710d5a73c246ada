"""Turns the current pods and known routings into xDS snapshots for the cache.

Pod changes are published at once; known-routing changes (one per create or first touch) are
gathered for `push_interval_s` so that a burst of them costs Envoy one route table.
"""

import asyncio
import logging
from importlib.resources import files

from control_plane.fastpath import HotSet
from control_plane.metrics import Metrics
from control_plane.model import Pod
from control_plane.settings import Settings
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.translate import XdsInputs, translate

__all__ = ["Publisher"]

log = logging.getLogger("podgate.xds")


class Publisher:
    """Owns what the translator reads; every publish translates the whole state (pure, cheap)."""

    def __init__(
        self, settings: Settings, cache: SnapshotCache, hot_set: HotSet, metrics: Metrics
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._cache = cache
        self._hot_set = hot_set
        self._descriptors = files("podgate").joinpath("descriptors.pb").read_bytes()
        self._pods: tuple[Pod, ...] = ()
        self._pending: asyncio.TimerHandle | None = None
        hot_set.on_change = self.known_changed

    def pods_changed(self, pods: tuple[Pod, ...]) -> None:
        """New pods: publish now (a new pod must be routable fast)."""
        self._pods = pods
        self.publish()

    def known_changed(self) -> None:
        """The known routings changed: publish once the push interval has passed."""
        if self._pending is not None:
            return
        delay = self._settings.fast_path.push_interval_ms / 1000
        self._pending = asyncio.get_running_loop().call_later(delay, self.publish)

    def close(self) -> None:
        """Drop a publish still waiting for its interval."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def publish(self) -> None:
        """Translate and hand to the cache; an inconsistent snapshot is logged, never pushed."""
        self.close()
        settings = self._settings
        inputs = XdsInputs(
            pods=self._pods,
            listen_host=settings.envoy.host,
            compute_port=settings.envoy.compute_port,
            volume_port=settings.envoy.volume_port,
            connect_timeout_s=settings.envoy.connect_timeout_s,
            upstream_timeout_s=settings.envoy.upstream_timeout_s,
            ext_proc_message_timeout_ms=settings.decision.message_timeout_ms,
            admin_rest_port=settings.envoy.admin_rest_port,
            admin_rest_descriptors=self._descriptors,
            known=self._hot_set.routings(),
            max_body_bytes=settings.decision.max_body_bytes,
            health_interval_s=settings.health.interval_s,
            health_timeout_s=settings.health.timeout_s,
            unhealthy_threshold=settings.health.unhealthy_threshold,
            healthy_threshold=settings.health.healthy_threshold,
        )
        try:
            self._cache.set(translate(inputs))
            self._metrics.fast_path_routings.set(len(inputs.known))
        except Exception:
            log.exception("xds snapshot rejected; Envoy keeps the last good one")
