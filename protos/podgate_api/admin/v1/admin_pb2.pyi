import datetime

from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PodState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POD_STATE_UNSPECIFIED: _ClassVar[PodState]
    ENABLED: _ClassVar[PodState]
    DRAINING: _ClassVar[PodState]
    DISABLED: _ClassVar[PodState]
POD_STATE_UNSPECIFIED: PodState
ENABLED: PodState
DRAINING: PodState
DISABLED: PodState

class Pod(_message.Message):
    __slots__ = ("id", "name", "az_name", "pod_az_name", "dc_name", "state", "endpoints", "created_at", "updated_at", "catalog_endpoints", "tls_insecure")
    class EndpointsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class CatalogEndpointsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    POD_AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    DC_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    TLS_INSECURE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    az_name: str
    pod_az_name: str
    dc_name: str
    state: PodState
    endpoints: _containers.ScalarMap[str, str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    catalog_endpoints: _containers.ScalarMap[str, str]
    tls_insecure: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., az_name: _Optional[str] = ..., pod_az_name: _Optional[str] = ..., dc_name: _Optional[str] = ..., state: _Optional[_Union[PodState, str]] = ..., endpoints: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., catalog_endpoints: _Optional[_Mapping[str, str]] = ..., tls_insecure: _Optional[bool] = ...) -> None: ...

class CreatePodRequest(_message.Message):
    __slots__ = ("pod",)
    POD_FIELD_NUMBER: _ClassVar[int]
    pod: Pod
    def __init__(self, pod: _Optional[_Union[Pod, _Mapping]] = ...) -> None: ...

class GetPodRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListPodsRequest(_message.Message):
    __slots__ = ("az_name",)
    AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    az_name: str
    def __init__(self, az_name: _Optional[str] = ...) -> None: ...

class ListPodsResponse(_message.Message):
    __slots__ = ("pods",)
    PODS_FIELD_NUMBER: _ClassVar[int]
    pods: _containers.RepeatedCompositeFieldContainer[Pod]
    def __init__(self, pods: _Optional[_Iterable[_Union[Pod, _Mapping]]] = ...) -> None: ...

class UpdatePodRequest(_message.Message):
    __slots__ = ("name", "state", "az_name", "pod_az_name", "dc_name", "set_endpoints", "remove_endpoints", "tls_insecure")
    class SetEndpointsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    POD_AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    DC_NAME_FIELD_NUMBER: _ClassVar[int]
    SET_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    TLS_INSECURE_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: PodState
    az_name: str
    pod_az_name: str
    dc_name: str
    set_endpoints: _containers.ScalarMap[str, str]
    remove_endpoints: _containers.RepeatedScalarFieldContainer[str]
    tls_insecure: bool
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[PodState, str]] = ..., az_name: _Optional[str] = ..., pod_az_name: _Optional[str] = ..., dc_name: _Optional[str] = ..., set_endpoints: _Optional[_Mapping[str, str]] = ..., remove_endpoints: _Optional[_Iterable[str]] = ..., tls_insecure: _Optional[bool] = ...) -> None: ...

