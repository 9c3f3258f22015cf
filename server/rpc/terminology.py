"""TerminologyService: thin adapter over server.terminology."""

from __future__ import annotations

from server import terminology
from server.rpc import convert
from termbridge.v1 import common_pb2, terminology_service_pb2 as pb, terminology_service_pb2_grpc as pb_grpc


class TerminologyServicer(pb_grpc.TerminologyServiceServicer):
    def __init__(self, engine) -> None:
        self.engine = engine

    def ListCodeSystems(self, request, context):
        rows, token = terminology.list_code_systems(self.engine.store, request.include_inactive_versions,
                                                    request.page_size, request.page_token)
        return pb.ListCodeSystemsResponse(code_systems=[convert.code_system_info(r) for r in rows],
                                          next_page_token=token)

    def LookupConcept(self, request, context):
        view = terminology.lookup(self.engine.store, request.system, request.code, request.version)
        return pb.LookupConceptResponse(concept=convert.concept(view))

    def ValidateCode(self, request, context):
        ok, message, view = terminology.validate_code(self.engine.store, request.system, request.code,
                                                      request.version, request.display)
        coding = common_pb2.Coding(system=view.system, version=view.version, code=view.code,
                                   display=view.display) if view else None
        return pb.ValidateCodeResponse(result=ok, message=message, coding=coding)

    def SearchConcepts(self, request, context):
        hits, token = terminology.search(self.engine.store, request.query, list(request.systems), request.page_size,
                                         request.page_token, request.billable_only, request.include_inactive)
        return pb.SearchConceptsResponse(hits=[convert.hit(h) for h in hits], next_page_token=token)

    def ExpandValueSet(self, request, context):
        vs, members, total, token = terminology.expand_value_set(
            self.engine.store, request.url, request.version, request.filter, request.page_size, request.page_token)
        return pb.ExpandValueSetResponse(
            url=vs["url"], version=vs["version"], total=total, next_page_token=token,
            contains=[common_pb2.Coding(system=m["system"], version=m["version"], code=m["code"],
                                        display=m["display"]) for m in members])
