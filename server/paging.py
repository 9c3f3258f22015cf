"""Opaque page tokens (AIP-158): an offset bound to the request that made it."""

from __future__ import annotations

import base64
import hashlib
import json

from server.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("INVALID_PAGE_SIZE", "page_size must not be negative", page_size=requested)
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _fingerprint(*request: object) -> str:
    return hashlib.sha256(json.dumps(request, default=str).encode()).hexdigest()[:16]


def encode(offset: int, *request: object) -> str:
    raw = json.dumps({"o": offset, "f": _fingerprint(*request)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, *request: object) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
        ok = data["f"] == _fingerprint(*request) and offset >= 0
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise InvalidArgument("INVALID_PAGE_TOKEN", "page_token is invalid or belongs to another request")
    return offset


def page(items: list, offset: int, size: int, *request: object) -> tuple[list, str]:
    """Slice one page out of `items` (which may hold one extra item past the page)."""
    chunk = items[offset:offset + size]
    more = len(items) > offset + size
    return chunk, encode(offset + size, *request) if more else ""
