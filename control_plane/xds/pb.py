"""Small protobuf helpers every xDS builder uses."""

from envoy.config.core.v3 import address_pb2, config_source_pb2
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message

__all__ = ["ADS", "any_of", "duration", "socket_address"]

# Every dynamic resource comes over the one ADS stream.
ADS = config_source_pb2.ConfigSource(
    ads=config_source_pb2.AggregatedConfigSource(),
    resource_api_version=config_source_pb2.ApiVersion.V3,
)


def socket_address(host: str, port: int) -> address_pb2.Address:
    return address_pb2.Address(
        socket_address=address_pb2.SocketAddress(address=host, port_value=port)
    )


def duration(seconds: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(seconds * 1_000_000_000))
    return duration


def any_of(message: Message) -> any_pb2.Any:
    """Pack deterministically so equal configs hash to equal versions in every process."""
    packed = any_pb2.Any()
    packed.Pack(message, deterministic=True)
    return packed
