"""Engine values to API messages."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from server.terminology import ConceptView, Hit
from termbridge.v1 import common_pb2, terminology_service_pb2 as tpb


def timestamp(iso: str | None) -> timestamp_pb2.Timestamp | None:
    if not iso:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.fromisoformat(iso))
    return ts


def code_system_info(row) -> tpb.CodeSystemInfo:
    return tpb.CodeSystemInfo(url=row["url"], version=row["version"], name=row["name"], title=row["title"],
                              active=bool(row["active"]), concept_count=row["concept_count"],
                              checksum=row["checksum"], load_time=timestamp(row["loaded_at"]),
                              source=row["format"])


def concept(view: ConceptView) -> tpb.Concept:
    def coding(code: str, display: str) -> common_pb2.Coding:
        return common_pb2.Coding(system=view.system, version=view.version, code=code, display=display)

    return tpb.Concept(
        coding=coding(view.code, view.display), active=view.active, billable=view.billable,
        designations=[tpb.Designation(value=d["value"], use=d["use"], language=d["language"])
                      for d in view.designations],
        parents=[coding(c, d) for c, d in view.parents],
        children=[coding(c, d) for c, d in view.children],
        properties=[tpb.ConceptProperty(code=k, value=v) for k, v in view.properties])


def hit(h: Hit) -> tpb.SearchHit:
    return tpb.SearchHit(coding=common_pb2.Coding(system=h.system, version=h.version, code=h.code, display=h.display),
                         score=h.score, matched_term=h.matched_term, billable=h.billable)
