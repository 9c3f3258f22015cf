"""TranslationService: unary calls and the order-keeping batch stream."""

from __future__ import annotations

from server.errors import InvalidArgument, TermbridgeError
from server.relationships import ALL as RELATIONSHIPS
from server.rpc import match, text_batch, wire
from server.rpc.errors import internal_status, log, to_status
from server.translate import Coding, Translation
from termbridge.v1 import common_pb2, translation_service_pb2 as pb, translation_service_pb2_grpc as pb_grpc

MAX_BATCH = 10_000
MAX_CACHED_MESSAGES = 200_000  # per cache, per content version
RELATIONSHIP = {r: common_pb2.Relationship.Value("RELATIONSHIP_" + r.upper().replace("-", "_")) for r in RELATIONSHIPS}
STATUS = {s: common_pb2.CurationStatus.Value("CURATION_STATUS_" + s.upper()) for s in ("unreviewed", "auto",
                                                                                       "accepted", "rejected")}


def _coding(c: Coding) -> common_pb2.Coding:
    return common_pb2.Coding(system=c.system, version=c.version, code=c.code, display=c.display)


def translation_message(t: Translation) -> pb.TranslateCodeResponse:
    return pb.TranslateCodeResponse(result=t.result, message=t.message, source=_coding(t.source), matches=[
        pb.TranslationMatch(target=_coding(m.target), relationship=RELATIONSHIP[m.relationship],
                            confidence=m.confidence, provenance=common_pb2.Provenance(
                                method=p.method, map_set=p.map_set, map_set_version=p.map_set_version,
                                curation_status=STATUS.get(p.status, 0), path=[_coding(c) for c in p.path],
                                advice=p.advice, author=p.author, justification=p.justification))
        for m in t.matches for p in [m.provenance]])


def add_translation_servicer(servicer, server) -> None:
    """As the generated add_TranslationServiceServicer_to_server, except that
    StreamTranslate yields its responses already serialized (server.rpc.wire)."""
    wire.add_servicer(server, "termbridge.v1.TranslationService", {
        "TranslateCode": (servicer.TranslateCode, pb.TranslateCodeRequest, pb.TranslateCodeResponse),
        "MatchText": (servicer.MatchText, pb.MatchTextRequest, pb.MatchTextResponse),
        "StreamTranslate": (servicer.StreamTranslate, pb.StreamTranslateRequest, None),
    })


class TranslationServicer(pb_grpc.TranslationServiceServicer):
    """Answers are cached with the translator's index (so they go when the content
    changes): each translation's message and its bytes as a result field, and for
    the stream, those bytes by the serialized request."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def _answer(self, request: pb.TranslateCodeRequest, index) -> tuple:
        source = request.source
        found = self.engine.translator.answer(index, source.system, source.code, tuple(request.target_systems),
                                              request.reverse, request.map_set, source.version)
        messages = index.derive("rpc-messages", dict)  # id(translation) -> (translation, message, field bytes)
        cached = messages.get(id(found))
        if cached is None or cached[0] is not found:
            if len(messages) >= MAX_CACHED_MESSAGES:
                messages.clear()
            message = translation_message(found)
            cached = messages[id(found)] = (found, message, wire.length_delimited(3, message.SerializeToString()))
        return cached

    def translate_code(self, request: pb.TranslateCodeRequest) -> pb.TranslateCodeResponse:
        return self._answer(request, self.engine.translator.index())[1]

    def match_text(self, request: pb.MatchTextRequest) -> pb.MatchTextResponse:
        return match.match_text(self.engine, request)

    def TranslateCode(self, request, context):
        return self.translate_code(request)

    def MatchText(self, request, context):
        return self.match_text(request)

    def StreamTranslate(self, request_iterator, context):
        """One serialized StreamTranslateResponse per request message, yielded before
        the next one is read: a client that stops reading stops the server reading."""
        position = 0
        for batch in request_iterator:
            if len(batch.items) > MAX_BATCH:
                raise InvalidArgument("BATCH_TOO_LARGE", f"a stream message holds at most {MAX_BATCH} items",
                                      limit=MAX_BATCH, size=len(batch.items))
            index = self.engine.translator.index()  # one content version per batch
            known = index.derive("rpc-stream", dict)  # serialized TranslateCodeRequest -> result field bytes
            if len(known) >= MAX_CACHED_MESSAGES:
                known.clear()
            keys = [item.translate_code.SerializeToString() for item in batch.items]
            fields = [known.get(key) for key in keys]
            new = [item for item, field in zip(batch.items, fields) if field is None]
            with self.engine.text_matches() as (answers, _):
                if len(new) > 1:  # the text matches these need, in batches
                    text_batch.prefetch(self.engine, new, lambda r: self._answer(r, index), answers)
                parts = []
                for item, key, field in zip(batch.items, keys, fields):
                    if field is None:
                        field = known.get(key) or self._item(item, index, known, key)
                    parts.append(wire.item_result(item.request_id, position, field))
                    position += 1
            yield b"".join(parts)

    def _item(self, item: pb.TranslateItem, index, known: dict, key: bytes) -> bytes:
        """The result field of an item not answered before (errors are never cached)."""
        try:
            kind = item.WhichOneof("item")
            if kind == "translate_code":
                field = known[key] = self._answer(item.translate_code, index)[2]
                return field
            if kind != "match_text":
                raise InvalidArgument("ITEM_REQUIRED", "item has neither translate_code nor match_text")
            result = pb.TranslateItemResult(match_text=self.match_text(item.match_text))
        except TermbridgeError as exc:
            result = pb.TranslateItemResult(error=to_status(exc))
        except Exception as exc:  # noqa: BLE001 - one bad item must not end the stream
            log.error("unhandled %s in StreamTranslate item", type(exc).__name__)
            result = pb.TranslateItemResult(error=internal_status("StreamTranslate"))
        return result.SerializeToString()
