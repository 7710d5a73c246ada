"""HTTP/2 clients that open streams and never finish them, for availability tests.

Each connection opens as many streams as the server allows at once (its
SETTINGS_MAX_CONCURRENT_STREAMS); a background thread reads every answer so Envoy's
immediate refusals are seen while the other streams stay open.
"""

import selectors
import socket
import threading
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events


@dataclass
class Answer:
    """What one stream received: status, headers and body (status 0: nothing yet)."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    ended: bool = False


class _Connection:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=config)
        self.h2.initiate_connection()
        self.sock.sendall(self.h2.data_to_send())
        self.answers: dict[int, Answer] = {}
        self._await_settings()

    def _await_settings(self) -> None:
        """Read until the server's first SETTINGS arrived (its stream limit is in it)."""
        self.sock.settimeout(10)
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed before its SETTINGS")
            events = self.h2.receive_data(data)
            self.sock.sendall(self.h2.data_to_send())
            if any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events):
                return

    @property
    def room(self) -> int:
        limit = self.h2.remote_settings.max_concurrent_streams
        return limit - self.h2.open_outbound_streams

    def open(self, headers: list[tuple[str, str]]) -> Answer:
        stream_id = self.h2.get_next_available_stream_id()
        self.h2.send_headers(stream_id, headers, end_stream=False)
        self.sock.sendall(self.h2.data_to_send())
        answer = self.answers[stream_id] = Answer()
        return answer

    def read(self) -> bool:
        """Take in what arrived; False once the server closed the connection."""
        data = self.sock.recv(65536)
        if not data:
            return False
        for event in self.h2.receive_data(data):
            answer = self.answers.get(getattr(event, "stream_id", 0))
            if answer is None:
                continue
            if isinstance(event, h2.events.ResponseReceived):
                answer.headers = dict(event.headers)
                answer.status = int(answer.headers[":status"])
            elif isinstance(event, h2.events.DataReceived):
                answer.body += event.data
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                answer.ended = True
        self.sock.sendall(self.h2.data_to_send())
        return True


class HeldRequests:
    """`count` requests whose headers promise a body that never comes, over as few HTTP/2
    connections as the server allows; every answer is collected while the rest stay open."""

    def __init__(self, port: int, headers: list[tuple[str, str]], count: int) -> None:
        self.connections: list[_Connection] = []
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        while len(self.answers) < count:
            connection = _Connection(port)
            self.connections.append(connection)
            with self._lock:
                for _ in range(min(connection.room, count - len(self.answers))):
                    self.answers.append(connection.open(headers))
            connection.sock.setblocking(False)
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.1):
                with self._lock:
                    try:
                        alive = key.data.read()
                    except (BlockingIOError, ConnectionError):
                        alive = True
                if not alive:
                    self._selector.unregister(key.fileobj)

    def statuses(self) -> list[int]:
        """Each request's status so far (0: no answer yet, still held)."""
        with self._lock:
            return [answer.status for answer in self.answers]

    def close(self) -> None:
        self._stop.set()
        self._reader.join()
        for connection in self.connections:
            connection.sock.close()
