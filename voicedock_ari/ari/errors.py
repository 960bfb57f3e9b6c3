"""ARI failures with a machine `code` and a `retryable` flag, so callers decide without parsing text."""

from __future__ import annotations


class AriError(Exception):
    """An ARI request failed; 4xx other than 408/429 will fail the same way again."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "ari_error") -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return True
        return self.status in (408, 429) or self.status >= 500


class AriNotFound(AriError):
    """The channel/bridge/playback is gone; during teardown that is success."""


class AriConflict(AriError):
    """409/422: the resource is in the wrong state (e.g. channel not in Stasis yet)."""


def error_for_status(status: int, message: str) -> AriError:
    if status == 404:
        return AriNotFound(message, status=status, code="not_found")
    if status in (409, 422):
        return AriConflict(message, status=status, code="conflict")
    if status in (401, 403):
        return AriError(message, status=status, code="unauthorized")
    if status == 400:
        return AriError(message, status=status, code="bad_request")
    return AriError(message, status=status, code="server_error" if status >= 500 else "client_error")
