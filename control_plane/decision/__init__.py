"""Per-request decisions behind Envoy's ext_proc filter: classify, schedule, rewrite, route."""
