"""Talking to pods: the HTTP client, its TLS, health and asking every pod at once."""