class DeletePodRequest(_message.Message):
    __slots__ = ("name", "force")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    force: bool
    def __init__(self, name: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class Binding(_message.Message):
    __slots__ = ("id", "project_id", "az_name", "pod_name", "active", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    az_name: str
    pod_name: str
    active: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., az_name: _Optional[str] = ..., pod_name: _Optional[str] = ..., active: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateBindingRequest(_message.Message):
    __slots__ = ("project_id", "pod_name")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    pod_name: str
    def __init__(self, project_id: _Optional[str] = ..., pod_name: _Optional[str] = ...) -> None: ...

class ListBindingsRequest(_message.Message):
    __slots__ = ("project_id", "pod_name", "active_only")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    pod_name: str
    active_only: bool
    def __init__(self, project_id: _Optional[str] = ..., pod_name: _Optional[str] = ..., active_only: _Optional[bool] = ...) -> None: ...

class ListBindingsResponse(_message.Message):
    __slots__ = ("bindings",)
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    bindings: _containers.RepeatedCompositeFieldContainer[Binding]
    def __init__(self, bindings: _Optional[_Iterable[_Union[Binding, _Mapping]]] = ...) -> None: ...

class DeleteBindingRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class Routing(_message.Message):
    __slots__ = ("resource_id", "resource_type", "project_id", "pod_name", "created_at", "updated_at")
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    resource_id: str
    resource_type: str
    project_id: str
    pod_name: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., resource_type: _Optional[str] = ..., project_id: _Optional[str] = ..., pod_name: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRoutingsRequest(_message.Message):
    __slots__ = ("project_id", "pod_name", "resource_type", "page_size", "page_token")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    pod_name: str
    resource_type: str
    page_size: int
    page_token: str
    def __init__(self, project_id: _Optional[str] = ..., pod_name: _Optional[str] = ..., resource_type: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRoutingsResponse(_message.Message):
    __slots__ = ("routings", "next_page_token")
    ROUTINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    routings: _containers.RepeatedCompositeFieldContainer[Routing]
    next_page_token: str
    def __init__(self, routings: _Optional[_Iterable[_Union[Routing, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetRoutingRequest(_message.Message):
    __slots__ = ("resource_type", "resource_id")
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    resource_type: str
    resource_id: str
    def __init__(self, resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ...) -> None: ...

class DeleteRoutingRequest(_message.Message):
    __slots__ = ("resource_type", "resource_id")
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    resource_type: str
    resource_id: str
    def __init__(self, resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Status(_message.Message):
    __slots__ = ("pods", "proxies")
    PODS_FIELD_NUMBER: _ClassVar[int]
    PROXIES_FIELD_NUMBER: _ClassVar[int]
    pods: _containers.RepeatedCompositeFieldContainer[PodStatus]
    proxies: _containers.RepeatedCompositeFieldContainer[ProxyStatus]
    def __init__(self, pods: _Optional[_Iterable[_Union[PodStatus, _Mapping]]] = ..., proxies: _Optional[_Iterable[_Union[ProxyStatus, _Mapping]]] = ...) -> None: ...

class PodStatus(_message.Message):
    __slots__ = ("pod", "routings", "shared_drift", "pod_auth")
    POD_FIELD_NUMBER: _ClassVar[int]
    ROUTINGS_FIELD_NUMBER: _ClassVar[int]
    SHARED_DRIFT_FIELD_NUMBER: _ClassVar[int]
    POD_AUTH_FIELD_NUMBER: _ClassVar[int]
    pod: Pod
    routings: int
    shared_drift: _containers.RepeatedScalarFieldContainer[str]
    pod_auth: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, pod: _Optional[_Union[Pod, _Mapping]] = ..., routings: _Optional[int] = ..., shared_drift: _Optional[_Iterable[str]] = ..., pod_auth: _Optional[_Iterable[str]] = ...) -> None: ...

class ProxyStatus(_message.Message):
    __slots__ = ("node_id", "configs")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIGS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    configs: _containers.RepeatedCompositeFieldContainer[ConfigStatus]
    def __init__(self, node_id: _Optional[str] = ..., configs: _Optional[_Iterable[_Union[ConfigStatus, _Mapping]]] = ...) -> None: ...

class ConfigStatus(_message.Message):
    __slots__ = ("type", "current_version", "acked_version", "nack")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACKED_VERSION_FIELD_NUMBER: _ClassVar[int]
    NACK_FIELD_NUMBER: _ClassVar[int]
    type: str
    current_version: str
    acked_version: str
    nack: str
    def __init__(self, type: _Optional[str] = ..., current_version: _Optional[str] = ..., acked_version: _Optional[str] = ..., nack: _Optional[str] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("since", "page_size")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    page_size: int
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("id", "time", "who", "peer", "action", "target", "before", "after")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    WHO_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    id: int
    time: _timestamp_pb2.Timestamp
    who: str
    peer: str
    action: str
    target: str
    before: str
    after: str
    def __init__(self, id: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., who: _Optional[str] = ..., peer: _Optional[str] = ..., action: _Optional[str] = ..., target: _Optional[str] = ..., before: _Optional[str] = ..., after: _Optional[str] = ...) -> None: ...
