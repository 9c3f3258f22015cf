"""Who may change curation data. The server reads a curators file; gRPC
clients send `authorization: Bearer <token>`. The file holds only SHA-256
digests of tokens, one identity per line:

    # identity  role      token digest
    alice       curator   sha256:5e884898da28...
    dashboard   reader    sha256:1b4f0e9851971...

Reads are open to everyone; writes need a token whose role is `curator`.
Tokens never appear in logs or error messages."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path
from typing import Iterable

from loaders.base import text_lines
from server.errors import InvalidArgument, LoadError, PermissionDenied, Unauthenticated

ROLES = ("curator", "reader")
_IDENTITY = re.compile(r"^[A-Za-z0-9._@:-]{1,128}$")
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def check_identity(identity: str) -> str:
    if not _IDENTITY.match(identity):
        raise InvalidArgument("INVALID_IDENTITY", f"identity {identity!r} may only hold letters, digits and . _ @ : -",
                              identity=identity)
    return identity


def file_line(identity: str, role: str, token: str) -> str:
    return f"{identity}\t{role}\tsha256:{digest(token)}"


class Curators:
    def __init__(self, tokens: dict[str, tuple[str, str]] | None = None) -> None:
        self.tokens = tokens or {}  # token digest -> (identity, role)

    @classmethod
    def load(cls, path: str | Path) -> "Curators":
        tokens: dict[str, tuple[str, str]] = {}
        for number, line in text_lines(path):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 3:
                raise LoadError(path, number, "expected `identity role sha256:DIGEST`")
            identity, role, token = parts
            match = _DIGEST.match(token)
            if not _IDENTITY.match(identity):
                raise LoadError(path, number, f"identity {identity!r} has characters other than letters, digits "
                                "and . _ @ : -")
            if role not in ROLES:
                raise LoadError(path, number, f"role {role!r} is not one of {', '.join(ROLES)}")
            if match is None:
                raise LoadError(path, number, "token must be given as sha256:<64 hex digits>, never in clear")
            if match.group(1) in tokens:
                raise LoadError(path, number, "the same token digest appears twice")
            tokens[match.group(1)] = (identity, role)
        return cls(tokens)

    def curator(self, metadata: Iterable[tuple[str, str | bytes]]) -> str:
        """The curator identity behind a call's metadata, or an UNAUTHENTICATED /
        PERMISSION_DENIED error."""
        if not any(role == "curator" for _, role in self.tokens.values()):
            raise PermissionDenied("CURATION_DISABLED", "this server has no curators configured; curation writes "
                                   "are disabled (start it with --curators FILE)")
        header = next((str(v) for k, v in metadata if k.lower() == "authorization"), "")
        if not header:
            raise Unauthenticated("CREDENTIALS_MISSING", "curation writes need `authorization: Bearer <token>` "
                                  "metadata")
        scheme, _, token = header.strip().partition(" ")
        found = self.tokens.get(digest(token.strip())) if scheme.lower() == "bearer" and token.strip() else None
        if found is None:
            raise Unauthenticated("CREDENTIALS_INVALID", "the bearer token is not one this server knows")
        identity, role = found
        if role != "curator":
            raise PermissionDenied("CURATOR_ROLE_REQUIRED", f"{identity} may read curation data but not change it",
                                   identity=identity, role=role)
        return identity
