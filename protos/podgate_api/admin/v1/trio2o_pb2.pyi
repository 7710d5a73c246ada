import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Trio2oPod(_message.Message):
    __slots__ = ("pod_id", "pod_name", "pod_az_name", "dc_name", "az_name")
    POD_ID_FIELD_NUMBER: _ClassVar[int]
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    POD_AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    DC_NAME_FIELD_NUMBER: _ClassVar[int]
    AZ_NAME_FIELD_NUMBER: _ClassVar[int]
    pod_id: str
    pod_name: str
    pod_az_name: str
    dc_name: str
    az_name: str
    def __init__(self, pod_id: _Optional[str] = ..., pod_name: _Optional[str] = ..., pod_az_name: _Optional[str] = ..., dc_name: _Optional[str] = ..., az_name: _Optional[str] = ...) -> None: ...

class CreateTrio2oPodRequest(_message.Message):
    __slots__ = ("pod",)
    POD_FIELD_NUMBER: _ClassVar[int]
    pod: Trio2oPod
    def __init__(self, pod: _Optional[_Union[Trio2oPod, _Mapping]] = ...) -> None: ...

class Trio2oPodReply(_message.Message):
    __slots__ = ("pod",)
    POD_FIELD_NUMBER: _ClassVar[int]
    pod: Trio2oPod
    def __init__(self, pod: _Optional[_Union[Trio2oPod, _Mapping]] = ...) -> None: ...

class ListTrio2oPodsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTrio2oPodsReply(_message.Message):
    __slots__ = ("pods",)
    PODS_FIELD_NUMBER: _ClassVar[int]
    pods: _containers.RepeatedCompositeFieldContainer[Trio2oPod]
    def __init__(self, pods: _Optional[_Iterable[_Union[Trio2oPod, _Mapping]]] = ...) -> None: ...

class GetTrio2oPodRequest(_message.Message):
    __slots__ = ("pod_id",)
    POD_ID_FIELD_NUMBER: _ClassVar[int]
    pod_id: str
    def __init__(self, pod_id: _Optional[str] = ...) -> None: ...

class DeleteTrio2oPodRequest(_message.Message):
    __slots__ = ("pod_id",)
    POD_ID_FIELD_NUMBER: _ClassVar[int]
    pod_id: str
    def __init__(self, pod_id: _Optional[str] = ...) -> None: ...

class Trio2oPodBinding(_message.Message):
    __slots__ = ("id", "tenant_id", "pod_id", "is_binding", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    POD_ID_FIELD_NUMBER: _ClassVar[int]
    IS_BINDING_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    pod_id: str
    is_binding: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., pod_id: _Optional[str] = ..., is_binding: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateTrio2oBindingRequest(_message.Message):
    __slots__ = ("pod_binding",)
    POD_BINDING_FIELD_NUMBER: _ClassVar[int]
    pod_binding: Trio2oPodBinding
    def __init__(self, pod_binding: _Optional[_Union[Trio2oPodBinding, _Mapping]] = ...) -> None: ...

class Trio2oBindingReply(_message.Message):
    __slots__ = ("pod_binding",)
    POD_BINDING_FIELD_NUMBER: _ClassVar[int]
    pod_binding: Trio2oPodBinding
    def __init__(self, pod_binding: _Optional[_Union[Trio2oPodBinding, _Mapping]] = ...) -> None: ...

class ListTrio2oBindingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTrio2oBindingsReply(_message.Message):
    __slots__ = ("pod_bindings",)
    POD_BINDINGS_FIELD_NUMBER: _ClassVar[int]
    pod_bindings: _containers.RepeatedCompositeFieldContainer[Trio2oPodBinding]
    def __init__(self, pod_bindings: _Optional[_Iterable[_Union[Trio2oPodBinding, _Mapping]]] = ...) -> None: ...

class GetTrio2oBindingRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteTrio2oBindingRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...
