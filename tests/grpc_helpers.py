"""Reading google.rpc.Status / ErrorInfo out of a failed call."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def error_info(exc: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(exc)
    assert status is not None, "call failed without a google.rpc.Status"
    infos = [d for d in status.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
    assert len(infos) == 1, f"expected exactly one ErrorInfo, got {len(infos)}"
    info = error_details_pb2.ErrorInfo()
    infos[0].Unpack(info)
    return info
