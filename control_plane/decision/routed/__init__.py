"""Requests for one resource: the routing table that finds its pod, recovery, attach checks."""
