"""The text matches a StreamTranslate message needs, found in batches before its
items are answered: the match_text items, and the translate_code items whose
code resolves to nothing but its display through the text matcher. Matching
many entries in one batch costs a fraction of matching them one by one; the
answers are the same (the matcher ranks each entry on its own).

An item whose text would fail (empty, too long, an unknown target) is left out
of the batch and meets its own error when it is answered."""

from __future__ import annotations

from server.errors import TermbridgeError
from server.match.service import MAX_TEXT
from termbridge.v1 import translation_service_pb2 as pb

CHUNK = 1000  # entries per matcher batch


def match_key(request: pb.MatchTextRequest) -> tuple:
    """The Engine.match_text arguments of a MatchText request (see server.rpc.match)."""
    return (request.text, tuple(request.target_systems), request.max_candidates,
            request.auto_threshold if request.auto_threshold > 0 else None)


def prefetch(engine, items, answer_code, answers: dict) -> None:
    """Fill `answers` (Engine.text_matches) with every text match the items will ask for.
    answer_code(request) translates a TranslateCodeRequest (answers are cached there)."""
    wanted = [match_key(item.match_text) for item in items if item.WhichOneof("item") == "match_text"]
    codes = [item.translate_code for item in items if item.WhichOneof("item") == "translate_code"]
    if codes:
        with engine.text_matches(collect=True) as (_, deferred):
            for request in codes:
                try:
                    answer_code(request)
                except Exception:  # noqa: BLE001 - DeferredTextMatch, or an error answered item by item later
                    continue
        wanted += deferred
    groups: dict[tuple, list[str]] = {}
    for text, *options in dict.fromkeys(k for k in wanted if k not in answers):
        if text.strip() and len(text.strip()) <= MAX_TEXT:
            groups.setdefault(tuple(options), []).append(text)
    for (targets, max_candidates, threshold), texts in groups.items():
        if len(texts) < 2:
            continue  # nothing to gain
        for lo in range(0, len(texts), CHUNK):
            part = texts[lo:lo + CHUNK]
            try:
                results = engine.match_texts(part, targets, max_candidates, threshold)
            except TermbridgeError:
                break  # e.g. a target not loaded: each item reports it
            for text, result in zip(part, results):
                answers[(text, targets, max_candidates, threshold)] = result
