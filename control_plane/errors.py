"""Podgate's exception tree; adapters map these to gRPC codes or OpenStack fault bodies.

- PodgateError
  - BadRequest         malformed or invalid input (HTTP 400, gRPC INVALID_ARGUMENT)
  - Unauthorized       no valid token (401, UNAUTHENTICATED)
  - Forbidden          a valid token that may not do this (403, PERMISSION_DENIED)
  - NotFound           the named thing does not exist (404, NOT_FOUND)
  - MethodNotAllowed   a known path asked with a method it does not have (405)
  - NotAcceptable      a microversion outside what every pod supports (406)
  - AlreadyExists      a unique name is taken (409, ALREADY_EXISTS)
  - FailedPrecondition the operation is valid but the current state forbids it (409)
  - PayloadTooLarge    a request body above the configured limit (413)
  - PodUnavailable     no pod can serve the request right now (503, UNAVAILABLE)
"""

import json

from control_plane.model import Service

# Nova's and Cinder's fault names by HTTP status (nova/api/openstack/wsgi.py, cinder likewise).
_FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}


# Neutron's fault types by HTTP status where no finer one is given (neutron-lib exceptions;
# webob's for what its router refuses).
_NEUTRON_TYPES = {
    400: "BadRequest",
    401: "NotAuthorized",
    403: "PolicyNotAuthorized",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    409: "Conflict",
    413: "HTTPRequestEntityTooLarge",
    429: "OverQuota",
    503: "ServiceUnavailable",
}


def fault_name(status: int) -> str:
    """The OpenStack fault key for an HTTP status ("computeFault" when none is specific)."""
    return _FAULT_NAMES.get(status, "computeFault")


def fault_body(
    status: int, message: str, service: Service | None = None, neutron_type: str = ""
) -> bytes:
    """An OpenStack fault body, e.g. {"itemNotFound": {"message": ..., "code": 404}}; on the
    network API Neutron's {"NeutronError": {"type": ..., "message": ..., "detail": ""}}."""
    if service is Service.NETWORK:
        kind = neutron_type or _NEUTRON_TYPES.get(status, "HTTPInternalServerError")
        return json.dumps(
            {"NeutronError": {"type": kind, "message": message, "detail": ""}}
        ).encode()
    return json.dumps({fault_name(status): {"message": message, "code": status}}).encode()


class PodgateError(Exception):
    """Base of every error Podgate raises on purpose."""

    status = 500

    def __init__(self, message: str, *, neutron_type: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        # Neutron's name for it where the network API has a finer one ("NetworkNotFound").
        self.neutron_type = neutron_type
        # For the log line only, never the answer: what operators need (it may name pods).
        self.detail = detail

    def fault(self, service: Service | None = None) -> bytes:
        """This error as the fault body of `service`'s API (Nova's shape when None)."""
        return fault_body(self.status, self.message, service, self.neutron_type)


class BadRequest(PodgateError):
    """Malformed or invalid input."""

    status = 400


class Unauthorized(PodgateError):
    """The request carries no token, or one Keystone does not accept."""

    status = 401


class Forbidden(PodgateError):
    """The caller is known but may not do this."""

    status = 403


class NotFound(PodgateError):
    """The named object does not exist."""

    status = 404


class MethodNotAllowed(PodgateError):
    """A known path asked with a method it does not have."""

    status = 405


class NotAcceptable(PodgateError):
    """A microversion outside what every pod supports (Nova's and Cinder's 406)."""

    status = 406


class AlreadyExists(PodgateError):
    """A unique name or id is already taken."""

    status = 409


class FailedPrecondition(PodgateError):
    """The request is valid but the current state forbids it."""

    status = 409


class PayloadTooLarge(PodgateError):
    """The request body is larger than the gateway accepts."""

    status = 413


class PodUnavailable(PodgateError):
    """No pod can serve the request right now."""

    status = 503
