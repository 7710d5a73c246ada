"""Who may reach the control plane's gRPC port: operators, Envoy and Podgate's own workers.

- tokens.py       the admin and Envoy tokens, made at first start in the state dir   adapter
- methods.py      which credential each gRPC method needs                             pure
- principal.py    who made the admin call running now (for the audit log)
- guard.py        Guard: the grpc.aio server interceptor that checks every call       adapter

Import from the module that owns a name: the package re-exports nothing, so that the `podgate`
CLI reading the admin token (tokens.py) does not load the guard's server stack (identity,
workers, store).
"""
