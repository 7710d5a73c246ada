"""podsim: one simulated OpenStack cloud (a "pod"), an in-memory Nova v2.1 + Cinder v3 subset.

It answers as real Nova and Cinder do (JSON shapes, status codes, fault bodies, request ids),
under devstack-style prefixes `/compute/v2.1` and `/volume/v3`, so tests, the demo and benchmarks
can put Podgate in front of several of them. Run one process per pod: `python -m podsim`.
"""
