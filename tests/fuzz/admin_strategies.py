"""Hypothesis strategies for the admin API: gRPC requests with hostile field values, REST bodies."""

import json

from hypothesis import strategies as st

from podgate_api.admin.v1 import admin_pb2
from tests.fuzz.raw_http import RawRequest

__all__ = ["admin_calls", "rest_requests"]

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_NAMES = st.one_of(
    st.sampled_from(("pod1", "pod2", "fz-a", "fz-b", "", " ", "pod1 ", "a" * 300, "../x")),
    _TEXT,
)
_AZS = st.one_of(st.sampled_from(("az-east", "az-west", "az-new", "", "\x00")), _TEXT)
_SERVICES = st.sampled_from(("compute", "volumev3", "image", "", "COMPUTE", "x" * 100))
_URLS = st.one_of(
    st.sampled_from(
        (
            "http://127.0.0.1:1/compute/v2.1", "http://127.0.0.1:1/volume/v3/$(project_id)s",
            "https://[::1]:8776/v3/$(project_id)s", "http://host:99999/", "ftp://x/", "http://",
            "http://user:pw@h/", "http://h/$(tenant_id)s", "http://h:80/a b", "", "not a url",
            "http://h/\x00", "http://" + "h" * 300 + "/",
        )
    ),
    _TEXT,
)  # fmt: skip
_ENDPOINTS = st.dictionaries(_SERVICES, _URLS, max_size=3)
_STATES = st.sampled_from((*admin_pb2.PodState.values(), 7, -1))
_PROJECTS = st.one_of(st.sampled_from(("fuzzproject1", "", "p" * 65, "a/b")), _TEXT)
_TYPES = st.sampled_from(("server", "volume", "snapshot", "backup", "", "pod", "SERVER"))
_IDS = st.one_of(st.uuids().map(str), _TEXT)


def _pod() -> st.SearchStrategy[admin_pb2.Pod]:
    return st.builds(
        admin_pb2.Pod,
        name=_NAMES,
        az_name=_AZS,
        pod_az_name=_AZS,
        dc_name=_TEXT,
        state=_STATES,
        endpoints=_ENDPOINTS,
    )


def _update() -> st.SearchStrategy[admin_pb2.UpdatePodRequest]:
    optional = st.fixed_dictionaries(
        {"name": _NAMES},
        optional={
            "state": _STATES,
            "az_name": _AZS,
            "pod_az_name": _AZS,
            "dc_name": _TEXT,
            "set_endpoints": _ENDPOINTS,
            "remove_endpoints": st.lists(_SERVICES, max_size=3),
        },
    )
    return optional.map(lambda fields: admin_pb2.UpdatePodRequest(**fields))


def admin_calls() -> st.SearchStrategy[tuple[str, object]]:
    """(PodAdmin method name, request) pairs."""
    calls = {
        "CreatePod": _pod().map(lambda pod: admin_pb2.CreatePodRequest(pod=pod)),
        "GetPod": st.builds(admin_pb2.GetPodRequest, name=_NAMES),
        "ListPods": st.builds(admin_pb2.ListPodsRequest, az_name=_AZS),
        "UpdatePod": _update(),
        "DeletePod": st.builds(admin_pb2.DeletePodRequest, name=_NAMES, force=st.booleans()),
        "CreateBinding": st.builds(
            admin_pb2.CreateBindingRequest, project_id=_PROJECTS, pod_name=_NAMES
        ),
        "ListBindings": st.builds(
            admin_pb2.ListBindingsRequest,
            project_id=_PROJECTS,
            pod_name=_NAMES,
            active_only=st.booleans(),
        ),
        "DeleteBinding": st.builds(admin_pb2.DeleteBindingRequest, id=_IDS),
        "ListRoutings": st.builds(
            admin_pb2.ListRoutingsRequest,
            project_id=_PROJECTS,
            pod_name=_NAMES,
            resource_type=_TYPES,
            page_size=st.integers(-(2**31), 2**31 - 1),
            page_token=st.one_of(_TEXT, st.sampled_from(("0", "-1", "eyJ4IjoxfQ==", "%%%"))),
        ),
        "GetRouting": st.builds(
            admin_pb2.GetRoutingRequest, resource_type=_TYPES, resource_id=_IDS
        ),
        "DeleteRouting": st.builds(
            admin_pb2.DeleteRoutingRequest, resource_type=_TYPES, resource_id=_IDS
        ),
        "GetStatus": st.just(admin_pb2.GetStatusRequest()),
    }
    named = (request.map(lambda r, m=method: (m, r)) for method, request in calls.items())
    return st.one_of(*named)


_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), _TEXT)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_POD_FIELDS = st.dictionaries(
    st.sampled_from(("pod_name", "az_name", "pod_az_name", "dc_name", "pod_id", "x")),
    _JSON_SCALARS | _NAMES,
    max_size=5,
)
_BINDING_FIELDS = st.dictionaries(
    st.sampled_from(("tenant_id", "pod_id", "is_binding", "id", "created_at")),
    _JSON_SCALARS | _IDS,
    max_size=4,
)


def rest_requests(pod_ids: tuple[str, ...]) -> st.SearchStrategy[RawRequest]:
    """Requests to Trio2o's /v1.0 admin REST API on Envoy."""
    ids = st.one_of(st.sampled_from(pod_ids), _IDS.map(lambda text: text.encode().hex()[:64]))
    paths = st.one_of(
        st.sampled_from(("/v1.0/pods", "/v1.0/bindings", "/v1.0", "/", "/v1.0/pods/", "/v2")),
        ids.map("/v1.0/pods/{}".format),
        ids.map("/v1.0/bindings/{}".format),
        st.sampled_from(("/v1.0/pods/%2e%2e", "/v1.0/pods/a/b", "/v1.0/bindings/%00")),
    )
    documents = st.one_of(
        _POD_FIELDS.map(lambda fields: {"pod": fields}),
        _BINDING_FIELDS.map(lambda fields: {"pod_binding": fields}),
        _JSON,
    )
    bodies = st.one_of(
        documents.map(lambda doc: json.dumps(doc).encode()),
        st.sampled_from((b"", b"{", b"[]", b"null", b'{"pod": "x"}', b"\xff", b"{" * 500)),
    )
    methods = st.sampled_from((b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"HEAD"))
    content_types = st.sampled_from((b"application/json", b"text/plain", b"application/grpc"))
    return st.builds(
        lambda method, path, body, content_type: RawRequest(
            method, path.encode(), ((b"content-type", content_type),), body
        ),
        methods,
        paths,
        bodies,
        content_types,
    )
