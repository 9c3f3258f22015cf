"""Protocol-buffer wire format by hand, for the batch stream's hot path: a
cached answer's bytes are spliced into each item's result instead of copying
messages field by field (several times faster in Python). The layout is that
of StreamTranslateResponse; tests compare it with the message classes."""

from __future__ import annotations

import grpc

_SMALL = [bytes([n]) for n in range(128)]


def varint(n: int) -> bytes:
    if n < 0x80:
        return _SMALL[n]
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def length_delimited(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def item_result(request_id: str, position: int, result_field: bytes) -> bytes:
    """A TranslateItemResult (request_id = 1, index = 2, then the serialized field of
    its result), framed as one element of StreamTranslateResponse.results (field 1)."""
    rid = request_id.encode()
    head = (b"\x0a" + varint(len(rid)) + rid if rid else b"") + (b"\x10" + varint(position) if position else b"")
    return b"\x0a" + varint(len(head) + len(result_field)) + head + result_field


def add_servicer(server, service: str, methods: dict) -> None:
    """Register `service` as the generated add_*Servicer_to_server does, from
    {name: (behaviour, request class, response class or None)}: methods named Stream*
    are stream-stream, the others unary; None as the response class means the
    servicer returns serialized bytes."""
    handlers = {}
    for name, (behaviour, request, response) in methods.items():
        stream = name.startswith("Stream")
        make = grpc.stream_stream_rpc_method_handler if stream else grpc.unary_unary_rpc_method_handler
        handlers[name] = make(behaviour, request_deserializer=request.FromString,
                              response_serializer=response.SerializeToString if response else None)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
    server.add_registered_method_handlers(service, handlers)
