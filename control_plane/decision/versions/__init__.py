"""Microversions: negotiation, the version documents and each pod's window."""
