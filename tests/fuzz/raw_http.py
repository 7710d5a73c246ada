"""An HTTP/1.1 client that sends whatever it is given: any method token, path bytes or body.

urllib and http.client refuse control characters and odd methods before anything is sent;
the gateway must answer those too, so requests are written to the socket as raw bytes.
"""

import http.client
import socket
from dataclasses import dataclass

__all__ = ["NO_ANSWER", "RawAnswer", "RawRequest", "send"]

NO_ANSWER = 0
_BODY_SHOWN = 200


@dataclass(frozen=True, slots=True)
class RawRequest:
    """One request as bytes on the wire (the head's lines come out exactly as given)."""

    method: bytes
    target: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""

    def wire(self, authority: bytes) -> bytes:
        lines = [self.method + b" " + self.target + b" HTTP/1.1", b"host: " + authority]
        lines += [name + b": " + value for name, value in self.headers]
        if self.body or self.method in (b"POST", b"PUT", b"PATCH"):
            lines.append(b"content-length: " + str(len(self.body)).encode())
        lines.append(b"connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body

    def __repr__(self) -> str:
        body = self.body[:_BODY_SHOWN]
        more = f"...(+{len(self.body) - _BODY_SHOWN} bytes)" if len(self.body) > _BODY_SHOWN else ""
        return (
            f"RawRequest(method={self.method!r}, target={self.target!r}, "
            f"headers={self.headers!r}, body={body!r}{more})"
        )


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """Status (NO_ANSWER when the connection closed first), lower-case headers and body."""

    status: int
    headers: dict[str, str]
    body: bytes


def send(port: int, request: RawRequest, timeout: float = 15.0) -> RawAnswer:
    """Send `request` to 127.0.0.1:`port` on a new connection and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request.wire(f"127.0.0.1:{port}".encode()))
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (e.g. 413) before the body was read: the answer may still be there
        response = http.client.HTTPResponse(sock, method=request.method.decode("latin-1"))
        try:
            response.begin()
            body = response.read()
        except (http.client.HTTPException, ConnectionResetError):
            return RawAnswer(NO_ANSWER, {}, b"")
        headers = {name.lower(): value for name, value in response.getheaders()}
        return RawAnswer(response.status, headers, body)
