"""TranslationService: unary calls and the order-keeping batch stream."""

from __future__ import annotations

from server.errors import InvalidArgument, TermbridgeError, Unimplemented
from server.rpc.errors import internal_status, log, to_status
from termbridge.v1 import translation_service_pb2 as pb, translation_service_pb2_grpc as pb_grpc

MAX_BATCH = 10_000


class TranslationServicer(pb_grpc.TranslationServiceServicer):
    def __init__(self, engine) -> None:
        self.engine = engine

    def translate_code(self, request: pb.TranslateCodeRequest) -> pb.TranslateCodeResponse:
        raise Unimplemented("TranslateCode")

    def match_text(self, request: pb.MatchTextRequest) -> pb.MatchTextResponse:
        raise Unimplemented("MatchText")

    def TranslateCode(self, request, context):
        return self.translate_code(request)

    def MatchText(self, request, context):
        return self.match_text(request)

    def StreamTranslate(self, request_iterator, context):
        index = 0
        for batch in request_iterator:
            if len(batch.items) > MAX_BATCH:
                raise InvalidArgument("BATCH_TOO_LARGE", f"a stream message holds at most {MAX_BATCH} items",
                                      limit=MAX_BATCH, size=len(batch.items))
            results = []
            for item in batch.items:
                results.append(self._item(item, index))
                index += 1
            yield pb.StreamTranslateResponse(results=results)

    def _item(self, item: pb.TranslateItem, index: int) -> pb.TranslateItemResult:
        result = pb.TranslateItemResult(request_id=item.request_id, index=index)
        try:
            kind = item.WhichOneof("item")
            if kind == "translate_code":
                result.translate_code.CopyFrom(self.translate_code(item.translate_code))
            elif kind == "match_text":
                result.match_text.CopyFrom(self.match_text(item.match_text))
            else:
                raise InvalidArgument("ITEM_REQUIRED", "item has neither translate_code nor match_text")
        except TermbridgeError as exc:
            result.error.CopyFrom(to_status(exc))
        except Exception as exc:  # noqa: BLE001 - one bad item must not end the stream
            log.error("unhandled %s in StreamTranslate item", type(exc).__name__)
            result.error.CopyFrom(internal_status("StreamTranslate"))
        return result
