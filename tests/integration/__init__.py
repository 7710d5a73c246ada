"""One piece of Podgate against a real neighbour (Envoy's config validator, a second Python
process): unlike tests/unit, these start processes."""
