"""Podgate control plane: admin API, xDS server and decision service for Envoy."""
