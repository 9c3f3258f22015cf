"""CurationService."""

from __future__ import annotations

from server.errors import Unimplemented
from termbridge.v1 import curation_service_pb2_grpc as pb_grpc


class CurationServicer(pb_grpc.CurationServiceServicer):
    def __init__(self, engine) -> None:
        self.engine = engine

    def ProposeMappings(self, request, context):
        raise Unimplemented("ProposeMappings")

    def ListReviewQueue(self, request, context):
        raise Unimplemented("ListReviewQueue")

    def ReviewMapping(self, request, context):
        raise Unimplemented("ReviewMapping")

    def PublishMapSet(self, request, context):
        raise Unimplemented("PublishMapSet")

    def DiffMapSet(self, request, context):
        raise Unimplemented("DiffMapSet")

    def ExportMapSet(self, request, context):
        raise Unimplemented("ExportMapSet")

    def ImportMapSet(self, request, context):
        raise Unimplemented("ImportMapSet")
