"""A loopback HTTP proxy that loses answers on purpose: it forwards each request to the emulator
and, for the first `times` requests naming `action`, drops the emulator's answer (the client's
connection is closed with nothing sent), as a connection that breaks after the server has done
the work would. The client's SDK then sees a connection error and retries the request.

It relies on the emulator closing every connection after its answer (werkzeug's server sends
`Connection: close` on every response), so one client connection carries one request.
"""
from __future__ import annotations

import socket
import threading


def read_request(connection: socket.socket) -> bytes:
    """One HTTP request: the header block, then Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class LossyProxy:
    """`with LossyProxy(upstream_port, "AuthorizeSecurityGroupEgress") as proxy:` - point the
    client at proxy.url; proxy.dropped counts the answers it lost."""

    def __init__(self, upstream_port: int, action: str, times: int = 1):
        self.upstream_port = upstream_port
        self.marker = f"Action={action}&".encode()
        self.remaining = times
        self.dropped = 0
        self.forwarded = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def __enter__(self) -> "LossyProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.listener.close()

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return   # closed
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client: socket.socket) -> None:
        with client:
            request = read_request(client)
            if not request:
                return
            with socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
                upstream.sendall(request)
                answer = b""
                while chunk := upstream.recv(65536):
                    answer += chunk
            with self.lock:
                drop = self.marker in request + b"&" and self.remaining > 0
                if drop:
                    self.remaining -= 1
                    self.dropped += 1
                else:
                    self.forwarded += 1
            if drop:
                client.shutdown(socket.SHUT_RDWR)   # the work is done; the answer never arrives
                return
            client.sendall(answer)
