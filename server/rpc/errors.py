"""The one interceptor that turns domain errors into google.rpc.Status with an
ErrorInfo. Unexpected errors become INTERNAL; only the exception type and the
method are logged, never request content."""

from __future__ import annotations

import logging

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from server.errors import DOMAIN, TermbridgeError

log = logging.getLogger("termbridge.rpc")


def to_status(exc: TermbridgeError) -> status_pb2.Status:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=exc.reason, domain=DOMAIN, metadata=exc.metadata))
    return status_pb2.Status(code=code_pb2.Code.Value(exc.code), message=exc.message, details=[detail])


def internal_status(method: str) -> status_pb2.Status:
    return to_status(TermbridgeError("INTERNAL", "internal error; see server log", method=method))


def _abort(context: grpc.ServicerContext, status: status_pb2.Status) -> None:
    context.abort_with_status(rpc_status.to_status(status))


def _guard(behavior, method: str, streaming_response: bool):
    def call(request, context):
        try:
            return behavior(request, context)
        except TermbridgeError as exc:
            _abort(context, to_status(exc))
        except Exception as exc:  # noqa: BLE001 - last line of defense
            if isinstance(exc, grpc.RpcError) or context.code() is not None:
                raise
            log.error("unhandled %s in %s", type(exc).__name__, method)
            _abort(context, internal_status(method))

    def stream(request, context):
        try:
            yield from behavior(request, context)
        except TermbridgeError as exc:
            _abort(context, to_status(exc))
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, grpc.RpcError) or context.code() is not None:
                raise
            log.error("unhandled %s in %s", type(exc).__name__, method)
            _abort(context, internal_status(method))

    return stream if streaming_response else call


class ErrorInterceptor(grpc.ServerInterceptor):
    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        kinds = {
            "unary_unary": grpc.unary_unary_rpc_method_handler,
            "unary_stream": grpc.unary_stream_rpc_method_handler,
            "stream_unary": grpc.stream_unary_rpc_method_handler,
            "stream_stream": grpc.stream_stream_rpc_method_handler,
        }
        for attr, make in kinds.items():
            behavior = getattr(handler, attr)
            if behavior is not None:
                return make(_guard(behavior, method, handler.response_streaming),
                            request_deserializer=handler.request_deserializer,
                            response_serializer=handler.response_serializer)
        return handler
