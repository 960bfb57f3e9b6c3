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
