"""Process wiring: the control plane server, Envoy, and `podgate up` running both."""
