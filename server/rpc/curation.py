"""CurationService: thin adapter over server.curation. Reads are open; writes
need a curator's bearer token (server.curation.roles)."""

from __future__ import annotations

from server.curation import export, importer, propose, publish, queue, review
from server.curation.entries import Entry
from server.errors import InvalidArgument
from server.rpc.convert import timestamp
from server.rpc.translation import RELATIONSHIP, STATUS
from termbridge.v1 import common_pb2, curation_service_pb2 as pb, curation_service_pb2_grpc as pb_grpc

ACTIONS = {pb.REVIEW_ACTION_ACCEPT: "accept", pb.REVIEW_ACTION_REJECT: "reject", pb.REVIEW_ACTION_REPLACE: "replace"}
STATUS_NAME = {v: k for k, v in STATUS.items()}
RELATIONSHIP_NAME = {v: k for k, v in RELATIONSHIP.items()}


def format_name(value: int) -> str:
    if not value:
        raise InvalidArgument("FORMAT_REQUIRED", "format is required")
    return pb.ExportFormat.Name(value).removeprefix("EXPORT_FORMAT_").lower().replace("_", "-")


def map_entry(e: Entry) -> pb.MapEntry:
    return pb.MapEntry(
        id=str(e.id), map_set=e.map_set,
        source=common_pb2.Coding(system=e.source_system, code=e.source_code, display=e.source_display),
        target=common_pb2.Coding(system=e.target_system, code=e.target_code, display=e.target_display),
        relationship=RELATIONSHIP[e.relationship], confidence=e.confidence, status=STATUS[e.status],
        candidates=[pb.Candidate(target=common_pb2.Coding(system=c.system, code=c.code, display=c.display),
                                 confidence=c.confidence, evidence=c.evidence) for c in e.candidates],
        author=e.author, reviewer=e.reviewer, note=e.note, frequency=e.frequency,
        create_time=timestamp(e.created_at), update_time=timestamp(e.updated_at), etag=e.etag)


def map_set_diff(d: publish.Diff) -> pb.MapSetDiff:
    return pb.MapSetDiff(from_version=d.from_version, to_version=d.to_version, added=[map_entry(e) for e in d.added],
                         removed=[map_entry(e) for e in d.removed], changed=[map_entry(e) for e in d.changed])


class CurationServicer(pb_grpc.CurationServiceServicer):
    def __init__(self, engine) -> None:
        self.engine = engine

    def _curator(self, context) -> str:
        return self.engine.curators.curator(context.invocation_metadata())

    def ProposeMappings(self, request, context):
        actor = self._curator(context)
        sources = [propose.SourceEntry(e.code, e.display, list(e.synonyms), e.frequency) for e in request.entries]
        summary = propose.propose(self.engine, request.map_set, request.source_system, sources,
                                  request.target_system, request.auto_threshold, actor)
        return pb.ProposeMappingsResponse(map_set=summary.map_set, proposed=summary.proposed, auto=summary.auto,
                                          unreviewed=summary.unreviewed)

    def ListReviewQueue(self, request, context):
        page, token, total = queue.list_queue(
            self.engine.store, request.map_set, [STATUS_NAME.get(s, str(s)) for s in request.statuses if s],
            request.min_confidence, request.max_confidence, request.source_text, request.page_size,
            request.page_token)
        return pb.ListReviewQueueResponse(entries=[map_entry(e) for e in page], next_page_token=token,
                                          total_size=total)

    def ReviewMapping(self, request, context):
        actor = self._curator(context)
        action = ACTIONS.get(request.action)
        if action is None:
            raise InvalidArgument("ACTION_REQUIRED", "action must be accept, reject or replace")
        with self.engine.writer() as store:
            entry = review.review(store, request.id, request.etag, action, actor, request.note, request.target.code,
                                  RELATIONSHIP_NAME.get(request.relationship, ""), request.target.display,
                                  request.target.system)
        return pb.ReviewMappingResponse(entry=map_entry(entry))

    def PublishMapSet(self, request, context):
        actor = self._curator(context)
        with self.engine.writer() as store:
            diff = publish.publish(store, request.map_set, actor, request.version)
        return pb.PublishMapSetResponse(map_set=request.map_set, version=diff.to_version, diff=map_set_diff(diff))

    def DiffMapSet(self, request, context):
        diff = publish.diff(self.engine.store, request.map_set, request.from_version, request.to_version)
        return pb.DiffMapSetResponse(diff=map_set_diff(diff))

    def ExportMapSet(self, request, context):
        content, content_type, filename = export.export(self.engine.store, request.map_set, request.version,
                                                        format_name(request.format))
        return pb.ExportMapSetResponse(content=content, content_type=content_type, filename=filename)

    def ImportMapSet(self, request, context):
        actor = self._curator(context)
        rows = importer.parse(format_name(request.format), request.content)
        with self.engine.writer() as store:
            count = importer.import_rows(store, request.map_set, rows, actor)
        return pb.ImportMapSetResponse(map_set=request.map_set, imported=count)
