"""Small HTTP servers on 127.0.0.1 (threads in the calling process) and the forwarding a proxy in front of an app
does: hop-by-hop headers dropped, bodies passed on as they arrive, websockets tunnelled."""
from __future__ import annotations

import http.client
import json
import select
import socket
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

# Hop-by-hop headers belong to one connection and are never forwarded by a proxy (RFC 9110).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}
UPSTREAM_TIMEOUT_SECONDS = 300  # a model call behind an app may take minutes (its own timeouts are shorter)


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: object, **headers: str) -> None:
    """Answer a request with a JSON body (and any extra headers)."""
    body = json.dumps(payload).encode()
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up between requests (a keep-alive connection closed) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    """An HTTP server on 127.0.0.1:`port` (0: a free one): bound when made, served from a thread inside `with`,
    stopped at its end."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._http = _LoopbackServer(("127.0.0.1", port), handler)
        self.port = self._http.server_port
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)


def forward(handler: BaseHTTPRequestHandler, port: int, *, keep_host: bool = False,
            add_headers: Mapping[str, str] | None = None, drop_headers: frozenset[str] = frozenset()) -> None:
    """Sends the handler's request to 127.0.0.1:`port` and its answer back, streamed (a server-sent event stream
    arrives piece by piece). `keep_host`: the Host header goes on unchanged (as the load balancer does; apps build
    their own links from it); headers the client sent that `drop_headers` or `add_headers` name do not go on,
    `add_headers` do."""
    dropped = HOP_BY_HOP | drop_headers | {name.lower() for name in (add_headers or {})} | {"content-length"}
    if not keep_host:
        dropped |= {"host"}
    headers = [(name, value) for name, value in handler.headers.items() if name.lower() not in dropped]
    headers += list((add_headers or {}).items())
    if handler.headers.get("Upgrade", "").lower() == "websocket":
        _tunnel(handler, port, headers)
        return
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else None
    upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=UPSTREAM_TIMEOUT_SECONDS)
    try:
        try:
            upstream.putrequest(handler.command, handler.path, skip_host=keep_host, skip_accept_encoding=True)
            for name, value in headers:
                upstream.putheader(name, value)
            if body is not None:
                upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            answer = upstream.getresponse()
        except OSError as error:
            message = f"the app behind this address (127.0.0.1:{port}) is not answering: {error}"
            send_json(handler, 502, {"detail": message})
            return
        handler.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP | {"content-length"}:
                handler.send_header(name, value)
        if answer.status in (204, 304) or handler.command == "HEAD":  # no body, by definition
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while piece := answer.read1(65536):
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
    except OSError:
        handler.close_connection = True  # the app or the client went away mid-answer: the connection ends
    finally:
        upstream.close()


def _tunnel(handler: BaseHTTPRequestHandler, port: int, headers: list[tuple[str, str]]) -> None:
    """A websocket (Streamlit's session): the upgrade request goes on with `headers`, then bytes flow both ways
    until either side closes."""
    handler.close_connection = True
    with socket.create_connection(("127.0.0.1", port), timeout=10) as upstream:
        request = [f"{handler.command} {handler.path} HTTP/1.1", *(f"{n}: {v}" for n, v in headers),
                   "Connection: Upgrade", "Upgrade: websocket"]
        upstream.sendall(("\r\n".join(request) + "\r\n\r\n").encode("latin-1"))
        upstream.settimeout(None)
        client = handler.connection
        handler.wfile.flush()
        sockets = [client, upstream]
        while True:
            readable, _, _ = select.select(sockets, [], [], 60)
            for source in readable:
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    return
                (upstream if source is client else client).sendall(data)
