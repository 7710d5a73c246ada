"""Views combined from every pod: limits, quotas, services, hypervisors, zones."""
