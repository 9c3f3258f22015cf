"""Domain errors. Each carries a gRPC code name, an UPPER_SNAKE reason and the
variables of its message; the RPC layer turns them into google.rpc.Status with
one ErrorInfo, the CLI into a one-line message."""

from __future__ import annotations

DOMAIN = "termbridge.example.org"


class TermbridgeError(Exception):
    code = "INTERNAL"

    def __init__(self, reason: str, message: str, **metadata: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.metadata = {k: str(v) for k, v in metadata.items()}


class InvalidArgument(TermbridgeError):
    code = "INVALID_ARGUMENT"


class NotFound(TermbridgeError):
    code = "NOT_FOUND"


class FailedPrecondition(TermbridgeError):
    code = "FAILED_PRECONDITION"


class Aborted(TermbridgeError):
    code = "ABORTED"


class PermissionDenied(TermbridgeError):
    code = "PERMISSION_DENIED"


class Unauthenticated(TermbridgeError):
    code = "UNAUTHENTICATED"


class Unimplemented(TermbridgeError):
    code = "UNIMPLEMENTED"

    def __init__(self, method: str) -> None:
        super().__init__("NOT_IMPLEMENTED", f"{method} is not implemented yet", method=method)


class LoadError(TermbridgeError):
    """A source file could not be read; names the file and line."""

    code = "INVALID_ARGUMENT"

    def __init__(self, path: object, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__("LOAD_FAILED", f"{where}: {reason}", path=path, line=line or "", detail=reason)
        self.path, self.line, self.detail = path, line, reason
