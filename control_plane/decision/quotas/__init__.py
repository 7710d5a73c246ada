"""Quotas over all pods: a project's limit set through the gateway holds for its pods together."""
