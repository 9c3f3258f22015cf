"""LabelingService: a thin adapter over the engine's labeler (server.labels).
LabelElements and StreamLabelElements answer with serialized bytes: each
distinct answer is serialized once and spliced after its element's id."""

from __future__ import annotations

from server.errors import InvalidArgument
from server.labels import Context, Element, Labels
from server.labels.labeler import MAX_ELEMENTS, MAX_ID_LENGTH, check_context, check_element, element_errors
from server.labels.model import PSYCHOTHERAPY, SUD_COUNSELING
from server.rpc import wire
from termbridge.v1 import common_pb2, labeling_service_pb2 as pb, labeling_service_pb2_grpc as pb_grpc

SERVICE = "termbridge.v1.LabelingService"
MAX_CACHED_MESSAGES = 200_000
NOTE_TYPE = {pb.NOTE_TYPE_UNSPECIFIED: "", pb.NOTE_TYPE_PSYCHOTHERAPY: PSYCHOTHERAPY,
             pb.NOTE_TYPE_SUD_COUNSELING: SUD_COUNSELING}
PATH = {"exact-code": pb.MATCH_PATH_EXACT_CODE, "code-range": pb.MATCH_PATH_CODE_RANGE,
        "hierarchy-ancestor": pb.MATCH_PATH_HIERARCHY_ANCESTOR, "text-match": pb.MATCH_PATH_TEXT_MATCH,
        "provenance": pb.MATCH_PATH_PROVENANCE, "implied": pb.MATCH_PATH_IMPLIED}
DECISION = {"auto": common_pb2.DECISION_AUTO, "review": common_pb2.DECISION_REVIEW,
            "no_match": common_pb2.DECISION_NO_MATCH}


def _coding(c) -> common_pb2.Coding:
    return common_pb2.Coding(system=c.system, code=c.code, display=c.display) if c else common_pb2.Coding()


def security_labels(labels: Labels) -> pb.SecurityLabels:
    return pb.SecurityLabels(confidentiality=_coding(labels.confidentiality),
                             sensitivity=[_coding(c) for c in labels.sensitivity],
                             policy=[_coding(c) for c in labels.policy], handling=[_coding(c) for c in labels.handling])


def element_labels(labels: Labels, element_id: str = "") -> pb.ElementLabels:
    return pb.ElementLabels(id=element_id, labels=security_labels(labels), decision=DECISION[labels.decision],
                            evidence=[pb.LabelEvidence(label=_coding(e.label), rule=e.rule, value_set=e.value_set,
                                                       value_set_version=e.value_set_version,
                                                       matched=_coding(e.matched), path=PATH[e.path],
                                                       confidence=e.confidence) for e in labels.evidence])


def context_of(message: pb.ProvenanceContext) -> Context:
    return Context(message.part2_program, NOTE_TYPE.get(message.note_type, ""), message.jurisdiction)


def _id_field_end(raw: bytes) -> int:
    """Where an Element's id field (field 1, serialized first) ends; 0 when it has none."""
    if raw[:1] != b"\x0a":
        return 0
    size, shift, pos = 0, 0, 1
    while True:
        byte = raw[pos]
        size |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return pos + size
        shift += 7


def add_labeling_servicer(servicer, server) -> None:
    """As the generated add_LabelingServiceServicer_to_server, except that the
    element RPCs return their responses already serialized."""
    wire.add_servicer(server, SERVICE, {
        "LabelElements": (servicer.LabelElements, pb.LabelElementsRequest, None),
        "LabelFhirResource": (servicer.LabelFhirResource, pb.LabelFhirResourceRequest, pb.LabelFhirResourceResponse),
        "StreamLabelElements": (servicer.StreamLabelElements, pb.LabelElementsRequest, None),
    })


class LabelingServicer(pb_grpc.LabelingServiceServicer):
    def __init__(self, engine) -> None:
        self.engine = engine
        # per content version: (element bytes after its id, provenance) -> (labels, ElementLabels bytes sans id)
        self._answers: tuple[object, dict] = (None, {})

    def _cache(self, index) -> dict:
        if self._answers[0] is not index or len(self._answers[1]) >= MAX_CACHED_MESSAGES:
            self._answers = (index, {})
        return self._answers[1]

    def label_elements(self, request: pb.LabelElementsRequest) -> bytes:
        """A serialized LabelElementsResponse, answered from one content version. A coded
        element is looked up by its own bytes (id cut off), so a repeat costs one dict lookup."""
        if len(request.elements) > MAX_ELEMENTS:
            raise InvalidArgument("TOO_MANY_ELEMENTS", f"a request holds at most {MAX_ELEMENTS} elements",
                                  limit=MAX_ELEMENTS, size=len(request.elements))
        context = context_of(request.context)
        check_context(context)
        index = self.engine.labeler.index()
        cache, provenance = self._cache(index), (context.part2_program, context.note_type)
        parts, distinct = [], {}
        for n, element in enumerate(request.elements):
            raw = element.SerializeToString()
            head = _id_field_end(raw)
            key = (raw[head:], provenance)
            answer = cache.get(key) if head <= MAX_ID_LENGTH else None
            if answer is None:
                labels = self._label(index, element, context, n)
                answer = (labels, element_labels(labels).SerializeToString())
                if not element.text.strip():  # free text is never kept
                    cache[key] = answer
            distinct[id(answer[0])] = answer[0]
            parts.append(wire.length_delimited(1, raw[:head] + answer[1]))
        high = index.assembler.merge(list(distinct.values()))
        parts.append(wire.length_delimited(2, security_labels(high).SerializeToString()))
        return b"".join(parts)

    @staticmethod
    def _label(index, element: pb.Element, context: Context, n: int) -> Labels:
        full = Element(element.id, tuple((c.system, c.code) for c in element.codings), element.text,
                       element.resource_type, context_of(element.context) if element.HasField("context") else None)
        with element_errors(n):
            check_element(full)
            return index.label(full, context)

    def label_fhir(self, request: pb.LabelFhirResourceRequest) -> pb.LabelFhirResourceResponse:
        result = self.engine.label_fhir(request.resource_json, context_of(request.context))
        return pb.LabelFhirResourceResponse(resource_json=result.resource_json,
                                            high_water_mark=security_labels(result.high_water_mark),
                                            elements=[element_labels(labels, eid) for eid, labels in result.elements])

    def LabelElements(self, request, context):
        return self.label_elements(request)

    def LabelFhirResource(self, request, context):
        return self.label_fhir(request)

    def StreamLabelElements(self, request_iterator, context):
        """One response per request message, yielded before the next one is read."""
        for request in request_iterator:
            yield self.label_elements(request)
