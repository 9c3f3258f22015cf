"""Curation: propose -> review queue -> review (accept / reject / replace, etags,
audit) -> publish -> diff -> export / import in every format; roles; accepted
curations answering TranslateCode at once; the `termbridge curate` CLI contract.

Everything runs on a copy of the real default database, through a real server
on port 0 configured with a curators file."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner

from server.cli.main import cli
from server.curation import roles
from server.engine import Engine
from server.match.service import auto_threshold, build_index
from server.rpc.app import create_server
from server.store.store import Store
from termbridge.v1 import (common_pb2, curation_service_pb2 as pb, curation_service_pb2_grpc as pb_grpc,
                           translation_service_pb2 as tpb, translation_service_pb2_grpc as tpb_grpc)

from conftest import FIXTURES
from grpc_helpers import error_info

HERE = FIXTURES / "curation"
CMHC = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
ALICE, DASH = "alice-secret-token", "dash-secret-token"
FORMATS = {"sssom": pb.EXPORT_FORMAT_SSSOM, "conceptmap-r4": pb.EXPORT_FORMAT_CONCEPTMAP_R4,
           "conceptmap-r5": pb.EXPORT_FORMAT_CONCEPTMAP_R5, "csv": pb.EXPORT_FORMAT_CSV}


@pytest.fixture(scope="module")
def db(default_db, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("curation") / "termbridge.db"
    shutil.copy(default_db, path)
    if not Path(f"{default_db}.match").exists():  # the match index, built once per session
        build_index(Store(default_db, readonly=True), default_db)
    shutil.copytree(f"{default_db}.match", f"{path}.match")
    return str(path)


@pytest.fixture(scope="module")
def channel_(db, tmp_path_factory):
    curators = tmp_path_factory.mktemp("curators") / "curators.tsv"
    curators.write_text("# who may curate\n" + roles.file_line("alice", "curator", ALICE) + "\n"
                        + roles.file_line("dash", "reader", DASH) + "\n")
    server, port = create_server("127.0.0.1:0", Engine(db, curators=roles.Curators.load(curators)))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        yield ch
    server.stop(None)


@pytest.fixture
def stub(channel_):
    return pb_grpc.CurationServiceStub(channel_)


def as_(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def local_table(name: str) -> list[pb.SourceEntry]:
    with open(HERE / name, newline="") as fh:
        return [pb.SourceEntry(code=r["code"], display=r["display"], frequency=int(r["frequency"]),
                               synonyms=[s for s in r.get("synonyms", "").split("|") if s]) for r in csv.DictReader(fh)]


def propose(stub, map_set: str, table: str = "cmhc_local_table.csv"):
    return stub.ProposeMappings(pb.ProposeMappingsRequest(
        map_set=map_set, source_system=CMHC, entries=local_table(table), target_system="icd10cm"),
        metadata=as_(ALICE))


def whole_queue(stub, map_set: str, **filters) -> list[pb.MapEntry]:
    out, token = [], ""
    while True:
        page = stub.ListReviewQueue(pb.ListReviewQueueRequest(map_set=map_set, page_size=7, page_token=token,
                                                              **filters))
        out += page.entries
        token = page.next_page_token
        if not token:
            return out


def import_sssom(stub, map_set: str) -> int:
    return stub.ImportMapSet(pb.ImportMapSetRequest(map_set=map_set, format=pb.EXPORT_FORMAT_SSSOM,
                                                    content=(HERE / "cmhc_map_cut.sssom.tsv").read_text()),
                             metadata=as_(ALICE)).imported


def failure(call) -> tuple[grpc.StatusCode, object]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), error_info(err.value)


# --- roles --------------------------------------------------------------------------------------------------

def test_writes_need_a_curator_token_and_reads_are_open(stub):
    request = pb.ImportMapSetRequest(map_set="roles", format=pb.EXPORT_FORMAT_SSSOM,
                                     content=(HERE / "cmhc_map_cut.sssom.tsv").read_text())
    code, info = failure(lambda: stub.ImportMapSet(request))
    assert code == grpc.StatusCode.UNAUTHENTICATED and info.reason == "CREDENTIALS_MISSING"
    code, info = failure(lambda: stub.ImportMapSet(request, metadata=as_("not-a-token")))
    assert code == grpc.StatusCode.UNAUTHENTICATED and info.reason == "CREDENTIALS_INVALID"
    code, info = failure(lambda: stub.ImportMapSet(request, metadata=as_(DASH)))
    assert code == grpc.StatusCode.PERMISSION_DENIED and info.reason == "CURATOR_ROLE_REQUIRED"
    assert info.metadata["identity"] == "dash"
    code, info = failure(lambda: stub.ListReviewQueue(pb.ListReviewQueueRequest(map_set="roles")))
    assert code == grpc.StatusCode.NOT_FOUND  # nothing was written by the refused calls
    assert stub.ImportMapSet(request, metadata=as_(ALICE)).imported == 48
    queue = stub.ListReviewQueue(pb.ListReviewQueueRequest(map_set="roles", statuses=[
        common_pb2.CURATION_STATUS_ACCEPTED]))  # no token needed to read
    assert queue.total_size == 48


def test_server_without_curators_refuses_every_write(channel):
    stub = pb_grpc.CurationServiceStub(channel)  # the shared server has no curators file
    code, info = failure(lambda: stub.PublishMapSet(pb.PublishMapSetRequest(map_set="x"), metadata=as_(ALICE)))
    assert code == grpc.StatusCode.PERMISSION_DENIED and info.reason == "CURATION_DISABLED"


def test_curators_file_never_holds_a_token_in_clear(tmp_path):
    bad = tmp_path / "curators.tsv"
    bad.write_text("alice curator alice-secret-token\n")
    with pytest.raises(Exception) as err:
        roles.Curators.load(bad)
    assert f"{bad}:1" in str(err.value) and "alice-secret-token" not in str(err.value)


# --- propose and the queue ----------------------------------------------------------------------------------

def test_propose_fills_the_draft_with_candidates(stub):
    summary = propose(stub, "prop", "legacy_table.csv")
    assert summary.proposed == 36 and summary.auto + summary.unreviewed == 36 and summary.unreviewed > 0
    entries = whole_queue(stub, "prop")
    assert len(entries) == 36
    assert sum(e.status == common_pb2.CURATION_STATUS_AUTO for e in entries) == summary.auto
    mdd = {e.source.code: e for e in entries}["LT-0001"]  # MDD REC MOD
    assert mdd.source.system == CMHC and mdd.frequency == 150 and mdd.etag
    assert mdd.target.code == "F33.1" and mdd.candidates[0].evidence
    assert all(c.target.system == ICD for e in entries for c in e.candidates)
    assert all(list(e.candidates) == sorted(e.candidates, key=lambda c: -c.confidence) for e in entries)
    assert all(e.confidence >= auto_threshold() for e in entries if e.status == common_pb2.CURATION_STATUS_AUTO)
    again = propose(stub, "prop", "legacy_table.csv")  # proposing again updates the draft in place
    assert again.proposed == 36 and len(whole_queue(stub, "prop")) == 36


def test_accepted_curations_feed_back_into_proposals(stub):
    """The shipped CMHC map's accepted entries are aliases for the matcher: their
    local texts come back as confident proposals of the curated targets."""
    summary = propose(stub, "feedback")
    curated = {line.split("\t")[0][5:]: line.split("\t")[3][8:] for line in
               (HERE / "cmhc_map_cut.sssom.tsv").read_text().splitlines() if line.startswith("CMHC:")
               and "\tICD10CM:" in line}
    entries = whole_queue(stub, "feedback")
    agree = [e for e in entries if e.target.code == curated[e.source.code]]
    assert summary.auto >= 25 and len(agree) >= 28


def test_queue_puts_frequent_uncertain_entries_first_and_pages(stub):
    propose(stub, "queue", "legacy_table.csv")
    entries = whole_queue(stub, "queue")
    first = stub.ListReviewQueue(pb.ListReviewQueueRequest(map_set="queue", page_size=7))
    assert first.total_size == 36 and len(first.entries) == 7 and first.next_page_token
    assert [e.id for e in entries[:7]] == [e.id for e in first.entries]
    assert len({e.id for e in entries}) == 36  # pages neither repeat nor skip
    def log_odds(p):
        p = min(max(p, 1e-4), 1 - 1e-4)
        return math.log(p / (1 - p))

    distance = [abs(log_odds(e.confidence) - log_odds(auto_threshold())) for e in entries]
    assert sum(distance[:9]) < sum(distance[-9:])  # borderline proposals first, near-certain ones last
    def runner_up(e):
        return e.candidates[1].confidence if len(e.candidates) > 1 else 0.0

    for a, b in zip(entries, entries[1:]):  # at equal confidence the more frequent, then the more ambiguous
        if a.confidence == b.confidence and a.confidence > 0:
            assert (a.frequency, runner_up(a)) >= (b.frequency, runner_up(b))
    code, info = failure(lambda: stub.ListReviewQueue(pb.ListReviewQueueRequest(
        map_set="other", page_token=first.next_page_token)))
    assert info.reason in ("INVALID_PAGE_TOKEN", "MAP_SET_NOT_FOUND")


def test_queue_filters(stub):
    propose(stub, "filters", "legacy_table.csv")
    everything = sorted(e.confidence for e in whole_queue(stub, "filters"))
    low, high = everything[len(everything) // 4], everything[len(everything) // 2]  # a band the queue spans
    mid = whole_queue(stub, "filters", min_confidence=low, max_confidence=high)
    assert mid and all(low <= e.confidence <= high for e in mid)
    assert len(mid) == sum(low <= c <= high for c in everything) < len(everything)
    text = whole_queue(stub, "filters", source_text="dep")
    assert text and all("DEP" in e.source.display for e in text)
    auto = whole_queue(stub, "filters", statuses=[common_pb2.CURATION_STATUS_AUTO])
    assert all(e.status == common_pb2.CURATION_STATUS_AUTO for e in auto)
    code, info = failure(lambda: stub.ListReviewQueue(pb.ListReviewQueueRequest(map_set="filters",
                                                                                min_confidence=1.5)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "INVALID_CONFIDENCE"


# --- review -------------------------------------------------------------------------------------------------

def review(stub, entry, action, **fields):
    return stub.ReviewMapping(pb.ReviewMappingRequest(id=entry.id, etag=entry.etag, action=action, **fields),
                              metadata=as_(ALICE)).entry


def test_accept_reject_replace_with_etags_and_audit(stub, db):
    propose(stub, "review")
    entries = {e.source.code: e for e in whole_queue(stub, "review")}
    accepted = review(stub, entries["BH0112"], pb.REVIEW_ACTION_ACCEPT, note="checked")
    assert accepted.status == common_pb2.CURATION_STATUS_ACCEPTED and accepted.reviewer == "alice"
    assert accepted.etag != entries["BH0112"].etag and accepted.note == "checked"
    rejected = review(stub, entries["BH0125"], pb.REVIEW_ACTION_REJECT, note="too vague")
    assert rejected.status == common_pb2.CURATION_STATUS_REJECTED
    replaced = review(stub, entries["BH0209"], pb.REVIEW_ACTION_REPLACE, note="bipolar I",
                      target=common_pb2.Coding(code="F314"),
                      relationship=common_pb2.RELATIONSHIP_EQUIVALENT)
    assert (replaced.target.code, replaced.target.display) == ("F31.4", "Bipolar disorder, current episode "
                                                                        "depressed, severe, without psychotic features")
    assert replaced.status == common_pb2.CURATION_STATUS_ACCEPTED and replaced.confidence == 1.0

    # a second curator working from the old read loses nothing and is told so
    code, info = failure(lambda: review(stub, entries["BH0112"], pb.REVIEW_ACTION_REJECT, note="stale"))
    assert code == grpc.StatusCode.ABORTED and info.reason == "ETAG_MISMATCH"
    assert info.metadata["current_etag"] == accepted.etag
    code, info = failure(lambda: review(stub, entries["BH0223"], pb.REVIEW_ACTION_REPLACE, note="x",
                                        target=common_pb2.Coding(code="F99.99"),
                                        relationship=common_pb2.RELATIONSHIP_EQUIVALENT))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "TARGET_NOT_FOUND"
    code, info = failure(lambda: review(stub, entries["BH0223"], pb.REVIEW_ACTION_REPLACE, note="x",
                                        target=common_pb2.Coding(code="F30.9")))
    assert info.reason == "RELATIONSHIP_REQUIRED"

    events = Store(db, readonly=True).query(
        "SELECT * FROM audit_events WHERE entity = 'map_entry' AND entity_id = ? ORDER BY id", (replaced.id,))
    assert [e["action"] for e in events] == ["propose", "propose", "review.replace"][-len(events):]
    last = events[-1]
    before, after = json.loads(last["before"]), json.loads(last["after"])
    assert last["actor"] == "alice" and last["at"]
    assert before["target"][1] == entries["BH0209"].target.code and before["status"] != "accepted"
    assert after["target"][1] == "F31.4" and after["status"] == "accepted" and after["note"] == "bipolar I"
    with pytest.raises(Exception):  # the audit trail is append-only
        Store(db).conn.execute("DELETE FROM audit_events WHERE id = ?", (last["id"],))

    # a curator's decision survives a new proposal run
    propose(stub, "review")
    after_rerun = {e.source.code: e for e in whole_queue(stub, "review", statuses=[
        common_pb2.CURATION_STATUS_ACCEPTED, common_pb2.CURATION_STATUS_REJECTED])}
    assert after_rerun["BH0209"].target.code == "F31.4" and after_rerun["BH0209"].etag == replaced.etag
    assert after_rerun["BH0125"].status == common_pb2.CURATION_STATUS_REJECTED


# --- publish, diff, immutability ----------------------------------------------------------------------------

def test_publish_freezes_versions_and_diffs_them(stub):
    import_sssom(stub, "pub")
    first = stub.PublishMapSet(pb.PublishMapSetRequest(map_set="pub"), metadata=as_(ALICE))
    assert first.version == "1" and len(first.diff.added) == 48 and not first.diff.removed
    code, info = failure(lambda: stub.PublishMapSet(pb.PublishMapSetRequest(map_set="pub"), metadata=as_(ALICE)))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and info.reason == "NO_CHANGES"

    draft = {(e.source.code, e.target.system): e for e in whole_queue(stub, "pub", statuses=[
        common_pb2.CURATION_STATUS_ACCEPTED])}
    review(stub, draft[("BH0112", ICD)], pb.REVIEW_ACTION_REPLACE, note="recurrent, mild",
           target=common_pb2.Coding(code="F33.0"), relationship=common_pb2.RELATIONSHIP_RELATED_TO)
    review(stub, draft[("BH0125", ICD)], pb.REVIEW_ACTION_REJECT, note="not specific enough")
    second = stub.PublishMapSet(pb.PublishMapSetRequest(map_set="pub"), metadata=as_(ALICE))
    assert second.version == "2"
    assert [(e.source.code, e.target.code) for e in second.diff.changed] == [("BH0112", "F33.0")]
    assert [(e.source.code, e.target.code) for e in second.diff.removed] == [("BH0125", "F39")]
    assert not second.diff.added

    diff = stub.DiffMapSet(pb.DiffMapSetRequest(map_set="pub", from_version="1", to_version="2")).diff
    assert (diff.from_version, diff.to_version) == ("1", "2")
    assert [e.target.code for e in diff.changed] == ["F33.0"] and len(diff.removed) == 1
    back = stub.DiffMapSet(pb.DiffMapSetRequest(map_set="pub", from_version="2", to_version="1")).diff
    assert [e.target.code for e in back.changed] == ["F33.1"] and len(back.added) == 1

    published_entry = second.diff.changed[0]  # entries of a published version never change
    code, info = failure(lambda: review(stub, published_entry, pb.REVIEW_ACTION_REJECT, note="x"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and info.reason == "VERSION_PUBLISHED"
    v1 = stub.ExportMapSet(pb.ExportMapSetRequest(map_set="pub", version="1", format=pb.EXPORT_FORMAT_CSV))
    assert "BH0112" in v1.content and ",F33.1," in v1.content and "BH0125" in v1.content


# --- export / import ----------------------------------------------------------------------------------------

def mappings_of(csv_text: str) -> set[tuple]:
    rows = csv.DictReader(io.StringIO(csv_text))
    return {(r["source_code"], r["source_display"], r["target_system"], r["target_code"], r["target_display"],
             r["relationship"], r["confidence"], r["status"]) for r in rows}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_then_import_round_trips(stub, fmt):
    import_sssom(stub, f"src-{fmt}")
    stub.PublishMapSet(pb.PublishMapSetRequest(map_set=f"src-{fmt}"), metadata=as_(ALICE))
    exported = stub.ExportMapSet(pb.ExportMapSetRequest(map_set=f"src-{fmt}", format=FORMATS[fmt]))
    assert exported.filename.startswith(f"src-{fmt}-1.")
    imported = stub.ImportMapSet(pb.ImportMapSetRequest(map_set=f"dst-{fmt}", format=FORMATS[fmt],
                                                        content=exported.content), metadata=as_(ALICE))
    assert imported.imported == 48
    original = stub.ExportMapSet(pb.ExportMapSetRequest(map_set=f"src-{fmt}", format=pb.EXPORT_FORMAT_CSV))
    copy = stub.ExportMapSet(pb.ExportMapSetRequest(map_set=f"dst-{fmt}", version="draft",
                                                    format=pb.EXPORT_FORMAT_CSV))
    assert mappings_of(copy.content) == mappings_of(original.content)
    again = stub.ImportMapSet(pb.ImportMapSetRequest(map_set=f"dst-{fmt}", format=FORMATS[fmt],
                                                     content=exported.content), metadata=as_(ALICE))
    assert again.imported == 0  # nothing changed, nothing written


def test_conceptmap_exports_carry_confidence_as_property(stub):
    import_sssom(stub, "fhir")
    r5 = json.loads(stub.ExportMapSet(pb.ExportMapSetRequest(map_set="fhir", version="draft",
                                                              format=pb.EXPORT_FORMAT_CONCEPTMAP_R5)).content)
    assert r5["resourceType"] == "ConceptMap" and r5["status"] == "draft"
    assert {p["code"]: p["type"] for p in r5["property"]} == {"confidence": "decimal", "status": "code"}
    target = r5["group"][0]["element"][0]["target"][0]
    assert target["relationship"] == "equivalent" and target["property"][0]["code"] == "confidence"
    r4 = json.loads(stub.ExportMapSet(pb.ExportMapSetRequest(map_set="fhir", version="draft",
                                                              format=pb.EXPORT_FORMAT_CONCEPTMAP_R4)).content)
    target = r4["group"][0]["element"][0]["target"][0]
    assert target["equivalence"] == "equivalent" and "relationship" not in target
    assert target["extension"][0]["url"].endswith("extension-ConceptMap.group.element.target.property")


def test_bad_import_changes_nothing(stub, db):
    before = Store(db, readonly=True).one("SELECT count(*) FROM map_entries")[0]
    broken = (HERE / "cmhc_map_cut.sssom.tsv").read_text().replace("skos:exactMatch", "skos:sortOfMatch", 1)
    code, info = failure(lambda: stub.ImportMapSet(pb.ImportMapSetRequest(
        map_set="broken", format=pb.EXPORT_FORMAT_SSSOM, content=broken), metadata=as_(ALICE)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "LOAD_FAILED"
    assert info.metadata["path"] == "request content" and info.metadata["line"] == "15"
    assert Store(db, readonly=True).one("SELECT count(*) FROM map_entries")[0] == before


# --- translation sees curations -----------------------------------------------------------------------------

def test_accepted_curation_answers_translate_code_at_once(stub, channel_):
    translate = tpb_grpc.TranslationServiceStub(channel_)

    def targets(code):
        response = translate.TranslateCode(tpb.TranslateCodeRequest(
            source=common_pb2.Coding(system=CMHC, code=code), target_systems=["icd10cm"], map_set="live"))
        return [(m.target.code, m.provenance.map_set_version, m.provenance.curation_status)
                for m in response.matches]

    import_sssom(stub, "live")
    stub.PublishMapSet(pb.PublishMapSetRequest(map_set="live"), metadata=as_(ALICE))
    assert targets("BH0112") == [("F33.1", "1", common_pb2.CURATION_STATUS_ACCEPTED)]
    entry = {(e.source.code, e.target.system): e for e in whole_queue(stub, "live", statuses=[
        common_pb2.CURATION_STATUS_ACCEPTED])}[("BH0112", ICD)]
    review(stub, entry, pb.REVIEW_ACTION_REPLACE, note="mild", target=common_pb2.Coding(code="F33.0"),
           relationship=common_pb2.RELATIONSHIP_EQUIVALENT)
    assert targets("BH0112") == [("F33.0", "draft", common_pb2.CURATION_STATUS_ACCEPTED)]  # before publishing
    stub.PublishMapSet(pb.PublishMapSetRequest(map_set="live"), metadata=as_(ALICE))
    assert targets("BH0112") == [("F33.0", "2", common_pb2.CURATION_STATUS_ACCEPTED)]


# --- the CLI contract ---------------------------------------------------------------------------------------

def run(*args, ok=True):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert (result.exit_code == 0) == ok, result.output
    return result


def test_cli_contract(db):
    run("curate", "propose", "--map-set", "cli", "--from", HERE / "cmhc_local_table.csv", "--source-system", CMHC,
        "--target", "icd10cm", "--db", db)
    lines = run("curate", "queue", "--map-set", "cli", "--json", "--db", db).output.splitlines()
    queue = [json.loads(line) for line in lines]
    assert len(queue) == 31
    assert {"id", "source", "candidates", "confidence", "status"} <= queue[0].keys()
    by_code = {q["source"]["code"]: q for q in queue}

    accept = run("curate", "review", by_code["BH0112"]["id"], "--accept", "--note", "ok", "--as", "carol",
                 "--db", db)
    assert "accepted" in accept.output and "carol" in accept.output
    run("curate", "review", by_code["BH0125"]["id"], "--reject", "--note", "vague", "--as", "carol", "--db", db)
    run("curate", "review", by_code["BH0209"]["id"], "--target", "F31.4", "--relationship", "equivalent",
        "--note", "bipolar I", "--as", "carol", "--db", db)
    stale = run("curate", "review", by_code["BH0223"]["id"], "--accept", "--note", "x", "--as", "carol",
                "--etag", "0000000000000000", "--db", db, ok=False)
    assert "changed since it was read" in stale.output

    published = run("curate", "publish", "--map-set", "cli", "--as", "carol", "--db", db).output
    assert published.startswith("published cli version 1:")
    run("curate", "review", by_code["BH0112"]["id"], "--target", "F33.8", "--note", "other recurrent", "--as",
        "carol", "--db", db)
    run("curate", "publish", "--map-set", "cli", "--as", "carol", "--db", db)
    diff = run("curate", "diff", "--map-set", "cli", "--from", "1", "--to", "2", "--db", db).output
    assert diff.startswith("cli 1 -> 2: 0 added, 0 removed, 1 changed") and "~ BH0112 MDD REC MOD -> F33.8" in diff

    for fmt in ("sssom", "conceptmap-r4", "conceptmap-r5", "csv"):
        out = run("curate", "export", "--map-set", "cli", "--format", fmt, "--db", db).output
        assert "BH0112" in out and "F33.8" in out and "BH0125" not in out

    history = run("curate", "history", by_code["BH0112"]["id"], "--json", "--db", db).output.splitlines()
    actions = [json.loads(h)["action"] for h in history]
    assert actions[-2:] == ["review.accept", "review.replace"] and json.loads(history[-1])["actor"] == "carol"


def test_cli_review_needs_exactly_one_action(db):
    result = run("curate", "review", "1", "--accept", "--target", "F32.A", "--note", "x", "--as", "c", "--db", db,
                 ok=False)
    assert "exactly one of" in result.output


def test_cli_grant_issues_a_token_the_server_accepts(db, tmp_path):
    curators = tmp_path / "curators.tsv"
    result = CliRunner().invoke(cli, ["curate", "grant", "erin", "--curators", str(curators),
                                                      "--as", "admin", "--db", db])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token not in curators.read_text()
    assert roles.Curators.load(curators).curator([("authorization", f"Bearer {token}")]) == "erin"
