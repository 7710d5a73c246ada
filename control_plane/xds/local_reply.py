"""Envoy's own error replies rewritten as OpenStack faults."""

from envoy.config.accesslog.v3 import accesslog_pb2 as accesslog
from envoy.config.core.v3 import (
    base_pb2,
)
from envoy.config.core.v3 import substitution_format_string_pb2 as substitution
from envoy.extensions.access_loggers.filters.cel.v3 import cel_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import (
    http_connection_manager_pb2 as hcm,
)
from google.protobuf import struct_pb2

from control_plane.errors import fault_name
from control_plane.xds.pb import any_of as _any
from control_plane.xds.rate_limit import RETRY_AFTER_S

__all__ = ["local_reply_config"]

# Statuses with a specific OpenStack fault name; any other error status becomes computeFault.
_MAPPED_STATUSES = (400, 404, 413, 503)
# A pod that is ejected, failing health checks, refusing or dropping connections.
_POD_DOWN_FLAGS = ("UH", "UF", "UC", "URX", "UO")
# Users see zones, not pods (the access log names the cluster).
_POD_DOWN_MESSAGE = (
    "The availability zone serving this request is not available now: %LOCAL_REPLY_BODY%."
)
_NO_CLUSTER_MESSAGE = "The availability zone for this request is not available now."
_NO_DECISION_MESSAGE = "The gateway cannot place this request right now; try again later."
_BAD_PATH_MESSAGE = "The request path is not valid."
# Nova's words for a rate-limited request.
_RATE_LIMITED_MESSAGE = "This request was rate-limited."


def local_reply_config() -> hcm.LocalReplyConfig:
    """Envoy's own error replies as OpenStack faults; the first matching mapper wins.

    Only replies Envoy made itself are mapped: those with a response flag (no healthy upstream,
    no cluster, connect failure, rate limited), a reason (codec errors, timeouts) or ext_proc
    failures. The processor's immediate responses carry none of these and already hold a
    complete fault body, so they pass untouched.
    """
    eq, ge = accesslog.ComparisonFilter.EQ, accesslog.ComparisonFilter.GE
    # Envoy's own words here name a cluster (a pod) or nothing, so the message is ours.
    mappers = [
        _fault_mapper(_details_are("path_normalization_failed"), 400, _BAD_PATH_MESSAGE),
        _fault_mapper(_flagged(eq, 503, "NC"), 503, _NO_CLUSTER_MESSAGE),
        _fault_mapper(_flagged(eq, 503, *_POD_DOWN_FLAGS), 503, _POD_DOWN_MESSAGE),
        # The processor is down or slow: a bounded 503, so clients retry as for any outage.
        _fault_mapper(_ext_proc_failed(), 503, _NO_DECISION_MESSAGE, override=True),
        _fault_mapper(
            _details_are("local_rate_limited"), 429, _RATE_LIMITED_MESSAGE, retry_after=True
        ),
    ]
    mappers += [_fault_mapper(_envoys_own(eq, status), status) for status in _MAPPED_STATUSES]
    mappers.append(_fault_mapper(_envoys_own(ge, 400), 500))
    return hcm.LocalReplyConfig(mappers=mappers)


def _envoys_own(op: int, status: int) -> accesslog.AccessLogFilter:
    """Replies Envoy made itself: with a flag, or with a reason (`%RESPONSE_CODE_DETAILS%`,
    e.g. `http1.codec_error` 400, `http1.headers_too_large` 431, `request_header_timeout` 408).
    The processor's immediate responses have neither."""
    any_flag = accesslog.AccessLogFilter(response_flag_filter=accesslog.ResponseFlagFilter())
    a_reason = _cel("response.code_details != ''")
    made_by_envoy = accesslog.AccessLogFilter(
        or_filter=accesslog.OrFilter(filters=[any_flag, a_reason])
    )
    return accesslog.AccessLogFilter(
        and_filter=accesslog.AndFilter(filters=[_status(op, status), made_by_envoy])
    )


def _flagged(op: int, status: int, *flags: str) -> accesslog.AccessLogFilter:
    """Replies whose status compares `op` to `status` and that carry a flag (any, or `flags`)."""
    return accesslog.AccessLogFilter(
        and_filter=accesslog.AndFilter(
            filters=[
                _status(op, status),
                accesslog.AccessLogFilter(
                    response_flag_filter=accesslog.ResponseFlagFilter(flags=flags)
                ),
            ]
        )
    )


def _status(op: int, status: int) -> accesslog.AccessLogFilter:
    """Replies whose status compares `op` to `status`."""
    key = f"podgate.local_reply.{accesslog.ComparisonFilter.Op.Name(op).lower()}_{status}"
    value = base_pb2.RuntimeUInt32(default_value=status, runtime_key=key)
    comparison = accesslog.ComparisonFilter(op=op, value=value)
    return accesslog.AccessLogFilter(
        status_code_filter=accesslog.StatusCodeFilter(comparison=comparison)
    )


def _ext_proc_failed() -> accesslog.AccessLogFilter:
    """The processor errored or timed out: Envoy answers 500/504 with no flag and no body."""
    return _cel("response.code_details.startsWith('ext_proc_error')")


def _details_are(details: str) -> accesslog.AccessLogFilter:
    """Envoy's replies for one reason (`%RESPONSE_CODE_DETAILS%`), e.g. a path it cannot
    normalise (`%00`, encoded slashes), which it answers with an empty 400."""
    return _cel(f"response.code_details == '{details}'")


def _cel(source: str) -> accesslog.AccessLogFilter:
    expression = cel_pb2.ExpressionFilter(expression=source)
    return accesslog.AccessLogFilter(
        extension_filter=accesslog.ExtensionFilter(
            name="envoy.access_loggers.extension_filters.cel", typed_config=_any(expression)
        )
    )


def _fault_mapper(
    matching: accesslog.AccessLogFilter,
    status: int,
    message: str = "%LOCAL_REPLY_BODY%",
    *,
    override: bool = False,
    retry_after: bool = False,
) -> hcm.ResponseMapper:
    """Replace the body of matching replies with the fault for `status`; the code stays
    Envoy's unless `override`; `retry_after` tells the client when to try again."""
    fault = fault_name(status)
    body = struct_pb2.Struct()
    body.update({fault: {"message": message, "code": "%RESPONSE_CODE%"}})
    mapper = hcm.ResponseMapper(
        filter=matching,
        body_format_override=substitution.SubstitutionFormatString(
            json_format=body, content_type="application/json"
        ),
    )
    if override:
        mapper.status_code.value = status
    if retry_after:
        header = base_pb2.HeaderValue(key="retry-after", value=str(RETRY_AFTER_S))
        mapper.headers_to_add.add(
            header=header, append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD
        )
    return mapper
