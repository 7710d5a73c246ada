"""Envoy configuration over xDS: translate state to a Snapshot, cache it, stream it over ADS."""
