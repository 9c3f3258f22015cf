"""LabelingService."""

from __future__ import annotations

from server.errors import Unimplemented
from termbridge.v1 import labeling_service_pb2_grpc as pb_grpc


class LabelingServicer(pb_grpc.LabelingServiceServicer):
    def __init__(self, engine) -> None:
        self.engine = engine

    def LabelElements(self, request, context):
        raise Unimplemented("LabelElements")

    def LabelFhirResource(self, request, context):
        raise Unimplemented("LabelFhirResource")

    def StreamLabelElements(self, request_iterator, context):
        raise Unimplemented("StreamLabelElements")
