"""Server external events, split by the pod of each server."""
