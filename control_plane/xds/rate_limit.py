"""Envoy's local rate limit, one token bucket per project named in the request path."""

from envoy.config.core.v3 import base_pb2, extension_pb2
from envoy.config.route.v3 import route_components_pb2
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.extensions.filters.http.local_ratelimit.v3 import local_rate_limit_pb2
from envoy.extensions.rate_limit_descriptors.expr.v3 import expr_pb2
from envoy.type.v3 import percent_pb2, token_bucket_pb2
from google.protobuf import wrappers_pb2

from control_plane.xds.inputs import XdsInputs
from control_plane.xds.pb import any_of as _any
from control_plane.xds.pb import duration as _duration

__all__ = ["RATE_LIMIT_FILTER", "RETRY_AFTER_S", "project_rate_limit"]

RATE_LIMIT_FILTER = "envoy.filters.http.local_ratelimit"
# Buckets refill every second, so a refused client may try again after one.
RETRY_AFTER_S = 1
_KEY = "project"
# `/v2.1/{project}/...`, `/v3/{project}/...`: the second segment. Paths without one (version
# documents) fail to match and skip the descriptor, so they are not limited.
_PROJECT_OF_PATH = r"re.extract(request.path, '^/[^/]+/([^/?]+)', '\\1')"


def project_rate_limit(inputs: XdsInputs) -> local_rate_limit_pb2.LocalRateLimit:
    """A bucket of `project_burst` tokens per project, refilled by `project_rate_per_s` a second.

    The descriptor's empty value makes each project's bucket dynamic: Envoy keeps one per project
    it has seen, at most `rate_limited_projects`, dropping the least recently used.
    """
    always = base_pb2.RuntimeFractionalPercent(
        default_value=percent_pb2.FractionalPercent(
            numerator=100, denominator=percent_pb2.FractionalPercent.HUNDRED
        )
    )
    project = expr_pb2.Descriptor(descriptor_key=_KEY, text=_PROJECT_OF_PATH, skip_if_error=True)
    action = route_components_pb2.RateLimit.Action(
        extension=extension_pb2.TypedExtensionConfig(
            name="envoy.rate_limit_descriptors.expr", typed_config=_any(project)
        )
    )
    bucket = token_bucket_pb2.TokenBucket(
        max_tokens=max(inputs.project_burst, inputs.project_rate_per_s),
        tokens_per_fill=wrappers_pb2.UInt32Value(value=inputs.project_rate_per_s),
        fill_interval=_duration(RETRY_AFTER_S),
    )
    retry_after = base_pb2.HeaderValueOption(
        header=base_pb2.HeaderValue(key="retry-after", value=str(RETRY_AFTER_S)),
        append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD,
    )
    return local_rate_limit_pb2.LocalRateLimit(
        stat_prefix="project_rate_limit",
        filter_enabled=always,
        filter_enforced=always,
        descriptors=[
            ratelimit_pb2.LocalRateLimitDescriptor(
                entries=[ratelimit_pb2.RateLimitDescriptor.Entry(key=_KEY, value="")],
                token_bucket=bucket,
            )
        ],
        rate_limits=[route_components_pb2.RateLimit(actions=[action])],
        max_dynamic_descriptors=wrappers_pb2.UInt32Value(value=inputs.rate_limited_projects),
        response_headers_to_add=[retry_after],
    )
