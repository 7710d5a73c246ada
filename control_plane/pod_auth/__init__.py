"""Whether each pod checks tokens itself, so that Envoy may send it GETs without asking Keystone.

- rules.py   the checks a pod must pass and the verdict, worded for operators     pure
- tokens.py  ProbeTokens: the gateway's token and a fresh revoked one (Keystone)  adapter
- probe.py   PodAuthProbe: asks each pod, tells the xDS runner who passed          asyncio
"""
