"""The decision service in several processes: the main process runs the admin API, xDS and one
decision service; each worker process runs one more decision service on its own port.

Workers register over a gRPC stream to the main process (the link): their endpoint joins the
`podgate_decision` cluster Envoy spreads ext_proc streams over, the routings they use feed the
main process's fast path, and the main process's store changes reach their caches. The worker
process itself is assembled in control_plane.runtime.worker.
"""

from control_plane.workers.hub import WorkerHub
from control_plane.workers.hub import add_to_server as add_hub
from control_plane.workers.link import Link
from control_plane.workers.pool import WorkerPool

__all__ = ["Link", "WorkerHub", "WorkerPool", "add_hub"]
