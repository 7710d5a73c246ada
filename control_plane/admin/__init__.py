"""Admin API: the gRPC PodAdmin service over the store, and the `podgate` commands that call it."""
