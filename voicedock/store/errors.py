"""Errors raised by store functions; the HTTP layer maps them to its envelope."""


class StoreError(Exception):
    code = "store_error"


class NotFound(StoreError):
    code = "not_found"

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"No {kind} with id {ident!r}")
        self.kind = kind
        self.ident = ident


class Conflict(StoreError):
    code = "conflict"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class InvalidReference(StoreError):
    code = "invalid_reference"

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class LimitReached(StoreError):
    """A server-wide cap on how many of a kind of record may exist."""

    code = "limit_reached"

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"This server holds at most {limit} {kind}; delete one first")
        self.kind = kind
        self.limit = limit
