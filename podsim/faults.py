"""OpenStack fault bodies, `{"itemNotFound": {"message": ..., "code": 404}}`, and their errors.

- Fault        500 computeFault (Nova's and Cinder's name for any status without its own)
  - BadRequest   400 badRequest
  - NotFound     404 itemNotFound
  - BadMethod    405 badMethod
"""

# Fault names by status, as nova/api/openstack/wsgi.py Fault._fault_names (Cinder's are the same).
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


def fault_body(status: int, message: str) -> dict[str, dict[str, object]]:
    """The JSON fault document Nova and Cinder answer with for `status`."""
    return {_FAULT_NAMES.get(status, "computeFault"): {"message": message, "code": status}}


class Fault(Exception):
    """An error the API answers with a fault body instead of a result."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, dict[str, object]]:
        """This error as its fault document."""
        return fault_body(self.status, self.message)


class BadRequest(Fault):
    """The request is malformed or asks for something invalid."""

    status = 400


class NotFound(Fault):
    """The addressed resource does not exist (or belongs to another project)."""

    status = 404


class BadMethod(Fault):
    """The path exists but not with this HTTP method."""

    status = 405
