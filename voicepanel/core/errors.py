"""The one error type the app shows to people: what failed, what to try, and the cause."""

from __future__ import annotations


class VoicePanelError(Exception):
    """A failure a person can read.

    ``message`` says what failed, ``hint`` what to try; ``status`` is the HTTP status
    when a server answered, and ``__cause__`` keeps the original exception for the log.
    """

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        status: int | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        if cause is not None:
            self.__cause__ = cause

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()
