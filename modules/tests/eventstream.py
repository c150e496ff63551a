"""AWS's event-stream wire format (application/vnd.amazon.eventstream), written by local fakes of streaming
APIs (Bedrock's ConverseStream) so boto3 clients read them as they read AWS."""
from __future__ import annotations

import json
import struct
import zlib

STRING = 7  # header value type


def _header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    return (struct.pack("!B", len(encoded_name)) + encoded_name + struct.pack("!BH", STRING, len(encoded_value))
            + encoded_value)


def event_message(event_type: str, payload: dict) -> bytes:
    """One event of a stream: `event_type` ("contentBlockDelta", ...) with its JSON payload."""
    headers = (_header(":event-type", event_type) + _header(":content-type", "application/json")
               + _header(":message-type", "event"))
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack("!II", total, len(headers))
    message = prelude + struct.pack("!I", zlib.crc32(prelude)) + headers + body
    return message + struct.pack("!I", zlib.crc32(message))
