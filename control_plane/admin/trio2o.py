"""The Trio2oAdmin gRPC servicer: Trio2o's /v1.0 shapes over the PodAdmin servicer.

Every call goes through PodAdminService, so input checks, store calls, the data-plane callback,
the admin-only check (keystone mode) and the error mapping are the PodAdmin ones. Trio2o names
pods by id where PodAdmin names them by name; this module only converts shapes and ids.
"""

from collections.abc import Iterable

import grpc
from google.protobuf import empty_pb2

from control_plane.admin.service import PodAdminService
from podgate_api.admin.v1 import admin_pb2, trio2o_pb2, trio2o_pb2_grpc

__all__ = [
    "Trio2oAdminService",
    "add_to_server",
    "binding_to_trio2o",
    "pod_from_trio2o",
    "pod_to_trio2o",
]

_EMPTY = empty_pb2.Empty()


def pod_from_trio2o(pod: trio2o_pb2.Trio2oPod) -> admin_pb2.Pod:
    """The PodAdmin pod a Trio2o create asks for; values are stripped as Trio2o does."""
    return admin_pb2.Pod(
        name=pod.pod_name.strip(),
        az_name=pod.az_name.strip(),
        pod_az_name=pod.pod_az_name.strip(),
        dc_name=pod.dc_name.strip(),
    )


def pod_to_trio2o(pod: admin_pb2.Pod) -> trio2o_pb2.Trio2oPod:
    """A PodAdmin pod in Trio2o's five fields."""
    return trio2o_pb2.Trio2oPod(
        pod_id=pod.id,
        pod_name=pod.name,
        pod_az_name=pod.pod_az_name,
        dc_name=pod.dc_name,
        az_name=pod.az_name,
    )


def binding_to_trio2o(binding: admin_pb2.Binding, pod_id: str) -> trio2o_pb2.Trio2oPodBinding:
    """A PodAdmin binding in Trio2o's shape; `pod_id` is the id of the pod it names."""
    return trio2o_pb2.Trio2oPodBinding(
        id=binding.id,
        tenant_id=binding.project_id,
        pod_id=pod_id,
        is_binding=binding.active,
        created_at=binding.created_at if binding.HasField("created_at") else None,
        updated_at=binding.updated_at if binding.HasField("updated_at") else None,
    )


class Trio2oAdminService(trio2o_pb2_grpc.Trio2oAdminServicer):
    """podgate.admin.v1.Trio2oAdmin: each call is one or two PodAdmin calls."""

    def __init__(self, admin: PodAdminService) -> None:
        self._admin = admin

    async def CreatePod(
        self, request: trio2o_pb2.CreateTrio2oPodRequest, context: grpc.aio.ServicerContext
    ) -> trio2o_pb2.Trio2oPodReply:
        create = admin_pb2.CreatePodRequest(pod=pod_from_trio2o(request.pod))
        created = await self._admin.CreatePod(create, context)
        return trio2o_pb2.Trio2oPodReply(pod=pod_to_trio2o(created))

    async def ListPods(
        self, request: trio2o_pb2.ListTrio2oPodsRequest, context: grpc.aio.ServicerContext
    ) -> trio2o_pb2.ListTrio2oPodsReply:
        pods = await self._pods(context)
        return trio2o_pb2.ListTrio2oPodsReply(pods=[pod_to_trio2o(p) for p in pods])

    async def GetPod(
        self, request: trio2o_pb2.GetTrio2oPodRequest, context: grpc.aio.ServicerContext
    ) -> trio2o_pb2.Trio2oPodReply:
        pod = await self._pod(request.pod_id, context)
        return trio2o_pb2.Trio2oPodReply(pod=pod_to_trio2o(pod))

    async def DeletePod(
        self, request: trio2o_pb2.DeleteTrio2oPodRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        pod = await self._pod(request.pod_id, context)
        await self._admin.DeletePod(admin_pb2.DeletePodRequest(name=pod.name), context)
        return _EMPTY

    async def CreateBinding(
        self, request: trio2o_pb2.CreateTrio2oBindingRequest, context: grpc.aio.ServicerContext
    ) -> trio2o_pb2.Trio2oBindingReply:
        wanted = request.pod_binding
        pod = await self._pod(wanted.pod_id, context, code=grpc.StatusCode.INVALID_ARGUMENT)
        if not wanted.tenant_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "tenant_id is required")
        create = admin_pb2.CreateBindingRequest(project_id=wanted.tenant_id, pod_name=pod.name)
        binding = await self._admin.CreateBinding(create, context)
        return trio2o_pb2.Trio2oBindingReply(pod_binding=binding_to_trio2o(binding, pod.id))

    async def ListBindings(
        self, request: trio2o_pb2.ListTrio2oBindingsRequest, context: grpc.aio.ServicerContext
    ) -> trio2o_pb2.ListTrio2oBindingsReply:
        bindings, pod_ids = await self._bindings(context)
        return trio2o_pb2.ListTrio2oBindingsReply(
            pod_bindings=[binding_to_trio2o(b, pod_ids.get(b.pod_name, "")) for b in bindings]
        )

    async def GetBinding(
        self, request: trio2o_pb2.GetTrio2oBindingRequest, context: grpc.aio.ServicerContext
    ) -> trio2o_pb2.Trio2oBindingReply:
        bindings, pod_ids = await self._bindings(context)
        for binding in bindings:
            if binding.id == request.id:
                pod_id = pod_ids.get(binding.pod_name, "")
                return trio2o_pb2.Trio2oBindingReply(pod_binding=binding_to_trio2o(binding, pod_id))
        await context.abort(grpc.StatusCode.NOT_FOUND, f"Binding {request.id} not found")

    async def DeleteBinding(
        self, request: trio2o_pb2.DeleteTrio2oBindingRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        await self._admin.DeleteBinding(admin_pb2.DeleteBindingRequest(id=request.id), context)
        return _EMPTY

    async def _pods(self, context: grpc.aio.ServicerContext) -> Iterable[admin_pb2.Pod]:
        """Every pod, through PodAdmin (so the caller's admin check runs first)."""
        return (await self._admin.ListPods(admin_pb2.ListPodsRequest(), context)).pods

    async def _pod(
        self,
        pod_id: str,
        context: grpc.aio.ServicerContext,
        *,
        code: grpc.StatusCode = grpc.StatusCode.NOT_FOUND,
    ) -> admin_pb2.Pod:
        """The pod with Trio2o's `pod_id`; a missing one aborts with `code`."""
        pods = await self._pods(context)
        if not pod_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "pod_id is required")
        for pod in pods:
            if pod.id == pod_id:
                return pod
        await context.abort(code, f"Pod {pod_id} not found")

    async def _bindings(
        self, context: grpc.aio.ServicerContext
    ) -> tuple[list[admin_pb2.Binding], dict[str, str]]:
        """Every binding (history included, as Trio2o lists it) and pod ids by pod name."""
        listed = await self._admin.ListBindings(admin_pb2.ListBindingsRequest(), context)
        pod_ids = {pod.name: pod.id for pod in await self._pods(context)}
        return list(listed.bindings), pod_ids


def add_to_server(server: grpc.aio.Server, service: Trio2oAdminService) -> None:
    """Serve Trio2o's admin API on the control plane's gRPC port, for Envoy's transcoder."""
    trio2o_pb2_grpc.add_Trio2oAdminServicer_to_server(service, server)
