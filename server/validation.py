"""Bounds on request fields, so a huge or empty value is a clear INVALID_ARGUMENT."""

from __future__ import annotations

from server.errors import InvalidArgument

MAX_TEXT_LENGTH = 2_000
MAX_URL_LENGTH = 512


def bounded(field: str, value: str, limit: int = MAX_TEXT_LENGTH, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidArgument("FIELD_REQUIRED", f"{field} is required", field=field)
    if len(text) > limit:
        raise InvalidArgument("FIELD_TOO_LONG", f"{field} is longer than {limit} characters",
                              field=field, limit=limit)
    return text
